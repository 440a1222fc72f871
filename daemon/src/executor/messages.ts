/** Messages between the executor (main thread) and its workers. */

export interface InvocationContext {
  /** Returned by `Math.random`'s seed import; same seed, same random sequence. */
  seed: number
  /** Returned by `Date.now()` for the whole invocation. */
  nowMs: number
}

export interface RunRequest {
  module: WebAssembly.Module
  memory: { initialPages: number, maximumPages: number }
  input: Uint8Array
  fuel: number
  maxOutputBytes: number
  context: InvocationContext
  /** Testbeds only: the worker stays busy this many extra ms per unit of fuel used (0 = none). */
  extraMsPerFuel: number
}

export interface WireError { name: string, message: string }

export type RunResponse =
  | { ok: true, output: Uint8Array, fuelUsed: number, runMs: number, logs: string[] }
  | { ok: false, error: WireError, fuelUsed: number, runMs: number, logs: string[] }
