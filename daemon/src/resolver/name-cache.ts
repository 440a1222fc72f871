/**
 * What the resolver remembers about names: positive answers (a CID and the record that named it)
 * for their lifetime, and negative ones ("nobody has this name") for a short while. Keys are a
 * plain `name` or a scoped `publisher/name`. A record that arrives for a name (its publisher
 * announced it) replaces what is known for its key and clears every negative answer and plain
 * answer for that name, so a deploy is seen at once instead of after a TTL.
 */
import { MAX_CACHED_NAMES } from './constants.js'
import type { KnownNameRecord } from './index.js'

/** A CID and, when a publisher's signed record named it, that record. */
export interface Named { cid: string, record?: KnownNameRecord }

export class NameCache {
  // insertion order doubles as recency order: a hit is deleted and re-inserted
  private readonly hits = new Map<string, Named & { expires: number }>()
  private readonly misses = new Map<string, number>()

  constructor (private readonly ttlMs: number, private readonly negativeTtlMs: number, private readonly now: () => number = Date.now) {}

  /** Positive answers held (expired ones included until they are next asked for or pushed out). */
  get size (): number {
    return this.hits.size
  }

  /** A key's unexpired answer; a hit becomes the most recently used. */
  get (key: string): Named | undefined {
    const entry = this.hits.get(key)
    if (entry == null) return undefined
    this.hits.delete(key)
    if (entry.expires <= this.now()) return undefined
    this.hits.set(key, entry)
    return { cid: entry.cid, ...(entry.record != null ? { record: entry.record } : {}) }
  }

  set (key: string, named: Named): void {
    this.misses.delete(key)
    this.hits.delete(key)
    this.hits.set(key, { ...named, expires: this.now() + this.ttlMs })
    while (this.hits.size > MAX_CACHED_NAMES) this.hits.delete(this.hits.keys().next().value as string)
  }

  /** Whether the key was looked up and found nowhere within the negative TTL. */
  missed (key: string): boolean {
    const expires = this.misses.get(key)
    if (expires == null) return false
    if (expires > this.now()) return true
    this.misses.delete(key)
    return false
  }

  miss (key: string): void {
    if (this.negativeTtlMs <= 0) return
    this.hits.delete(key)
    this.misses.delete(key)
    this.misses.set(key, this.now() + this.negativeTtlMs)
    while (this.misses.size > MAX_CACHED_NAMES) this.misses.delete(this.misses.keys().next().value as string)
  }

  /**
   * `record`, announced by its publisher: it becomes the answer for `publisher/name` (unless a
   * newer one is known), a tombstone removes that answer; the plain name is asked again next
   * time (several publishers may use it), and no negative answer for the name survives.
   */
  announced (record: KnownNameRecord): void {
    const scoped = `${record.publisher}/${record.name}`
    const known = this.hits.get(scoped)
    this.misses.delete(scoped)
    this.misses.delete(record.name)
    this.hits.delete(record.name)
    if (known?.record != null && known.record.seq > record.seq) return
    if (record.deleted === true) this.hits.delete(scoped)
    else this.set(scoped, { cid: record.cid, record })
  }
}
