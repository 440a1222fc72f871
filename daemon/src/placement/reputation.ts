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
  /** It let the reservations this node granted it lapse, more than twice beyond its claims (peer-ledger.ts). */
  | 'hoarding'
  /** It asked more of this node than its per-peer share (daemon/src/fairness): once per window. */
  | 'flooding'
  /** An answer of a function that ran came with no receipt, or one that does not verify (docs/protocols.md, "Receipts"). */
  | 'bad-receipt'

const PENALTY: Record<Offence, number> = { slow: 0.7, dishonoured: 0.25, garbage: 0.25, unreachable: 0.25, hoarding: 0.25, flooding: 0.5, 'bad-receipt': 0.25 }
/** Peers remembered at most. */
const MAX_ENTRIES = 4096
/** Offences that keep a peer out of placement for a while, not just lower its rank. */
const BANNED: ReadonlySet<Offence> = new Set(['dishonoured', 'garbage', 'unreachable', 'hoarding', 'bad-receipt'])

export interface ReputationInit {
  /** How long a first serious offence keeps a peer out; doubled per repeat. @default 30000 */
  banMs?: number
  /** The longest ban, however often a peer offended. @default 3600000 */
  maxBanMs?: number
  /** After a ban (or a slow bid), time for the score to climb back to 1. @default 30000 */
  recoveryMs?: number
  now?(): number
}

interface Entry {
  /** The latest offence, for the status page. */
  last: Offence
  value: number
  /** The score climbs back from `value` from this time on. */
  from: number
  bannedUntil: number
  offences: number
}

/**
 * A local score in [0, 1] per peer that placement trusts: 1 to start, cut by each offence and
 * climbing back linearly with time. A serious offence (a bid not honoured, garbage, a peer that
 * vanished under an invocation) also bans the peer from placement for a while, twice as long for
 * each repeat: a peer that bids best but never delivers stops winning after its first failure.
 */
export class Reputation {
  private readonly entries = new Map<string, Entry>()
  private readonly banMs: number
  private readonly maxBanMs: number
  private readonly recoveryMs: number
  private readonly now: () => number

  constructor (init: ReputationInit = {}) {
    this.banMs = init.banMs ?? 30_000
    this.maxBanMs = init.maxBanMs ?? 3_600_000
    this.recoveryMs = init.recoveryMs ?? 30_000
    this.now = init.now ?? Date.now
  }

  score (peer: string): number {
    const entry = this.entries.get(peer)
    if (entry == null) return 1
    return Math.min(1, entry.value + Math.max(0, this.now() - entry.from) / this.recoveryMs)
  }

  /** True while the peer is banned: placement leaves it out. */
  isExcluded (peer: string): boolean {
    const entry = this.entries.get(peer)
    return entry != null && this.now() < entry.bannedUntil
  }

  penalise (peer: string, offence: Offence): void {
    const now = this.now()
    const previous = this.entries.get(peer)
    const offences = (previous?.offences ?? 0) + (BANNED.has(offence) ? 1 : 0)
    // a lesser offence (a late answer to a call made before the ban) never shortens a ban in force
    const bannedUntil = Math.max(previous?.bannedUntil ?? 0, BANNED.has(offence) ? now + Math.min(this.maxBanMs, this.banMs * 2 ** (offences - 1)) : now)
    const value = this.score(peer) * PENALTY[offence]
    this.entries.delete(peer)
    this.entries.set(peer, { last: offence, value, from: bannedUntil, bannedUntil, offences })
    // bounded: the entry that offended longest ago goes first
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string)
  }

  /** A delivered invocation: a little trust back. */
  reward (peer: string): void {
    const entry = this.entries.get(peer)
    if (entry == null || this.isExcluded(peer)) return
    entry.value = Math.min(1, this.score(peer) + 0.1)
    entry.from = this.now()
  }

  /** Every peer that ever offended, for the status page and tests. */
  list (): Array<{ peer: string, score: number, offences: number, last: Offence, excluded: boolean }> {
    return [...this.entries.entries()].map(([peer, e]) => ({ peer, score: this.score(peer), offences: e.offences, last: e.last, excluded: this.isExcluded(peer) }))
  }
}
