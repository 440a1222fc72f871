/**
 * A map from peer to state with a hard cap on its size: beyond `maxEntries`, the entry used
 * longest ago is dropped (least recently used). A node that hears from 100k distinct identities
 * (each costs the sender nothing but a key pair) keeps `maxEntries` of them and no more.
 *
 * Dropping an entry forgets that peer's spent tokens: it comes back with a full bucket. That
 * costs at most one burst per eviction, and an eviction needs `maxEntries` other peers to speak
 * in between, each with a connection (a noise handshake) of its own.
 */
export class PeerTable<V> {
  private readonly entries = new Map<string, V>()

  constructor (private readonly maxEntries: number) {
    if (!(maxEntries >= 1)) throw new RangeError('a peer table holds at least one entry')
  }

  get size (): number {
    return this.entries.size
  }

  /** The entry for `key`, made by `create` if there is none; either way now the most recent. */
  get (key: string, create: () => V): V {
    let value = this.entries.get(key)
    if (value != null) {
      // a Map iterates in insertion order: re-inserting makes it the newest
      this.entries.delete(key)
    } else {
      value = create()
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string)
    }
    this.entries.set(key, value)
    return value
  }

  /** The entry for `key` if held, without touching its recency. */
  peek (key: string): V | undefined {
    return this.entries.get(key)
  }

  delete (key: string): void {
    this.entries.delete(key)
  }
}
