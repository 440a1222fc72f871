import { InvocationConflictError } from '../errors.js'
import { DEFAULT_DEDUP_WINDOW_MS, DEFAULT_MAX_REMEMBERED, DEFAULT_MAX_REMEMBERED_BYTES } from './constants.js'
import { invocationMetrics } from './metrics.js'
import { isFunctionError } from './outcomes.js'
import type { InvocationsInit } from './index.js'
import type { Registry } from 'prom-client'

export interface InvocationTableInit<T> {
  /** How long a settled outcome is kept for repeats. @default 600000 */
  windowMs?: number
  /** Ids remembered at most; the oldest settled go first. @default 10000 */
  maxEntries?: number
  /** Output bytes kept at most; the oldest settled go first. @default 67108864 */
  maxBytes?: number
  /** Bytes an outcome holds (its output). @default 0 */
  sizeOf?: (value: T) => number
  /**
   * Whether a failed run is remembered. A failure that proves the run did not happen, or left no
   * effect (refused, cancelled, the node stopping), is forgotten, so a later repeat runs it.
   * @default every failure is forgotten
   */
  remember?: (err: Error) => boolean
  /** Called when a repeat is answered without a run of its own. */
  onDeduplicated?: (how: 'joined' | 'recorded') => void
  /** Called when an outcome is dropped before its window ended (`count` or `bytes`). */
  onForgotten?: (reason: 'count' | 'bytes') => void
}

export interface RunOptions {
  signal?: AbortSignal
  /**
   * When this caller is the last to leave a run in progress, how long a retry has to join before
   * the run is aborted, by the reason the caller left: 0 (at once) for a caller that cancelled,
   * a moment for one whose channel was lost. @default () => 0
   */
  graceMs?: (reason: unknown) => number
}

interface Entry<T> {
  fingerprint: string
  promise: Promise<T>
  controller: AbortController
  waiters: number
  settled: boolean
  expiresAt: number
  bytes: number
  orphanTimer?: ReturnType<typeof setTimeout>
}

/**
 * At most once per invocation id (DESIGN.md section 9): the first request with an id runs the
 * work; a repeat with the same fingerprint joins the run in progress or gets the recorded
 * outcome; a repeat with another fingerprint is an InvocationConflictError. The run belongs to
 * the table, not to the first caller: each caller waits under its own signal, and the run is
 * aborted only when every caller has left. Bounded by count, bytes and time.
 */
export class InvocationTable<T> {
  private readonly entries = new Map<string, Entry<T>>()
  private readonly windowMs: number
  private readonly maxEntries: number
  private readonly maxBytes: number
  private bytes = 0

  constructor (private readonly init: InvocationTableInit<T> = {}) {
    this.windowMs = init.windowMs ?? DEFAULT_DEDUP_WINDOW_MS
    this.maxEntries = init.maxEntries ?? DEFAULT_MAX_REMEMBERED
    this.maxBytes = init.maxBytes ?? DEFAULT_MAX_REMEMBERED_BYTES
  }

  /** Ids remembered now, running or settled. */
  get size (): number {
    return this.entries.size
  }

  /** True when `id` is running or its outcome is remembered. */
  has (id: string): boolean {
    return this.live(id) != null
  }

  /**
   * Runs `work` for `id` unless it ran or runs already. `work` gets the run's own signal, which
   * aborts only when every caller has left (or `abortAll`).
   */
  async run (id: string, fingerprint: string, work: (signal: AbortSignal) => Promise<T>, options: RunOptions = {}): Promise<T> {
    options.signal?.throwIfAborted()
    let entry = this.live(id)
    if (entry != null && !entry.settled && entry.controller.signal.aborted) {
      // cancelled (its callers all left) and not yet wound down: a repeat does not inherit the
      // cancellation; it waits for the run to end (forgotten, or an outcome after all) and asks again
      await entry.promise.catch(() => {})
      return this.run(id, fingerprint, work, options)
    }
    if (entry != null) {
      if (entry.fingerprint !== fingerprint) throw new InvocationConflictError(`invocation id "${id}" was used for another function or input`)
      this.init.onDeduplicated?.(entry.settled ? 'recorded' : 'joined')
      // a settled outcome is final: the caller takes it as is
      if (entry.settled) return entry.promise
    } else {
      entry = this.start(id, fingerprint, work)
    }
    return this.wait(entry, options)
  }

  /** Aborts every run in progress with `reason` (the node is stopping). */
  abortAll (reason: Error): void {
    for (const entry of this.entries.values()) if (!entry.settled) entry.controller.abort(reason)
  }

  private start (id: string, fingerprint: string, work: (signal: AbortSignal) => Promise<T>): Entry<T> {
    const controller = new AbortController()
    const entry: Entry<T> = { fingerprint, promise: Promise.resolve().then(async () => work(controller.signal)), controller, waiters: 0, settled: false, expiresAt: Infinity, bytes: 0 }
    // nobody may be left to observe it (every caller gave up)
    entry.promise.catch(() => {})
    this.entries.set(id, entry)
    entry.promise.then((value) => {
      this.settle(id, entry, this.init.sizeOf?.(value) ?? 0)
    }, (err: Error) => {
      if (this.init.remember?.(err) === true) this.settle(id, entry, 0)
      else if (this.entries.get(id) === entry) this.entries.delete(id)
      entry.settled = true
    })
    this.trim()
    return entry
  }

  private async wait (entry: Entry<T>, options: RunOptions): Promise<T> {
    const signal = options.signal
    entry.waiters++
    clearTimeout(entry.orphanTimer)
    entry.orphanTimer = undefined
    if (signal == null) {
      try { return await entry.promise } finally { entry.waiters-- }
    }
    let onAbort: (() => void) | undefined
    try {
      return await Promise.race([entry.promise, new Promise<never>((_resolve, reject) => {
        onAbort = () => { reject(signal.reason) }
        signal.addEventListener('abort', onAbort, { once: true })
      })])
    } finally {
      if (onAbort != null) signal.removeEventListener('abort', onAbort)
      entry.waiters--
      if (entry.waiters === 0 && !entry.settled) this.orphan(entry, signal.reason, options.graceMs?.(signal.reason) ?? 0)
    }
  }

  /** Nobody waits for the run any more: it is aborted, after a grace for a retry to join. */
  private orphan (entry: Entry<T>, reason: unknown, graceMs: number): void {
    if (graceMs <= 0) {
      entry.controller.abort(reason)
      return
    }
    entry.orphanTimer = setTimeout(() => { if (entry.waiters === 0) entry.controller.abort(reason) }, graceMs)
    entry.orphanTimer.unref?.()
  }

  private settle (id: string, entry: Entry<T>, bytes: number): void {
    entry.settled = true
    if (this.entries.get(id) !== entry) return
    entry.expiresAt = Date.now() + this.windowMs
    entry.bytes = bytes
    this.bytes += bytes
    // settled entries move to the end: the map's order is the order they expire in
    this.entries.delete(id)
    this.entries.set(id, entry)
    this.trim()
  }

  private live (id: string): Entry<T> | undefined {
    const entry = this.entries.get(id)
    if (entry == null) return undefined
    if (entry.expiresAt > Date.now()) return entry
    this.drop(id, entry)
    return undefined
  }

  /** Drops expired outcomes, then the oldest settled ones while over a bound. */
  private trim (): void {
    const now = Date.now()
    for (const [id, entry] of this.entries) {
      const over = this.entries.size > this.maxEntries ? 'count' : this.bytes > this.maxBytes ? 'bytes' : undefined
      if (!entry.settled) continue
      if (entry.expiresAt <= now) { this.drop(id, entry); continue }
      if (over == null) break
      this.drop(id, entry)
      this.init.onForgotten?.(over)
    }
  }

  private drop (id: string, entry: Entry<T>): void {
    this.entries.delete(id)
    this.bytes -= entry.bytes
  }
}

/**
 * A node's table of the invocations it runs as `role` (the entry node's, or the executor's for
 * its peers), bounded by the config, remembering results and the function's own errors, and
 * counted in the registry.
 */
export function invocationTable<T> (role: 'entry' | 'executor', init: InvocationsInit = {}, sizeOf: (value: T) => number, registry?: Registry): InvocationTable<T> {
  const metrics = registry == null ? undefined : invocationMetrics(registry)
  return new InvocationTable<T>({
    windowMs: init.dedupWindowMs,
    maxEntries: init.maxRemembered,
    maxBytes: init.maxRememberedBytes,
    sizeOf,
    remember: isFunctionError,
    onDeduplicated: (how) => { metrics?.deduplicated.inc({ table: role, how }) },
    onForgotten: (reason) => { metrics?.forgotten.inc({ table: role, reason }) }
  })
}
