/**
 * Messages between the executor (in the daemon) and its sandbox processes. They cross with V8's
 * serialisation (`ProcessChannel`, `serialization: 'advanced'`): byte arrays and `null` arrive as
 * they left, only the bytes a view covers are sent.
 */
import type { StateInit, WireWrites } from './state-imports.js'

export interface InvocationContext {
  /** Returned by `Math.random`'s seed import; same seed, same random sequence. */
  seed: number
  /** Returned by `Date.now()` for the whole invocation. */
  nowMs: number
}

export interface RunRequest {
  /** The function's CID: what the sandbox caches its compiled module under. */
  cid: string
  /** The instrumented module, sent with the first call of `cid` to a sandbox process. */
  code?: Uint8Array
  /** CIDs the daemon's module cache evicted since its last call here: the sandbox forgets them. */
  drop: string[]
  memory: { initialPages: number, maximumPages: number }
  input: Uint8Array
  fuel: number
  maxOutputBytes: number
  context: InvocationContext
  /** Testbeds only: the sandbox stays busy this many extra ms per unit of fuel used (0 = none). */
  extraMsPerFuel: number
  /** The snapshot of the invocation's state key and its cap; absent when it has none. */
  state?: StateInit
}

export interface WireError { name: string, message: string }

export type RunResponse =
  /** `writes`: present iff the request had `state` (keys set to a value, or deleted: `null`). */
  /** `compileMs`: the part of `runMs` spent compiling the module here (0 when it was cached). */
  | { ok: true, output: Uint8Array, fuelUsed: number, runMs: number, compileMs: number, logs: string[], writes?: WireWrites }
  | { ok: false, error: WireError, fuelUsed: number, runMs: number, compileMs: number, logs: string[] }
