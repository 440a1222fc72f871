import { randomBytes } from 'node:crypto'
import { toString as toHex } from 'uint8arrays/to-string'
import { wallClock, type Clock, type ClockTimer } from '../utils/clock.js'
import type { Settlement } from './peer-ledger.js'

interface Held {
  timer: ClockTimer
  /** The auctioneer it was granted to (`self` for this node's own auctions). */
  owner: string
  /** The function the bid was for. */
  cid: string
}

/**
 * Slots promised by bids. A bid reserves one slot for a short TTL so that two concurrent
 * auctions cannot both win the last slot; the winner's invoke claims it, the auctioneer hands
 * back the losers' (a release), and anything unclaimed lapses at the TTL. A reservation belongs
 * to the auctioneer it was granted to and to the function it was bid for: only that peer may
 * claim or release it, and only for that function, so a slot won for one CID cannot be spent
 * fetching another. Every end is reported to `onSettled`, for the per-peer ledger.
 */
export class Reservations {
  private readonly held = new Map<string, Held>()
  private readonly byOwner = new Map<string, number>()

  /** `clock`: the TTL's timers; the simulator's virtual clock in testbed/src/sim. */
  constructor (private readonly ttlMs: number, private readonly onSettled: (owner: string, how: Settlement) => void = () => {}, private readonly clock: Clock = wallClock) {}

  /** Slots reserved and not yet claimed, released or lapsed. */
  get active (): number {
    return this.held.size
  }

  /** Reservations `owner` (the auctioneer's peer id) holds now. */
  heldBy (owner: string): number {
    return this.byOwner.get(owner) ?? 0
  }

  /** Every owner holding reservations now, with how many. */
  holders (): IterableIterator<[string, number]> {
    return this.byOwner.entries()
  }

  reserve (owner: string, cid: string): { token: Uint8Array, ttlMs: number } {
    const token = randomBytes(16)
    const key = toHex(token, 'base16')
    const timer = this.clock.setTimeout(() => { this.drop(key, 'lapsed') }, this.ttlMs)
    timer.unref?.()
    this.held.set(key, { timer, owner, cid })
    this.byOwner.set(owner, this.heldBy(owner) + 1)
    return { token: new Uint8Array(token), ttlMs: this.ttlMs }
  }

  /**
   * Takes the reservation `token` names for an invocation of `cid` by `owner`; false when it is
   * unknown, lapsed, taken already, another peer's or for another function (then it stays, and
   * lapses unless its owner claims or releases it).
   */
  claim (token: Uint8Array, owner: string, cid: string): boolean {
    const key = toHex(token, 'base16')
    const entry = this.held.get(key)
    if (entry == null || entry.owner !== owner || entry.cid !== cid) return false
    return this.drop(key, 'claimed')
  }

  /** Gives the slot back, for an auction that chose someone else; only its owner can. */
  release (token: Uint8Array, owner: string): boolean {
    const key = toHex(token, 'base16')
    if (this.held.get(key)?.owner !== owner) return false
    return this.drop(key, 'released')
  }

  /** Drops everything without settling it (the node is stopping: nobody is to blame). */
  clear (): void {
    for (const { timer } of this.held.values()) this.clock.clearTimeout(timer)
    this.held.clear()
    this.byOwner.clear()
  }

  private drop (key: string, how: Settlement): boolean {
    const entry = this.held.get(key)
    if (entry == null) return false
    this.clock.clearTimeout(entry.timer)
    this.held.delete(key)
    const left = this.heldBy(entry.owner) - 1
    if (left > 0) this.byOwner.set(entry.owner, left)
    else this.byOwner.delete(entry.owner)
    this.onSettled(entry.owner, how)
    return true
  }
}
