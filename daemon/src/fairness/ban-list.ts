/** A peer refused connections until `until` (ms since the epoch). */
export interface BanEntry {
  peer: string
  /** When the ban began and ends, ms since the epoch. */
  since: number
  until: number
  /** Which protocol's limits it was far over when banned. */
  protocol: string
  /** The addresses (IPs) it was connected from: their new handshakes are throttled meanwhile. */
  hosts: string[]
}

/** At most this many bans held: beyond it, the one ending soonest is lifted early. */
const MAX_BANS = 4096

/**
 * Peers banned for a while, bounded: a flood from many identities fills it at most to
 * MAX_BANS. Expired bans are dropped as they are met.
 */
export class BanList {
  private readonly entries = new Map<string, BanEntry>()

  constructor (private readonly now: () => number = Date.now) {}

  ban (peer: string, durationMs: number, protocol: string, hosts: string[] = []): BanEntry {
    const now = this.now()
    const entry: BanEntry = { peer, since: now, until: now + durationMs, protocol, hosts: [...new Set(hosts)].slice(0, 8) }
    this.entries.delete(peer)
    if (this.entries.size >= MAX_BANS) this.prune(now)
    if (this.entries.size >= MAX_BANS) {
      let soonest: BanEntry | undefined
      for (const e of this.entries.values()) if (soonest == null || e.until < soonest.until) soonest = e
      if (soonest != null) this.entries.delete(soonest.peer)
    }
    this.entries.set(peer, entry)
    return entry
  }

  isBanned (peer: string): boolean {
    const entry = this.entries.get(peer)
    if (entry == null) return false
    if (entry.until > this.now()) return true
    this.entries.delete(peer)
    return false
  }

  /** True while a peer banned from `host` is. */
  hasHost (host: string): boolean {
    const now = this.now()
    for (const entry of this.entries.values()) {
      if (entry.until > now && entry.hosts.includes(host)) return true
    }
    return false
  }

  /** Bans in force, soonest to end first. */
  list (): BanEntry[] {
    this.prune(this.now())
    return [...this.entries.values()].sort((a, b) => a.until - b.until)
  }

  private prune (now: number): void {
    for (const [peer, entry] of this.entries) if (entry.until <= now) this.entries.delete(peer)
  }
}
