import { randomBytes } from 'node:crypto'
import { toString as toHex } from 'uint8arrays/to-string'

/**
 * Slots promised by bids. A bid reserves one slot for a short TTL so that two concurrent
 * auctions cannot both win the last slot; the winner's invoke claims it, the auctioneer hands
 * back the losers' (a release), and anything unclaimed lapses at the TTL.
 */
export class Reservations {
  private readonly held = new Map<string, { timer: ReturnType<typeof setTimeout>, owner: string }>()
  private readonly byOwner = new Map<string, number>()

  constructor (private readonly ttlMs: number) {}

  /** Slots reserved and not yet claimed, released or lapsed. */
  get active (): number {
    return this.held.size
  }

  /** Reservations `owner` (the auctioneer's peer id) holds now. */
  heldBy (owner: string): number {
    return this.byOwner.get(owner) ?? 0
  }

  reserve (owner: string): { token: Uint8Array, ttlMs: number } {
    const token = randomBytes(16)
    const key = toHex(token, 'base16')
    const timer = setTimeout(() => { this.drop(key) }, this.ttlMs)
    timer.unref()
    this.held.set(key, { timer, owner })
    this.byOwner.set(owner, this.heldBy(owner) + 1)
    return { token: new Uint8Array(token), ttlMs: this.ttlMs }
  }

  /** Takes the reservation `token` names; false when it is unknown, lapsed or taken already. */
  claim (token: Uint8Array): boolean {
    return this.drop(toHex(token, 'base16'))
  }

  /** Gives the slot back; same as a claim, for an auction that chose someone else. */
  release (token: Uint8Array): boolean {
    return this.drop(toHex(token, 'base16'))
  }

  clear (): void {
    for (const { timer } of this.held.values()) clearTimeout(timer)
    this.held.clear()
    this.byOwner.clear()
  }

  private drop (key: string): boolean {
    const entry = this.held.get(key)
    if (entry == null) return false
    clearTimeout(entry.timer)
    this.held.delete(key)
    const left = this.heldBy(entry.owner) - 1
    if (left > 0) this.byOwner.set(entry.owner, left)
    else this.byOwner.delete(entry.owner)
    return true
  }
}
