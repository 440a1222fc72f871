/** What became of one reservation: used (claimed), handed back (released), or left to lapse at its TTL. */
export type Settlement = 'claimed' | 'released' | 'lapsed'

export interface PeerLedgerInit {
  /** Counts halve over this time, so old conduct, good or bad, fades. @default 60000 */
  halfLifeMs?: number
  /** How long a first exclusion lasts; doubled per repeat. @default 30000 */
  excludeMs?: number
  /** The longest exclusion, however often a peer offends. @default 600000 */
  maxExcludeMs?: number
  /** Peers remembered at most. @default 1024 */
  maxPeers?: number
  now?(): number
}

/** One remote auctioneer's record, for the status page and tests. */
export interface PeerStanding {
  peer: string
  /** It has claimed a reservation here: it no longer shares the strangers' pool. */
  known: boolean
  claims: number
  releases: number
  lapses: number
  /** (claims + 1) / (claims + lapses + 1): 1 for a peer that never let one lapse. */
  claimRatio: number
  exclusions: number
  excluded: boolean
}

interface Entry {
  /** Decayed counts, as of `at`. */
  claims: number
  releases: number
  lapses: number
  at: number
  known: boolean
  exclusions: number
  excludedUntil: number
}

// peer ids cost nothing to make: 1024 entries (~150 B each) bound the ledger however many a
// stranger brings, and the oldest strangers go first so they cannot push out known peers
const MAX_PEERS = 1024
/** Entries looked at, oldest first, for a stranger to forget before forgetting a known peer. */
const EVICTION_SCAN = 32
// an honest auctioneer's release can come too late when either event loop stalls (seen with
// five daemons on two busy cores): a few lapses within a minute or so are forgiven
/** Lapses a peer may have beyond its claims (decayed counts) before it is excluded. */
export const TOLERATED_LAPSES = 2

/**
 * How each remote auctioneer treats the reservations this node grants it (issue 11: reservations
 * cannot be hoarded). A claim is use, a release is an honest "I chose someone else", a lapse at
 * the TTL is a slot held for nothing. Counts decay (half-life 60 s) and the ledger is a bounded
 * LRU. A peer whose lapses exceed its claims by more than two is excluded from this node's bids
 * for 30 s, doubled per repeat: a stranger at its third lapse in quick succession, a peer that
 * claimed once at its fourth. Releases do not offset lapses: they cost an attacker nothing.
 */
export class PeerLedger {
  private readonly entries = new Map<string, Entry>()
  private readonly halfLifeMs: number
  private readonly excludeMs: number
  private readonly maxExcludeMs: number
  private readonly maxPeers: number
  private readonly now: () => number

  constructor (init: PeerLedgerInit = {}, private readonly onExcluded: (peer: string, exclusions: number) => void = () => {}) {
    this.halfLifeMs = init.halfLifeMs ?? 60_000
    this.excludeMs = init.excludeMs ?? 30_000
    this.maxExcludeMs = init.maxExcludeMs ?? 600_000
    this.maxPeers = init.maxPeers ?? MAX_PEERS
    this.now = init.now ?? Date.now
  }

  /** True once the peer has claimed a reservation here (while it is remembered). */
  isKnown (peer: string): boolean {
    return this.entries.get(peer)?.known === true
  }

  isExcluded (peer: string): boolean {
    const entry = this.entries.get(peer)
    return entry != null && this.now() < entry.excludedUntil
  }

  /** (claims + 1) / (claims + lapses + 1), decayed: shrinks the peer's share of this node's slots. */
  claimRatio (peer: string): number {
    const entry = this.entries.get(peer)
    if (entry == null) return 1
    this.decay(entry)
    return ratio(entry)
  }

  settle (peer: string, how: Settlement): void {
    const entry = this.entries.get(peer) ?? this.create()
    // most recently settled last: the LRU order
    this.entries.delete(peer)
    this.entries.set(peer, entry)
    this.decay(entry)
    if (how === 'claimed') {
      entry.claims++
      entry.known = true
    } else if (how === 'released') {
      entry.releases++
    } else {
      entry.lapses++
      const now = this.now()
      if (now >= entry.excludedUntil && entry.lapses > entry.claims + TOLERATED_LAPSES) {
        entry.exclusions++
        entry.excludedUntil = now + Math.min(this.maxExcludeMs, this.excludeMs * 2 ** (entry.exclusions - 1))
        this.onExcluded(peer, entry.exclusions)
      }
    }
    if (this.entries.size > this.maxPeers) this.evict()
  }

  list (): PeerStanding[] {
    return [...this.entries.entries()].map(([peer, e]) => {
      this.decay(e)
      return { peer, known: e.known, claims: e.claims, releases: e.releases, lapses: e.lapses, claimRatio: ratio(e), exclusions: e.exclusions, excluded: this.now() < e.excludedUntil }
    })
  }

  private create (): Entry {
    return { claims: 0, releases: 0, lapses: 0, at: this.now(), known: false, exclusions: 0, excludedUntil: 0 }
  }

  private decay (entry: Entry): void {
    const now = this.now()
    if (now <= entry.at) return
    const factor = 0.5 ** ((now - entry.at) / this.halfLifeMs)
    entry.claims *= factor
    entry.releases *= factor
    entry.lapses *= factor
    entry.at = now
  }

  /** Forgets the least recently settled stranger among the oldest few, else the oldest entry. */
  private evict (): void {
    let scanned = 0
    for (const [peer, entry] of this.entries) {
      if (!entry.known && this.now() >= entry.excludedUntil) {
        this.entries.delete(peer)
        return
      }
      if (++scanned >= EVICTION_SCAN) break
    }
    this.entries.delete(this.entries.keys().next().value as string)
  }
}

function ratio (e: Entry): number {
  return (e.claims + 1) / (e.claims + e.lapses + 1)
}
