/**
 * @packageDocumentation
 *
 * Placement auction, `/faasmesh/auction/1.0.0`: the auctioneer sends one `CallForBids`, the
 * bidder answers one `Bid` (or DECLINED), on the multiplexed channel (`../rpc`), so a call for
 * bids costs a frame, not a stream. Mechanism only: what to bid is the daemon's, through
 * `setBidder` (the placement issue). Spec: docs/protocols.md.
 *
 * A call for bids is idempotent (a repeat asks the same question; what it reserves lapses or is
 * released like any unclaimed bid): if the channel dies after it was sent, it is sent once more
 * on a fresh channel, within what is left of its time. An auctioneer that gives up on a bidder
 * (its bid window closed) cancels the call on the wire, so the bidder's `signal` aborts.
 * `Bid.Reason.STOPPING`: the bidder is draining and takes nothing new.
 *
 * @example
 * ```ts
 * node.services.auction.setBidder(async (call, { peer, signal }) => ({ status: Bid.Status.BID, ... }))
 * const bid = await node.services.auction.requestBid(peer, call, { timeoutMs: 200 })
 * ```
 */
import { PROTOCOL_PREFIX } from '../constants.js'
import { TypedRpc, type TypedHandler } from '../rpc/typed.js'
import { Bid, CallForBids } from './pb/auction.js'
import type { LinkShaper } from '../links.js'
import type { TrafficMeter } from '../traffic.js'
import type { PeerLimitsInit } from '../limits/index.js'
import type { RpcComponents } from '../rpc/index.js'
import type { AbortOptions, PeerId } from '@libp2p/interface'

export { Bid, CallForBids, InputLocation } from './pb/auction.js'

export const AUCTION_PROTOCOL = `${PROTOCOL_PREFIX}/auction/1.0.0`
/** A bid is a few dozen bytes; 4 KiB leaves room and nothing more. */
export const MAX_AUCTION_FRAME_BYTES = 4096
/** A call for bids is worth waiting this long, at most. */
export const DEFAULT_BID_TIMEOUT_MS = 500

export interface AuctionInit {
  /** Longest a bidder may take, and the default wait. @default 500 */
  bidTimeoutMs?: number
  /** Testbeds only: emulated links to peers. */
  shaper?: LinkShaper
  /** Told the bytes of every frame sent and received, as `auction` (see `../traffic.ts`). @default none */
  traffic?: TrafficMeter
  /** Per remote peer request and byte buckets; beyond them BUSY (see `../limits`). @default none */
  limits?: PeerLimitsInit
}

export type Bidder = TypedHandler<CallForBids, Bid>

export interface Auction {
  readonly protocol: string
  /**
   * Asks `peer` for a bid. Fails with the rpc's named errors (`RpcUnreachableError`,
   * `RpcTimeoutError`, `RpcChannelClosedError`, `RpcBusyError`, `RpcRemoteError`,
   * `RpcProtocolError` for an undecodable bid).
   */
  requestBid(peer: PeerId, call: CallForBids, options?: AbortOptions & { timeoutMs?: number }): Promise<Bid>
  setBidder(bidder: Bidder): void
}

class AuctionService extends TypedRpc<CallForBids, Bid> implements Auction {
  readonly [Symbol.toStringTag] = 'faasmesh:auction'

  constructor (components: RpcComponents, init: AuctionInit) {
    super(components, { protocol: AUCTION_PROTOCOL, maxFrameBytes: MAX_AUCTION_FRAME_BYTES, timeoutMs: init.bidTimeoutMs ?? DEFAULT_BID_TIMEOUT_MS, shaper: init.shaper, traffic: init.traffic, limits: init.limits }, CallForBids, Bid)
  }

  setBidder (bidder: Bidder): void { this.setHandler(bidder) }

  async requestBid (peer: PeerId, call: CallForBids, options: AbortOptions & { timeoutMs?: number } = {}): Promise<Bid> {
    return this.send(peer, call, { ...options, idempotent: true })
  }
}

export function auction (init: AuctionInit = {}): (components: RpcComponents) => Auction {
  return (components) => new AuctionService(components, init)
}
