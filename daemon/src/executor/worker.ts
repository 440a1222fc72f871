/**
 * Worker entry: runs one invocation at a time, each in a fresh instance with its own
 * host-owned memory, so no state survives from one caller to the next.
 *
 * This file imports nothing from the rest of the daemon but the guest ABI, the host imports and
 * the error classes: a worker must stay small (each costs ~9 MiB) and quick to start.
 */
import { parentPort } from 'node:worker_threads'
import { GuestTrapError, InvalidModuleError, OutOfFuelError, OutOfMemoryError } from '../errors.js'
import { FUEL_GLOBAL_EXPORT, OOM_GLOBAL_EXPORT, START_EXPORT } from '../sanitizer/constants.js'
import { loaderGuest } from './guest.js'
import { GuestAbort, hostImports } from './host-imports.js'
import type { RunRequest, RunResponse, WireError } from './messages.js'

function classify (err: any, fuelLeft: bigint | undefined, oom: boolean): WireError {
  if (err instanceof GuestAbort) return { name: GuestTrapError.name, message: `guest aborted: ${err.message}` }
  if (err?.name === 'PayloadTooLargeError' || err?.name === 'GuestTrapError') return { name: err.name, message: err.message }
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

type Outcome = { ok: true, output: Uint8Array, fuelUsed: number, logs: string[] } | { ok: false, error: WireError, fuelUsed: number, logs: string[] }

// a testbed's slowdown holds the worker the way a slower CPU would (the slot stays busy), for a
// time proportional to the fuel the call used: the same call always costs the same, and a GC
// pause or a busy moment on the shared machine is not multiplied by the slowdown
const pause = new Int32Array(new SharedArrayBuffer(4))

function run (request: RunRequest): RunResponse {
  const started = performance.now()
  const outcome = execute(request)
  const extraMs = outcome.fuelUsed * request.extraMsPerFuel
  if (extraMs > 0) Atomics.wait(pause, 0, 0, extraMs)
  return { ...outcome, runMs: performance.now() - started }
}

function execute (request: RunRequest): Outcome {
  const logs: string[] = []
  const memory = new WebAssembly.Memory({ initial: request.memory.initialPages, maximum: request.memory.maximumPages })
  let fuel: WebAssembly.Global | undefined
  let oom: WebAssembly.Global | undefined
  const budget = BigInt(request.fuel)
  try {
    const guest = loaderGuest.instantiate(request.module, hostImports({ memory, context: request.context, logs }))
    fuel = guest.exports[FUEL_GLOBAL_EXPORT] as WebAssembly.Global | undefined
    oom = guest.exports[OOM_GLOBAL_EXPORT] as WebAssembly.Global | undefined
    if (fuel == null || oom == null) throw new InvalidModuleError('module is not instrumented')
    fuel.value = budget
    ;(guest.exports[START_EXPORT] as (() => void) | undefined)?.()
    const output = guest.call(request.input, request.maxOutputBytes)
    return { ok: true, output, fuelUsed: Number(budget - (fuel.value as bigint)), logs }
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

parentPort?.on('message', (request: RunRequest & { id: number }) => {
  const response = run(request)
  const transfer = response.ok ? [response.output.buffer as ArrayBuffer] : []
  parentPort!.postMessage({ ...response, id: request.id }, transfer)
})
