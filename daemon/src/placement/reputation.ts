/** How badly a peer let us down. */
export type Offence =
  /** No bid within the window. */
  | 'slow'
  /** A bid it did not honour: refused, timed out or failed after winning. */
  | 'dishonoured'
  /** An answer that is not a valid message (garbage, a wrong auction id, a NaN price). */
  | 'garbage'
  /** The connection died under an invocation. */
  | 'unreachable'

const PENALTY: Record<Offence, number> = { slow: 0.7, dishonoured: 0.25, garbage: 0.25, unreachable: 0.25 }

export interface ReputationInit {
  /** Below this a peer is not asked at all. @default 0.3 */
  threshold?: number
  /** Time for a first offender's reputation to climb from 0 back to 1; doubled per repeat. @default 30000 */
  recoveryMs?: number
  /** The slowest recovery, however often a peer offended. @default 3600000 */
  maxRecoveryMs?: number
  now?(): number
}

interface Entry {
  value: number
  at: number
  offences: number
}

/**
 * A local score in [0, 1] per peer that placement trusts: 1 to start, cut by each offence,
 * recovering linearly with time, more slowly for repeat offenders. Placement skips peers below
 * the threshold and ranks the rest by it, so a peer that bids best but never delivers stops
 * winning after its first failure.
 */
export class Reputation {
  private readonly entries = new Map<string, Entry>()
  private readonly threshold: number
  private readonly recoveryMs: number
  private readonly maxRecoveryMs: number
  private readonly now: () => number

  constructor (init: ReputationInit = {}) {
    this.threshold = init.threshold ?? 0.3
    this.recoveryMs = init.recoveryMs ?? 30_000
    this.maxRecoveryMs = init.maxRecoveryMs ?? 3_600_000
    this.now = init.now ?? Date.now
  }

  score (peer: string): number {
    const entry = this.entries.get(peer)
    if (entry == null) return 1
    const recovery = Math.min(this.maxRecoveryMs, this.recoveryMs * 2 ** (entry.offences - 1))
    return Math.min(1, entry.value + (this.now() - entry.at) / recovery)
  }

  /** True when placement should leave the peer out. */
  isExcluded (peer: string): boolean {
    return this.score(peer) < this.threshold
  }

  penalise (peer: string, offence: Offence): void {
    const entry = this.entries.get(peer)
    this.entries.set(peer, { value: this.score(peer) * PENALTY[offence], at: this.now(), offences: (entry?.offences ?? 0) + 1 })
  }

  /** A delivered invocation: a little trust back. */
  reward (peer: string): void {
    const entry = this.entries.get(peer)
    if (entry == null) return
    entry.value = Math.min(1, this.score(peer) + 0.1)
    entry.at = this.now()
  }

  /** Every peer with a score below 1, for the status page and tests. */
  list (): Array<{ peer: string, score: number, offences: number }> {
    return [...this.entries.entries()].map(([peer, entry]) => ({ peer, score: this.score(peer), offences: entry.offences }))
  }
}
