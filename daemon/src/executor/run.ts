/**
 * One invocation inside a sandbox: a fresh instance with its own host-owned memory, so nothing
 * survives in the instance from one caller to the next; fuel, memory and traps turned into named
 * errors. An invocation with a state key runs as a transaction on a working copy of its snapshot
 * (`state-imports.ts`): the write set goes back only with a normal return, never after a trap.
 *
 * Compiled modules are kept by CID for as long as the daemon says (it sends the bytes with the
 * first call of a CID here and names the CIDs to drop when its own cache evicts them).
 *
 * This file imports nothing from the rest of the daemon but the guest ABI, the host imports (and
 * the state caps they check) and the error classes: a sandbox must stay small and quick to start.
 */
import {
  GuestTrapError, InvalidModuleError, InvalidStateKeyError, OutOfFuelError, OutOfMemoryError, PayloadTooLargeError, StateTooLargeError
} from '../errors.js'
import { FUEL_GLOBAL_EXPORT, OOM_GLOBAL_EXPORT, START_EXPORT } from '../sanitizer/constants.js'
import { loaderGuest } from './guest.js'
import { GuestAbort, hostImports } from './host-imports.js'
import { fuelCharger, StateTransaction, type WireWrites } from './state-imports.js'
import type { RunRequest, RunResponse, WireError } from './messages.js'

const modules = new Map<string, WebAssembly.Module>()

/** Errors the host raises inside a guest call (output checks, state imports) that leave under their own name. */
const HOST_ERRORS = new Set([PayloadTooLargeError.name, GuestTrapError.name, OutOfFuelError.name, InvalidStateKeyError.name, StateTooLargeError.name])

function classify (err: any, fuelLeft: bigint | undefined, oom: boolean): WireError {
  if (err instanceof GuestAbort) return { name: GuestTrapError.name, message: `guest aborted: ${err.message}` }
  if (HOST_ERRORS.has(err?.name)) return { name: err.name, message: err.message }
  if (err instanceof WebAssembly.RuntimeError) {
    // fuel first: a failed grow can precede an unrelated trap, an exhausted budget cannot
    if (fuelLeft != null && fuelLeft < 0n) return { name: OutOfFuelError.name, message: 'the function used up its fuel budget' }
    if (oom) return { name: OutOfMemoryError.name, message: 'the function exceeded its memory limit' }
    return { name: GuestTrapError.name, message: `guest trapped: ${err.message}` }
  }
  if (err instanceof RangeError && /call stack/i.test(err.message)) {
    return { name: GuestTrapError.name, message: 'guest trapped: stack overflow' }
  }
  if (err instanceof RangeError && /memory/i.test(err.message)) {
    return { name: OutOfMemoryError.name, message: `could not allocate guest memory: ${err.message}` }
  }
  if (err instanceof WebAssembly.LinkError || err instanceof WebAssembly.CompileError) {
    return { name: InvalidModuleError.name, message: err.message }
  }
  return { name: GuestTrapError.name, message: `guest failed: ${String(err?.message ?? err)}` }
}

type Outcome =
  | { ok: true, output: Uint8Array, fuelUsed: number, logs: string[], writes?: WireWrites }
  | { ok: false, error: WireError, fuelUsed: number, logs: string[] }

// a testbed's slowdown holds the sandbox the way a slower CPU would (the slot stays busy), for a
// time proportional to the fuel the call used: the same call always costs the same, and a GC
// pause or a busy moment on the shared machine is not multiplied by the slowdown
const pause = new Int32Array(new SharedArrayBuffer(4))

/** Runs one request; never throws (every failure is a response with a named error). */
export function run (request: RunRequest): RunResponse {
  const started = performance.now()
  for (const cid of request.drop) modules.delete(cid)
  const timing = { compileMs: 0 }
  const outcome = execute(request, timing)
  const extraMs = outcome.fuelUsed * request.extraMsPerFuel
  if (extraMs > 0) Atomics.wait(pause, 0, 0, extraMs)
  return { ...outcome, runMs: performance.now() - started, compileMs: timing.compileMs }
}

function execute (request: RunRequest, timing: { compileMs: number }): Outcome {
  const logs: string[] = []
  const memory = new WebAssembly.Memory({ initial: request.memory.initialPages, maximum: request.memory.maximumPages })
  let fuel: WebAssembly.Global | undefined
  let oom: WebAssembly.Global | undefined
  const budget = BigInt(request.fuel)
  // the invocation's transaction: its writes leave only with a normal return
  const state = request.state != null ? new StateTransaction(request.state) : undefined
  const charge = fuelCharger(() => fuel)
  try {
    const guest = loaderGuest.instantiate(compiled(request, timing), hostImports({ memory, context: request.context, logs, state, charge }))
    fuel = guest.exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global | undefined
    oom = guest.exports[OOM_GLOBAL_EXPORT] as WebAssembly.Global | undefined
    if (fuel == null || oom == null) throw new InvalidModuleError('module is not instrumented')
    fuel.value = budget
    ;(guest.exports[START_EXPORT] as (() => void) | undefined)?.()
    const output = guest.call(request.input, request.maxOutputBytes)
    return { ok: true, output, fuelUsed: Number(budget - (fuel.value as bigint)), logs, ...(state != null ? { writes: state.writes() } : {}) }
  } catch (err) {
    const left = fuel?.value as bigint | undefined
    return {
      ok: false,
      error: classify(err, left, oom?.value === 1),
      fuelUsed: left == null ? 0 : Number(budget - (left < 0n ? 0n : left)),
      logs
    }
  }
}

/** The CID's compiled module: cached, or compiled from the bytes the daemon sent along (timed: a phase of the invocation). */
function compiled ({ cid, code }: RunRequest, timing: { compileMs: number }): WebAssembly.Module {
  let module = modules.get(cid)
  if (module == null) {
    // the daemon sends the bytes whenever it has not sent them to this process before
    if (code == null) throw new InvalidModuleError(`module ${cid} was not sent to this sandbox`)
    const started = performance.now()
    module = new WebAssembly.Module(code as Uint8Array<ArrayBuffer>)
    timing.compileMs = performance.now() - started
    modules.set(cid, module)
  }
  return module
}

