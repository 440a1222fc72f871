import { CID } from 'multiformats/cid'
import { Bid, type CallForBids } from '../../../protocols/src/auction/index.js'
import { InvalidParametersError } from '../errors.js'
import { COMPILE_MS, DEFAULT_RUN_MS, FETCH_MS } from './defaults.js'
import type { RunTimeEstimates } from './estimates.js'
import type { Reservations } from './reservations.js'

/** The owner of reservations this node makes for its own auctions. */
const SELF = 'self'

export interface BidderInit {
  /** Invocations per slot this node accepts to queue; beyond them it declines. */
  queuePerSlot: number
  /** Relative speed (1 = the reference machine), a testbed's slowdown applied. */
  speed: number
}

export interface BidderComponents {
  /** Invocations admitted here and not answered yet. */
  running(): number
  slots(): number
  /** What this node holds of the function. */
  codeState(cid: string): Bid.Code
  estimates: RunTimeEstimates
  reservations: Reservations
  /** The price at a utilisation (load / slots). */
  price(utilisation: number): number
}

/** What this node would promise for one invocation of `cid`, before reserving anything. */
export interface Estimate {
  estimatedMs: number
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
 * fetch when absent. A bid reserves a slot; a node declines when its slots and queue allowance
 * are taken or when it cannot finish within the deadline.
 */
export class Bidder {
  constructor (private readonly components: BidderComponents, private readonly init: BidderInit) {}

  estimate (cid: string, deadlineMs: number): Estimate {
    const { components, init } = this
    const slots = components.slots()
    const load = components.running() + components.reservations.active
    const code = components.codeState(cid)
    const runMs = components.estimates.get(cid) ?? DEFAULT_RUN_MS / init.speed
    const rounds = load < slots ? 0 : Math.floor((load - slots) / slots) + 1
    const prepareMs = code === Bid.Code.WARM ? 0 : code === Bid.Code.STORED ? COMPILE_MS / init.speed : FETCH_MS
    const estimatedMs = rounds * runMs + runMs + prepareMs
    let declined: Bid.Reason | undefined
    if (load >= slots * (1 + init.queuePerSlot)) declined = Bid.Reason.FULL
    else if (deadlineMs > 0 && estimatedMs > deadlineMs) declined = Bid.Reason.DEADLINE
    return { estimatedMs, code, load, slots, declined }
  }

  /** Reservations one peer may hold at once: half of what the node admits, at least one. */
  private perAuctioneer (slots: number): number {
    return Math.max(1, Math.ceil(slots * (1 + this.init.queuePerSlot) / 2))
  }

  /**
   * Takes back the reservations the call releases, then answers it (reserving a slot for
   * `auctioneer`) unless it only releases. One auctioneer never holds more than half of what
   * this node admits: a busy entry node may run several auctions at once, but no single peer
   * can make the node look full to everyone else by calling for bids it never claims.
   */
  bid (call: CallForBids, auctioneer: string = SELF): Bid {
    const { reservations } = this.components
    for (const token of call.release) reservations.release(token)
    if (call.cid.byteLength === 0) return decline(call.auctionId, Bid.Reason.RELEASED)
    const estimate = this.estimate(cidOf(call.cid), call.deadlineMs)
    if (estimate.declined != null) return decline(call.auctionId, estimate.declined)
    if (auctioneer !== SELF && reservations.heldBy(auctioneer) >= this.perAuctioneer(estimate.slots)) return decline(call.auctionId, Bid.Reason.FULL)
    const { token, ttlMs } = reservations.reserve(auctioneer)
    return {
      status: Bid.Status.BID,
      auctionId: call.auctionId,
      estimatedMs: Math.ceil(estimate.estimatedMs),
      price: this.components.price(estimate.load / estimate.slots),
      reservation: token as Uint8Array<ArrayBuffer>,
      reservationTtlMs: ttlMs,
      code: estimate.code,
      reason: Bid.Reason.NONE
    }
  }
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
