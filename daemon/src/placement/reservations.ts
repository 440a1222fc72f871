import { randomBytes } from 'node:crypto'
import { toString as toHex } from 'uint8arrays/to-string'

/**
 * Slots promised by bids. A bid reserves one slot for a short TTL so that two concurrent
 * auctions cannot both win the last slot; the winner's invoke claims it, the auctioneer hands
 * back the losers' (a release), and anything unclaimed lapses at the TTL.
 */
export class Reservations {
  private readonly held = new Map<string, ReturnType<typeof setTimeout>>()

  constructor (private readonly ttlMs: number, private readonly onChange: () => void = () => {}) {}

  /** Slots reserved and not yet claimed, released or lapsed. */
  get active (): number {
    return this.held.size
  }

  reserve (): { token: Uint8Array, ttlMs: number } {
    const token = randomBytes(16)
    const key = toHex(token, 'base16')
    const timer = setTimeout(() => { this.drop(key) }, this.ttlMs)
    timer.unref()
    this.held.set(key, timer)
    this.onChange()
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
    for (const timer of this.held.values()) clearTimeout(timer)
    this.held.clear()
  }

  private drop (key: string): boolean {
    const timer = this.held.get(key)
    if (timer == null) return false
    clearTimeout(timer)
    this.held.delete(key)
    this.onChange()
    return true
  }
}
