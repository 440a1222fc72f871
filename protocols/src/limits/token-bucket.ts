/**
 * A token bucket: holds at most `capacity` tokens and gains `perSecond` of them per second.
 * Time comes from the caller (`now`, in ms), so tests drive it with a fake clock and a busy
 * handler reads the clock once per request.
 */
export class TokenBucket {
  private level: number
  private updated: number

  constructor (private readonly capacity: number, private readonly perSecond: number, now: number) {
    this.level = capacity
    this.updated = now
  }

  /** Tokens held at `now` (negative while in debt, see `charge`). */
  available (now: number): number {
    this.refill(now)
    return this.level
  }

  /** Takes `n` tokens if the bucket holds them; otherwise takes nothing and returns false. */
  take (n: number, now: number): boolean {
    this.refill(now)
    if (this.level < n) return false
    this.level -= n
    return true
  }

  /**
   * Takes `n` tokens whether or not they are there: the bucket may go into debt, which later
   * refills repay. For costs known only afterwards (the bytes of an answer): admission checks
   * that the bucket is not in debt, and a large answer delays the next requests by its size.
   * The debt is bounded by one capacity, so one huge cost cannot lock a peer out for long.
   */
  charge (n: number, now: number): void {
    this.refill(now)
    this.level = Math.max(-this.capacity, this.level - n)
  }

  private refill (now: number): void {
    // a clock that steps back (a test, NTP on Date.now) refills nothing and never drains
    const elapsed = Math.max(0, now - this.updated)
    this.updated = Math.max(this.updated, now)
    this.level = Math.min(this.capacity, this.level + elapsed * this.perSecond / 1000)
  }
}
