/**
 * The records this node keeps itself, one per state key: an in-edge replica's copies, the
 * directory of in-function homes, a home's in-function state. In memory, and optionally on disk
 * (one file per key, so a restarted node still has its copies).
 */
import { createHash } from 'node:crypto'
import { mkdir, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidStateError } from '../errors.js'
import { removeTempFiles, writeFileAtomic, writeFileAtomicSync } from '../utils/atomic-write.js'
import { DEFAULT_STATE_MAX_BYTES, MAX_STATE_MAX_BYTES } from './constants.js'
import { applyCommit, decodeRecord, emptyRecord, encodeRecord, snapshotOf, type StateRecord } from './record.js'
import type { Commit, CommitResult, StateSnapshot } from './backend.js'
import type { Startable } from '@libp2p/interface'

/** Persisted records kept decoded in memory beyond those in use; older ones are read again from disk. */
export const DEFAULT_CACHED_RECORDS = 1024

export interface LocalStateStoreInit {
  /** What a commit may make a state hold (`state.maxBytes`). @default DEFAULT_STATE_MAX_BYTES */
  maxBytes?: number
  /**
   * The directory of the records, one file per key named by the hex sha256 of the key. Memory
   * only when undefined.
   */
  dir?: string
  /** With a `dir`: records kept decoded in memory. @default DEFAULT_CACHED_RECORDS */
  cachedRecords?: number
  /**
   * With a `dir`: each change is flushed to the disk before it resolves (it survives a power
   * loss). Without, it is handed to the OS before it resolves (it survives the process, not a
   * power loss), which costs a fraction of a flush. @default true
   */
  fsync?: boolean
}

/** What an `update` step decides: a record to store (before the update resolves), and its result. */
export interface StoreUpdate<T> {
  record?: StateRecord
  result: T
}

/**
 * What `keep` found: `kept` (stored: nothing or an older version was held), `held` (this very
 * record was held already), `conflict` (a newer record, or another one at its version, is held).
 * `version` is the version held afterwards.
 */
export interface KeepResult {
  status: 'kept' | 'held' | 'conflict'
  version: number
}

/**
 * Records per state key. Changes to one key are serialised (two commits never interleave) and
 * are on disk before they resolve; a key's file is read on its first use, and the temporary
 * files of writes a crash interrupted are removed at start. A file that does not decode fails
 * that key alone with `InvalidStateError`. Records handed out are never changed in place: do
 * not mutate them.
 */
export class LocalStateStore implements Startable {
  readonly maxBytes: number
  private readonly dir?: string
  private readonly cachedRecords: number
  private readonly fsync: boolean
  /** Decoded records; with a `dir`, the most recently used ones (a Map keeps insertion order). */
  private readonly records = new Map<string, StateRecord>()
  /** Each key's last queued change: the next one runs after it. */
  private readonly tails = new Map<string, Promise<void>>()
  private opening?: Promise<void>

  constructor (init: LocalStateStoreInit = {}) {
    this.maxBytes = init.maxBytes ?? DEFAULT_STATE_MAX_BYTES
    this.dir = init.dir
    this.cachedRecords = Math.max(1, init.cachedRecords ?? DEFAULT_CACHED_RECORDS)
    this.fsync = init.fsync ?? true
  }

  /** Creates the directory and removes interrupted writes' temporary files; the first operation does it too. */
  async start (): Promise<void> {
    await this.open()
  }

  /** Waits for the changes in flight, then forgets what it holds in memory (the disk keeps it). */
  async stop (): Promise<void> {
    await Promise.all([...this.tails.values()])
    if (this.dir != null) this.records.clear()
    this.opening = undefined
  }

  /** The key's snapshot (`bytes` 0: nothing crossed a network), with `applied` for a known id. */
  async read (stateKey: string, invocationId?: string): Promise<StateSnapshot> {
    return snapshotOf((await this.record(stateKey)) ?? emptyRecord(), invocationId, 0)
  }

  /** The key's record, or undefined when it has none. */
  async record (stateKey: string): Promise<StateRecord | undefined> {
    const cached = this.cached(stateKey)
    if (cached != null) return cached
    await this.open()
    // a file is read in the key's queue, so that no change can land while it is read
    return this.serial(stateKey, async () => this.load(stateKey))
  }

  /** Applies `commit` (version check, at most once per id, caps) and stores the result before resolving. */
  async commit (stateKey: string, commit: Commit): Promise<CommitResult> {
    return this.update<CommitResult>(stateKey, (current) => {
      const applied = applyCommit(current, commit, this.maxBytes)
      if (applied.status === 'committed') return { record: applied.record, result: { status: 'committed', version: applied.record.version, bytes: 0 } }
      if (applied.status === 'applied') return { result: { status: 'applied', output: applied.output, bytes: 0 } }
      return { result: { status: 'conflict', bytes: 0 } }
    })
  }

  /**
   * A replica's copy: stores `record` if it is newer than what is held (a held copy that does not
   * decode is replaced). Throws InvalidStateError for a record past the protocol's caps.
   */
  async keep (stateKey: string, record: StateRecord): Promise<KeepResult> {
    const bytes = encodeRecord(record)
    // a peer's record: checked as one from disk would be
    const checked = decodeRecord(bytes, MAX_STATE_MAX_BYTES)
    await this.open()
    return this.serial(stateKey, async () => {
      let held: StateRecord | undefined
      try {
        held = await this.load(stateKey)
      } catch (err: any) {
        if (err?.name !== 'InvalidStateError') throw err
      }
      if (held == null || held.version < checked.version) {
        await this.persist(stateKey, checked, bytes)
        return { status: 'kept', version: checked.version }
      }
      const same = held.version === checked.version && equalBytes(encodeRecord(held), bytes)
      return { status: same ? 'held' : 'conflict', version: held.version }
    })
  }

  /**
   * Runs `step` on the key's record (an empty one when it has none) with no other change to the
   * key in between, stores the record it returns, then resolves with its result. A `step` that
   * throws, or returns no record, changes nothing.
   */
  async update<T> (stateKey: string, step: (current: StateRecord) => StoreUpdate<T> | Promise<StoreUpdate<T>>): Promise<T> {
    await this.open()
    return this.serial(stateKey, async () => {
      const current = (await this.load(stateKey)) ?? emptyRecord()
      const { record, result } = await step(current)
      if (record != null) await this.persist(stateKey, record, encodeRecord(record))
      return result
    })
  }

  /** Forgets the key (its file too); false when it had nothing. */
  async remove (stateKey: string): Promise<boolean> {
    await this.open()
    return this.serial(stateKey, async () => {
      const had = this.records.delete(stateKey)
      if (this.dir == null) return had
      try {
        await unlink(this.path(stateKey))
        return true
      } catch (err: any) {
        if (err?.code === 'ENOENT') return had
        throw err
      }
    })
  }

  private async open (): Promise<void> {
    if (this.dir == null) return
    const dir = this.dir
    this.opening ??= (async () => {
      await mkdir(dir, { recursive: true })
      await removeTempFiles(dir)
    })()
    // a failed start is tried again by the next operation
    this.opening.catch(() => { this.opening = undefined })
    await this.opening
  }

  /** Runs `fn` after the key's changes queued before it. */
  private async serial<T> (stateKey: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(stateKey) ?? Promise.resolve()
    const run = previous.then(fn)
    const tail = run.then(() => {}, () => {})
    this.tails.set(stateKey, tail)
    try {
      return await run
    } finally {
      if (this.tails.get(stateKey) === tail) this.tails.delete(stateKey)
    }
  }

  private cached (stateKey: string): StateRecord | undefined {
    const record = this.records.get(stateKey)
    if (record != null && this.dir != null) {
      // most recently used last
      this.records.delete(stateKey)
      this.records.set(stateKey, record)
    }
    return record
  }

  /** In the key's queue: its record from memory or disk, or undefined. */
  private async load (stateKey: string): Promise<StateRecord | undefined> {
    const cached = this.cached(stateKey)
    if (cached != null || this.dir == null) return cached
    let bytes: Uint8Array
    try {
      bytes = await readFile(this.path(stateKey))
    } catch (err: any) {
      if (err?.code === 'ENOENT') return undefined
      throw err
    }
    let record: StateRecord
    try {
      record = decodeRecord(bytes, MAX_STATE_MAX_BYTES)
    } catch (err: any) {
      throw new InvalidStateError(`the stored state of "${stateKey}" is corrupt: ${err?.message ?? err}`)
    }
    this.remember(stateKey, record)
    return record
  }

  private async persist (stateKey: string, record: StateRecord, bytes: Uint8Array): Promise<void> {
    if (this.dir != null) {
      // a flush waits for the disk: off the event loop. Without one the write only reaches the
      // page cache, quicker done here than through the thread pool
      if (this.fsync) await writeFileAtomic(this.path(stateKey), bytes, 0o600)
      else writeFileAtomicSync(this.path(stateKey), bytes, 0o600)
    }
    this.records.delete(stateKey)
    this.remember(stateKey, record)
  }

  private remember (stateKey: string, record: StateRecord): void {
    this.records.set(stateKey, record)
    if (this.dir == null) return
    // persisted: the least recently used can be read again
    for (const key of this.records.keys()) {
      if (this.records.size <= this.cachedRecords) break
      this.records.delete(key)
    }
  }

  private path (stateKey: string): string {
    return join(this.dir ?? '', createHash('sha256').update(stateKey, 'utf8').digest('hex'))
  }
}

function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
