import { CID } from 'multiformats/cid'
import { Bid, type CallForBids, type InputLocation } from '../../../protocols/src/auction/index.js'
import { InvalidParametersError } from '../errors.js'
import { isBelowThreshold, type PowerState } from '../power/index.js'
import { COMPILE_MS, DEFAULT_RUN_MS, FETCH_MS } from './defaults.js'
import { perPeerCap, remotePool, strangerPool } from './reservation-caps.js'
import type { RunTimeEstimates } from './estimates.js'
import type { PlacementMetrics } from './metrics.js'
import type { PeerLedger } from './peer-ledger.js'
import type { Reservations } from './reservations.js'

/** The owner of reservations this node makes for its own auctions. */
export const SELF = 'self'

/** A contributor's price, as a share of anyone else's (`placement.preferContributors`). */
export const CONTRIBUTOR_PRICE = 0.5

/** Why a bid was declined, for `faasmesh_placement_bids_declined_total{reason}`. */
type DeclineLabel = 'full' | 'deadline' | 'peer_limit' | 'stranger_pool' | 'remote_pool' | 'excluded' | 'stopping' | 'untrusted' | 'battery' | 'contributors_first'

/** Reservations held now, by who holds them. */
interface Held {
  self: number
  /** Remote peers that have claimed here. */
  known: number
  /** Remote peers that never have. */
  strangers: number
}

export interface BidderInit {
  /** Invocations per slot this node accepts to queue; beyond them it declines. */
  queuePerSlot: number
  /** Relative speed (1 = the reference machine), a testbed's slowdown applied. */
  speed: number
  /** On battery below this charge, other peers' calls are declined BATTERY. @default 0 */
  declineBelowPercent?: number
}

export interface BidderComponents {
  /** Invocations admitted here and not answered yet. */
  running(): number
  slots(): number
  /** What this node holds of the function. */
  codeState(cid: string): Bid.Code
  estimates: RunTimeEstimates
  reservations: Reservations
  /** How each remote auctioneer has treated the reservations it was granted. */
  ledger: Pick<PeerLedger, 'isKnown' | 'isExcluded' | 'claimRatio'>
  /** The price at a utilisation (load / slots). */
  price(utilisation: number): number
  metrics?: Pick<PlacementMetrics, 'declined'>
  /** True once the node drains: it bids for nothing. */
  stopping?(): boolean
  /** The node's power state; without it, mains. */
  power?(): PowerState
  /**
   * `placement.preferContributors` (tit for tat): true for a peer that has run work for this
   * node, by verified receipts. Without it, every auctioneer is bid for alike.
   */
  contributes?(auctioneer: string): boolean
  /**
   * Ms to bring `bytes` of a chain step's input here from the node that holds it (peer id
   * bytes): 0 when that is this node. Without it, inputs cost nothing.
   */
  transferMs?(holder: Uint8Array, bytes: number): number
  /**
   * Publisher trust: false for code this node will not run, given the name record the call
   * carries (empty: none). Without it, all code is trusted.
   */
  vouch?(cid: string, nameRecord: Uint8Array): Promise<boolean>
}

/** What this node would promise for one invocation of `cid`, before reserving anything. */
export interface Estimate {
  estimatedMs: number
  /** Of which: bringing a chain step's input here. */
  transferMs: number
  code: Bid.Code
  /** Admitted + reserved invocations. */
  load: number
  slots: number
  declined?: Bid.Reason
}

/**
 * Turns the node's real state into a bid (docs/placement.md, "The bid"):
 * estimated completion = queue wait + run time + code preparation, where the run time is the
 * learned average for this CID (or a default scaled by speed), the wait is whole rounds of that
 * run time across the slots, and preparation is 0 when compiled, a compile when stored and a
 * fetch when absent, plus, for a chain step, the time to bring its input from where it is. A bid reserves a slot; a node declines when its slots and queue allowance
 * are taken or when it cannot finish within the deadline. What remote auctioneers may hold is
 * capped by how they treat what they are granted (docs/placement.md, "Hoarding").
 */
export class Bidder {
  constructor (private readonly components: BidderComponents, private readonly init: BidderInit) {}

  /**
   * Admitted invocations plus the reservations that count against the node's room: its own and
   * those of peers that claim what they are granted. Strangers' reservations are overbooked
   * (their pool is not counted), so identities made for the purpose cannot make this node
   * look full to anyone else.
   */
  load (): number {
    const held = this.held()
    return this.components.running() + held.self + held.known
  }

  estimate (cid: string, deadlineMs: number, load: number = this.load(), inputs: InputLocation[] = []): Estimate {
    const { components, init } = this
    const slots = components.slots()
    const code = components.codeState(cid)
    const runMs = components.estimates.get(cid) ?? DEFAULT_RUN_MS / init.speed
    const rounds = load < slots ? 0 : Math.floor((load - slots) / slots) + 1
    const prepareMs = code === Bid.Code.WARM ? 0 : code === Bid.Code.STORED ? COMPILE_MS / init.speed : FETCH_MS
    // a chain step's input comes to the winner from where it is: its holder saves the transfer
    const transferMs = inputs.reduce((sum, i) => sum + (components.transferMs?.(i.peer, i.bytes) ?? 0), 0)
    const estimatedMs = rounds * runMs + runMs + prepareMs + transferMs
    let declined: Bid.Reason | undefined
    if (load >= admits(slots, init.queuePerSlot)) declined = Bid.Reason.FULL
    else if (deadlineMs > 0 && estimatedMs > deadlineMs) declined = Bid.Reason.DEADLINE
    return { estimatedMs, transferMs, code, load, slots, declined }
  }

  /**
   * Takes back the reservations the call releases, then answers it (reserving a slot for
   * `auctioneer`) unless it only releases. A remote auctioneer excluded for letting its
   * reservations lapse is declined EXCLUDED; one at its cap is declined FULL (for it, the node
   * is full): each up to half of what the node admits, shrinking with its claim ratio; strangers
   * (never claimed here) together half of it, overbooked; peers that have claimed here together
   * all but a quarter, kept for this node's own auctions.
   */
  bid (call: CallForBids, auctioneer: string = SELF): Bid {
    const { reservations, ledger } = this.components
    for (const token of call.release) reservations.release(token, auctioneer)
    if (call.cid.byteLength === 0) return decline(call.auctionId, Bid.Reason.RELEASED)
    const cid = cidOf(call.cid)
    if (this.components.stopping?.() === true) return this.decline(call, Bid.Reason.STOPPING, 'stopping')
    const remote = auctioneer !== SELF
    // a low battery serves its own callers only (docs/placement.md, "Energy-aware bidding")
    if (remote && this.lowBattery()) return this.decline(call, Bid.Reason.BATTERY, 'battery')
    if (remote && ledger.isExcluded(auctioneer)) return this.decline(call, Bid.Reason.EXCLUDED, 'excluded')
    const stranger = remote && !ledger.isKnown(auctioneer)
    const held = this.held()
    // a stranger sees every reservation, its pool included: the overbooking is for the others
    const load = this.components.running() + held.self + held.known + (stranger ? held.strangers : 0)
    const estimate = this.estimate(cid, call.deadlineMs, load, call.inputs)
    if (estimate.declined != null) return this.decline(call, estimate.declined, estimate.declined === Bid.Reason.FULL ? 'full' : 'deadline')
    const capped = remote ? this.capped(auctioneer, stranger, held, admits(estimate.slots, this.init.queuePerSlot)) : undefined
    if (capped != null) return this.decline(call, Bid.Reason.FULL, capped)
    // tit for tat: once every slot is busy or promised, the queue is for this node's own callers
    // and the peers that have run work for it, who also bid cheaper (docs/config.md)
    const contributor = remote && this.components.contributes?.(auctioneer) === true
    if (remote && this.components.contributes != null && !contributor && estimate.load >= estimate.slots) return this.decline(call, Bid.Reason.FULL, 'contributors_first')
    const { token, ttlMs } = reservations.reserve(auctioneer, cid)
    return {
      status: Bid.Status.BID,
      auctionId: call.auctionId,
      estimatedMs: Math.ceil(estimate.estimatedMs),
      price: this.components.price(estimate.load / estimate.slots) * (contributor ? CONTRIBUTOR_PRICE : 1),
      reservation: token as Uint8Array<ArrayBuffer>,
      reservationTtlMs: ttlMs,
      code: estimate.code,
      reason: Bid.Reason.NONE
    }
  }

  private lowBattery (): boolean {
    const state = this.components.power?.()
    return state != null && isBelowThreshold(state, this.init.declineBelowPercent ?? 0)
  }

  /**
   * `bid`, after publisher trust: code this node cannot vouch for is declined UNTRUSTED without
   * reserving anything (the releases the call carries are still taken back).
   */
  async bidVouched (call: CallForBids, auctioneer: string = SELF): Promise<Bid> {
    const { vouch } = this.components
    if (vouch == null || call.cid.byteLength === 0) return this.bid(call, auctioneer)
    const cid = cidOf(call.cid)
    if (await vouch(cid, call.nameRecord)) return this.bid(call, auctioneer)
    for (const token of call.release) this.components.reservations.release(token, auctioneer)
    return this.decline(call, Bid.Reason.UNTRUSTED, 'untrusted')
  }

  /** Which cap a remote auctioneer has reached, if any. */
  private capped (auctioneer: string, stranger: boolean, held: Held, admit: number): DeclineLabel | undefined {
    const { reservations, ledger } = this.components
    if (reservations.heldBy(auctioneer) >= perPeerCap(admit, ledger.claimRatio(auctioneer))) return 'peer_limit'
    if (stranger) return held.strangers >= strangerPool(admit) ? 'stranger_pool' : undefined
    return held.known >= remotePool(admit) ? 'remote_pool' : undefined
  }

  /** Reservations held now, by who holds them (few owners: bids stop at the caps). */
  private held (): Held {
    const held: Held = { self: 0, known: 0, strangers: 0 }
    for (const [owner, count] of this.components.reservations.holders()) {
      if (owner === SELF) held.self += count
      else if (this.components.ledger.isKnown(owner)) held.known += count
      else held.strangers += count
    }
    return held
  }

  private decline (call: CallForBids, reason: Bid.Reason, label: DeclineLabel): Bid {
    this.components.metrics?.declined.inc({ reason: label })
    return decline(call.auctionId, reason)
  }
}

/** What a node admits: its slots and its queue allowance. */
export function admits (slots: number, queuePerSlot: number): number {
  return slots * (1 + queuePerSlot)
}

function decline (auctionId: string, reason: Bid.Reason): Bid {
  return { status: Bid.Status.DECLINED, auctionId, estimatedMs: 0, price: 0, reservation: new Uint8Array(0), reservationTtlMs: 0, code: Bid.Code.ABSENT, reason }
}

function cidOf (bytes: Uint8Array): string {
  try {
    return CID.decode(bytes).toString()
  } catch {
    throw new InvalidParametersError('the call for bids carries no valid CID')
  }
}
