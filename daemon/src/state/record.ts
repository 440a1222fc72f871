/**
 * A state key's record and the rules every model applies to it, in one place: the snapshot a
 * transaction runs against, a version-checked commit that applies an invocation id at most
 * once, the caps, and the protobuf encoding (on disk, in Redis, on the wire). No I/O here.
 */
import { StateRecord } from '../../../protocols/src/state/pb/state.js'
import { InvalidStateError, InvalidStateKeyError, StateTooLargeError } from '../errors.js'
import { MAX_APPLIED_IDS, MAX_ENTRIES, MAX_ENTRY_KEY_BYTES, MAX_KEPT_OUTPUT_BYTES, STATE_KEY_PATTERN } from './constants.js'
import type { Commit, StateSnapshot, WriteSet } from './backend.js'

export { StateRecord }

const utf8 = new TextEncoder()

/** Throws InvalidStateKeyError unless `stateKey` is 1-128 characters of `[A-Za-z0-9._:-]`. */
export function checkStateKey (stateKey: string): string {
  if (typeof stateKey !== 'string' || !STATE_KEY_PATTERN.test(stateKey)) {
    throw new InvalidStateKeyError(`a state key is 1-128 characters of [A-Za-z0-9._:-], got "${String(stateKey).slice(0, 40)}"`)
  }
  return stateKey
}

/** Throws InvalidStateKeyError for a key inside a state that is empty or above 256 bytes of UTF-8. */
export function checkEntryKey (key: string): void {
  const bytes = utf8.encode(key).byteLength
  if (bytes === 0 || bytes > MAX_ENTRY_KEY_BYTES) throw new InvalidStateKeyError(`a key inside a state is 1-${MAX_ENTRY_KEY_BYTES} bytes, got ${bytes}`)
}

/** What a state weighs against `state.maxBytes`: its keys (UTF-8) and values. */
export function stateBytes (entries: Map<string, Uint8Array>): number {
  let total = 0
  for (const [key, value] of entries) total += utf8.encode(key).byteLength + value.byteLength
  return total
}

export function emptyRecord (): StateRecord {
  return { version: 0, entries: [], applied: [] }
}

export function entriesOf (record: StateRecord): Map<string, Uint8Array> {
  return new Map(record.entries.map((e) => [e.key, e.value]))
}

/** The applied record of `invocationId`, if this key applied it. */
export function appliedOf (record: StateRecord, invocationId: string | undefined): { output: Uint8Array | null } | undefined {
  if (invocationId == null || invocationId === '') return undefined
  const found = record.applied.find((a) => a.id === invocationId)
  return found == null ? undefined : { output: found.outputKept ? found.output : null }
}

/** The snapshot a transaction on this record sees (bytes: what the caller moved to get it). */
export function snapshotOf (record: StateRecord, invocationId: string | undefined, bytes = 0): StateSnapshot {
  const applied = appliedOf(record, invocationId)
  return { version: record.version, entries: entriesOf(record), ...(applied != null ? { applied } : {}), bytes }
}

export type Applied =
  | { status: 'committed', record: StateRecord }
  | { status: 'conflict' }
  | { status: 'applied', output: Uint8Array | null }

/**
 * Applies `commit` to `record` if its version is still the expected one and its id is new to
 * the key. Returns the new record (the input is not changed); throws StateTooLargeError or
 * InvalidStateKeyError for a write set past the caps, before anything changes.
 */
export function applyCommit (record: StateRecord, commit: Commit, maxBytes: number): Applied {
  const applied = appliedOf(record, commit.invocationId)
  if (applied != null) return { status: 'applied', output: applied.output }
  if (record.version !== commit.expectedVersion) return { status: 'conflict' }
  const entries = applyWrites(entriesOf(record), commit.writes, maxBytes)
  const kept = commit.outputDropped !== true && commit.output.byteLength <= MAX_KEPT_OUTPUT_BYTES
  const ids = [...record.applied, { id: commit.invocationId, output: (kept ? commit.output : new Uint8Array(0)) as Uint8Array<ArrayBuffer>, outputKept: kept }]
  return {
    status: 'committed',
    record: {
      version: record.version + 1,
      entries: [...entries].map(([key, value]) => ({ key, value: value as Uint8Array<ArrayBuffer> })),
      applied: commit.invocationId === '' ? record.applied : ids.slice(-MAX_APPLIED_IDS)
    }
  }
}

/** `entries` with `writes` applied, checked against the caps. */
export function applyWrites (entries: Map<string, Uint8Array>, writes: WriteSet, maxBytes: number): Map<string, Uint8Array> {
  const next = new Map(entries)
  for (const [key, value] of writes) {
    checkEntryKey(key)
    if (value == null) next.delete(key)
    else next.set(key, value)
  }
  checkCaps(next, maxBytes)
  return next
}

/** Throws StateTooLargeError when `entries` hold more than `maxBytes` or MAX_ENTRIES keys. */
export function checkCaps (entries: Map<string, Uint8Array>, maxBytes: number): void {
  if (entries.size > MAX_ENTRIES) throw new StateTooLargeError(`a state holds at most ${MAX_ENTRIES} keys, this one would hold ${entries.size}`)
  const bytes = stateBytes(entries)
  if (bytes > maxBytes) throw new StateTooLargeError(`a state holds at most ${maxBytes} bytes, this one would hold ${bytes}`)
}

export function encodeRecord (record: StateRecord): Uint8Array {
  return StateRecord.encode(record)
}

/**
 * Decodes a record from disk, a database or a peer, with its caps checked: a corrupt or
 * hostile record is an InvalidStateError, never a crash or an unbounded allocation.
 */
export function decodeRecord (bytes: Uint8Array, maxBytes: number): StateRecord {
  let record: StateRecord
  try {
    record = StateRecord.decode(bytes, { limits: { entries: MAX_ENTRIES, applied: MAX_APPLIED_IDS } })
  } catch (err: any) {
    throw new InvalidStateError(`the state record does not decode: ${String(err?.message ?? err).slice(0, 200)}`)
  }
  const entries = new Map<string, Uint8Array>()
  for (const { key, value } of record.entries) {
    try {
      checkEntryKey(key)
    } catch (err: any) {
      throw new InvalidStateError(`the state record holds a bad key: ${err.message}`)
    }
    if (entries.has(key)) throw new InvalidStateError(`the state record holds the key "${key.slice(0, 40)}" twice`)
    entries.set(key, value)
  }
  if (!Number.isSafeInteger(record.version) || record.version < 0) throw new InvalidStateError('the state record has no valid version')
  try {
    checkCaps(entries, maxBytes)
  } catch (err: any) {
    throw new InvalidStateError(`the state record is past the caps: ${err.message}`)
  }
  return record
}
