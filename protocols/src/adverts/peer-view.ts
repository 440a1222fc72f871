import type { CapacityAdvert } from './pb/advert.js'
import type { PeerId } from '@libp2p/interface'

/** One peer's latest advert and when it arrived. */
export interface PeerEntry {
  peerId: PeerId
  advert: CapacityAdvert
  /** Our clock when the advert arrived, ms since the epoch. */
  receivedAt: number
}

/** The latest advert of every peer heard from, expiring entries after a TTL. */
export class PeerView {
  private readonly entries = new Map<string, PeerEntry>()

  get (peer: string): PeerEntry | undefined {
    return this.entries.get(peer)
  }

  /** Records an advert; true when the peer is new to the view. */
  upsert (peerId: PeerId, advert: CapacityAdvert, receivedAt: number): boolean {
    const key = peerId.toString()
    const isNew = !this.entries.has(key)
    this.entries.set(key, { peerId, advert, receivedAt })
    return isNew
  }

  remove (peer: string): PeerEntry | undefined {
    const entry = this.entries.get(peer)
    this.entries.delete(peer)
    return entry
  }

  /** Drops and returns the entries whose last advert is older than `ttlMs`. */
  expire (now: number, ttlMs: number): PeerEntry[] {
    const gone: PeerEntry[] = []
    for (const [key, entry] of this.entries) {
      if (now - entry.receivedAt > ttlMs) {
        this.entries.delete(key)
        gone.push(entry)
      }
    }
    return gone
  }

  list (): PeerEntry[] {
    return [...this.entries.values()]
  }

  clear (): void {
    this.entries.clear()
  }
}
