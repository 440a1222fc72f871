/**
 * The outputs this node keeps for chains (DESIGN.md section 11): a step's output stays on the
 * node that produced it, under the step's invocation id (its ref), until the next step fetches
 * it (`/faasmesh/chain-data/1.0.0`) or runs here. Bounded by bytes, entries and time, so a node
 * that produces outputs nobody collects holds a fixed amount of them.
 */
import type { Startable } from '@libp2p/interface'

/** Output bytes kept at most: sixteen 4 MiB outputs, or many more small ones. */
export const DEFAULT_OUTPUT_CACHE_BYTES = 64 * 1024 * 1024
/**
 * How long an output is kept after it was put. The next step is placed and fetches its input
 * within its invoke deadline; two minutes covers a slow placement with a retry.
 */
export const DEFAULT_OUTPUT_TTL_MS = 120_000
/**
 * Outputs kept at most, whatever their size: empty outputs cost nothing by bytes, yet each holds
 * a map entry and its ref (~200 B), so this keeps the table itself under ~13 MiB.
 */
export const DEFAULT_OUTPUT_CACHE_ENTRIES = 65_536
/** How often `start()`'s timer drops what expired while nothing was put or got. */
export const DEFAULT_OUTPUT_SWEEP_INTERVAL_MS = 10_000

export interface OutputCacheInit {
  /** Output bytes kept at most; the least recently used go first. @default 67108864 */
  maxBytes?: number
  /** Outputs kept at most; the least recently used go first. @default 65536 */
  maxEntries?: number
  /** How long an output is kept after it was put (a get does not extend it). @default 120000 */
  ttlMs?: number
  /** Interval of the sweep timer `start()` runs. @default 10000 */
  sweepIntervalMs?: number
  /** The clock, in ms; it must not go backwards. @default performance.now */
  now?: () => number
}

interface Entry {
  ref: string
  bytes: Uint8Array
  expiresAt: number
}

/**
 * Outputs by ref, least recently used dropped first past `maxBytes` or `maxEntries`, each gone
 * `ttlMs` after it was put. Expiry is checked on every get and put; the optional sweep timer
 * (`start()`) only frees memory on a node gone quiet, and never keeps the process alive.
 */
export class OutputCache implements Startable {
  /** By ref, least recently used first: a get moves an entry to the end. */
  private readonly entries = new Map<string, Entry>()
  /**
   * The same entries in the order they were put, which is the order they expire in (one ttl
   * for all, a clock that does not go back): expired ones are always at the front.
   */
  private readonly byExpiry = new Map<string, Entry>()
  private readonly maxBytes: number
  private readonly maxEntries: number
  private readonly ttlMs: number
  private readonly sweepIntervalMs: number
  private readonly now: () => number
  private total = 0
  private timer?: ReturnType<typeof setInterval>

  constructor (init: OutputCacheInit = {}) {
    this.maxBytes = init.maxBytes ?? DEFAULT_OUTPUT_CACHE_BYTES
    // at least the output just put: the eviction loop below relies on it
    this.maxEntries = Math.max(1, init.maxEntries ?? DEFAULT_OUTPUT_CACHE_ENTRIES)
    this.ttlMs = init.ttlMs ?? DEFAULT_OUTPUT_TTL_MS
    this.sweepIntervalMs = init.sweepIntervalMs ?? DEFAULT_OUTPUT_SWEEP_INTERVAL_MS
    this.now = init.now ?? (() => performance.now())
  }

  /** Output bytes kept now. */
  get bytes (): number {
    return this.total
  }

  /** Outputs kept now (some may have expired and not been dropped yet). */
  get size (): number {
    return this.entries.size
  }

  start (): void {
    if (this.timer != null) return
    this.timer = setInterval(() => { this.sweep() }, this.sweepIntervalMs)
    // memory hygiene only: a daemon ends when libp2p and the gateway do, not when this does
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
    this.timer = undefined
  }

  /**
   * Keeps `bytes` under `ref`, in place of what was there, and returns whether it was kept: an
   * output larger than `maxBytes` is not (and the old one under `ref` is gone all the same). The
   * bytes are kept as given, not copied, unless they are a view into a larger buffer; the
   * caller must not change them afterwards.
   */
  put (ref: string, bytes: Uint8Array): boolean {
    this.sweep()
    this.delete(ref)
    if (bytes.byteLength > this.maxBytes) return false
    // a view would hold its whole buffer (a stream chunk, a Wasm memory) while counting its part
    const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice()
    const entry: Entry = { ref, bytes: own, expiresAt: this.now() + this.ttlMs }
    this.entries.set(ref, entry)
    this.byExpiry.set(ref, entry)
    this.total += own.byteLength
    // the newest entry is last and fits on its own: the loop stops before reaching it
    for (const oldest of this.entries.values()) {
      if (this.total <= this.maxBytes && this.entries.size <= this.maxEntries) break
      this.remove(oldest)
    }
    return true
  }

  /** The output under `ref`, unless there is none or it expired; it becomes the most recently used. */
  get (ref: string): Uint8Array | undefined {
    this.sweep()
    const entry = this.entries.get(ref)
    if (entry == null) return undefined
    this.entries.delete(ref)
    this.entries.set(ref, entry)
    return entry.bytes
  }

  /** Drops the output under `ref`; whether there was one. */
  delete (ref: string): boolean {
    const entry = this.entries.get(ref)
    if (entry == null) return false
    this.remove(entry)
    return true
  }

  /** Drops every expired output: they are at the front of `byExpiry`, so this stops at the first live one. */
  private sweep (): void {
    const now = this.now()
    for (const entry of this.byExpiry.values()) {
      if (entry.expiresAt > now) return
      this.remove(entry)
    }
  }

  private remove (entry: Entry): void {
    this.entries.delete(entry.ref)
    this.byExpiry.delete(entry.ref)
    this.total -= entry.bytes.byteLength
  }
}
