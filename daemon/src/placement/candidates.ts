import type { Bid } from '../../../protocols/src/auction/index.js'
import type { PeerId } from '@libp2p/interface'

/** A node placement may choose: this one, or a peer from the capacity view. */
export interface Candidate {
  /** Peer id as a string. */
  peer: string
  /** Absent for this node. */
  peerId?: PeerId
  self: boolean
  slotsTotal: number
  slotsFree: number
  queueLength: number
  speed: number
  /** The function is compiled there (from the advert's warm list). */
  warm: boolean  /** Battery charge the peer advertises; absent on mains. */
  batteryPercent?: number
}

/** One candidate's answer to a call for bids. */
export interface BidRecord {
  peer: string
  self: boolean
  /** `late`: not in before the window closed (its reservation is handed back). */
  outcome: 'bid' | 'declined' | 'late' | 'timeout' | 'error'
  estimatedMs?: number
  price?: number
  /** Estimated completion + bid round trip + weighted price, over reputation: lower wins. */
  score?: number
  /** Time from call to bid. */
  rttMs?: number
  code?: Bid.Code
  reason?: string
}

/** Where an attempt goes, in order. */
export interface Target {
  candidate: Candidate
  reservation?: Uint8Array
  /** `performance.now()` past which the reservation may have lapsed. */
  reservedUntil?: number
  /** Bid's estimate plus its round trip, when known. */
  estimatedMs?: number
}

export interface Plan {
  targets: Target[]
  bids: BidRecord[]
  /** Candidates asked for a bid. */
  asked: number
  /** Reservations the auctioneer holds for later attempts, released once it is done. */
  held: Target[]
  /** How long the bid window stayed open. */
  windowMs?: number
  /** Price of the runner-up, for second-price accounting. */
  secondPrice?: number
  /** No auction was held: this node's own bid could not lose (the local fast path). */
  fastPath?: boolean
}

/** Load of a candidate as the gossip view sees it: busy and queued per slot. */
export function loadOf (c: Candidate): number {
  return (c.slotsTotal - c.slotsFree + c.queueLength) / Math.max(1, c.slotsTotal)
}
