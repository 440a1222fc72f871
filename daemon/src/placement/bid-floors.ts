import { wallClock, type Clock } from '../utils/clock.js'
import type { BidRecord } from './candidates.js'

/** A peer's best bid for a function is trusted for this long; after it, an auction asks again. */
export const FLOOR_TTL_MS = 30_000
/** (peer, function) pairs remembered at most, the oldest dropped first: 4096 * ~200 B. */
const MAX_FLOORS = 4096

interface Floor {
  /** Lowest estimate, round trip and price it bid since `since`: together, a score it never beat. */
  estimatedMs: number
  rttMs: number
  price: number
  since: number
}

/**
 * The best each peer has bid lately for each function (docs/placement.md, "The local fast
 * path"): the lowest estimate, round trip and price seen, each on its own, so their sum is a
 * score the peer did not beat in any auction of the last FLOOR_TTL_MS. When this node's own bid
 * is no worse than every peer's floor, it cannot lose against what the peers have offered, and
 * the auction is skipped. A floor lives FLOOR_TTL_MS from its first bid, then an auction learns
 * it afresh, so a peer that got faster is heard within that time.
 */
export class BidFloors {
  private readonly floors = new Map<string, Floor>()

  constructor (private readonly clock: Clock = wallClock, private readonly ttlMs = FLOOR_TTL_MS) {}

  /** Takes in the bids of one auction for `cid` (declines, errors and this node's own are ignored). */
  learn (cid: string, bids: BidRecord[]): void {
    const now = this.clock.now()
    for (const b of bids) {
      if (b.self || b.outcome !== 'bid' || b.estimatedMs == null || b.price == null) continue
      const key = `${b.peer} ${cid}`
      const floor = this.live(key, now)
      const rttMs = b.rttMs ?? 0
      if (floor == null) {
        this.floors.set(key, { estimatedMs: b.estimatedMs, rttMs, price: b.price, since: now })
        if (this.floors.size > MAX_FLOORS) this.floors.delete(this.floors.keys().next().value as string)
        continue
      }
      floor.estimatedMs = Math.min(floor.estimatedMs, b.estimatedMs)
      floor.rttMs = Math.min(floor.rttMs, rttMs)
      floor.price = Math.min(floor.price, b.price)
    }
  }

  /** The lowest score `peer` could have had for `cid` lately (as the auction scores bids), or undefined when unknown or stale. */
  floor (peer: string, cid: string, priceWeight: number): number | undefined {
    const floor = this.live(`${peer} ${cid}`, this.clock.now())
    return floor == null ? undefined : floor.estimatedMs + floor.rttMs + priceWeight * floor.price
  }

  private live (key: string, now: number): Floor | undefined {
    const floor = this.floors.get(key)
    if (floor == null) return undefined
    if (now - floor.since <= this.ttlMs) return floor
    this.floors.delete(key)
    return undefined
  }
}
