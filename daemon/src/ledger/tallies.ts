import type { LedgerEntry } from './entry.js'

/** Work on one side: receipts, fuel and price summed. */
export interface Work {
  invocations: number
  fuel: number
  price: number
}

/** What this node and one peer did for each other, by their receipts. */
export interface PeerTally {
  peer: string
  /** The peer ran these for this node (receipts this node verified as auctioneer); `price`: what this node paid. */
  ranForUs: Work
  /** This node ran these for the peer (receipts it signed as executor); `price`: what the peer paid. */
  ranForThem: Work
  /** The latest receipt with the peer, ms since the epoch. */
  lastAt: number
}

/**
 * Tallies per peer, in memory (saved by the ledger with every batch). They outlive the receipts
 * the ledger drops. Bounded: beyond `maxPeers` the peer heard from longest ago goes first (a
 * stranger with one receipt long ago, typically; identities are free to make).
 */
export class Tallies {
  private readonly peers = new Map<string, PeerTally>()

  constructor (private readonly maxPeers: number) {}

  add (entry: LedgerEntry): void {
    const tally = this.peers.get(entry.peer) ?? { peer: entry.peer, ranForUs: none(), ranForThem: none(), lastAt: 0 }
    const side = entry.role === 'auctioneer' ? tally.ranForUs : tally.ranForThem
    side.invocations++
    side.fuel += entry.fuel
    side.price += entry.price
    tally.lastAt = Math.max(tally.lastAt, entry.at)
    // most recent last: the first key is the one to drop
    this.peers.delete(entry.peer)
    this.peers.set(entry.peer, tally)
    if (this.peers.size > this.maxPeers) this.peers.delete(this.peers.keys().next().value as string)
  }

  get (peer: string): PeerTally | undefined {
    return this.peers.get(peer)
  }

  list (): PeerTally[] {
    return [...this.peers.values()].map((t) => ({ ...t, ranForUs: { ...t.ranForUs }, ranForThem: { ...t.ranForThem } }))
  }

  /** Loads saved tallies (oldest first, as `list` gives them); malformed rows are skipped. */
  load (rows: unknown): void {
    if (!Array.isArray(rows)) return
    for (const row of rows) {
      if (!isTally(row)) continue
      this.peers.set(row.peer, { peer: row.peer, ranForUs: { ...row.ranForUs }, ranForThem: { ...row.ranForThem }, lastAt: row.lastAt })
      if (this.peers.size > this.maxPeers) this.peers.delete(this.peers.keys().next().value as string)
    }
  }
}

function none (): Work {
  return { invocations: 0, fuel: 0, price: 0 }
}

function isWork (w: any): w is Work {
  return w != null && Number.isFinite(w.invocations) && Number.isFinite(w.fuel) && Number.isFinite(w.price)
}

function isTally (t: any): t is PeerTally {
  return t != null && typeof t.peer === 'string' && t.peer.length > 0 && isWork(t.ranForUs) && isWork(t.ranForThem) && Number.isFinite(t.lastAt)
}
