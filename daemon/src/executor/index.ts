/**
 * @packageDocumentation
 *
 * The sandbox. Runs sanitized Wasm functions in a pool of sandbox processes (a guest that makes
 * V8 abort ends its sandbox, never the daemon): compile once per CID and process, a fresh
 * instance with a host-owned, capped memory per invocation, fuel, a wall-clock timeout that
 * kills and replaces the sandbox, and capped input and output. Knows nothing of libp2p or HTTP.
 *
 * @example
 * ```ts
 * const exec = executor({ slots: 2 })({ logger, modules: store })
 * await exec.start()
 * const { output, fuelUsed } = await exec.invoke(cid, new TextEncoder().encode('world'))
 * ```
 */
import { Executor as ExecutorClass } from './executor.js'
import type { ExecutionLimits } from './limits.js'
import type { InvocationContext } from './messages.js'
import type { PoolStats } from './pool.js'
import type { AbortOptions, ComponentLogger, TypedEventTarget } from '@libp2p/interface'
import type { Registry } from 'prom-client'

export { measureSpeed } from './speed.js'
export { logsOf, withLogs } from './logs.js'
export { DEFAULT_LIMITS, MAX_LIMITS, DEFAULT_SLOTS, DEFAULT_SPARES, DEFAULT_MAX_QUEUE } from './limits.js'
export type { ExecutionLimits } from './limits.js'
export type { InvocationContext } from './messages.js'
export type { PoolStats } from './pool.js'

/** A sanitized module ready to compile: instrumented bytes and its declared memory. */
export interface RunnableModule {
  bytes: Uint8Array
  memory: { initialPages: number, maximumPages?: number }
}

/** Where the executor gets the bytes of a CID it has not compiled yet (the function store). */
export interface ModuleSource {
  loadRunnable(cid: string, options?: AbortOptions): Promise<RunnableModule>
}

export interface ExecutorInit {
  /** Invocations run in parallel (one sandbox process each). @default max(1, cores - 1) */
  slots?: number
  /** Warm sandbox processes kept ready to replace a killed one. @default 1 */
  spares?: number
  /** Invocations that may wait for a slot; more are refused with NoCapacityError. @default 64 */
  maxQueue?: number
  /** Modules kept in memory (and compiled in the sandboxes that ran them). @default 256 */
  moduleCacheSize?: number
  /** V8 heap of each sandbox process in MiB; a guest that exhausts it ends only its sandbox. @default 64 */
  sandboxHeapMb?: number
  /** Module bytes each sandbox keeps compiled; beyond it, its least recently used go. @default 67108864 */
  sandboxModuleBytes?: number
  /** The node's limits per invocation. @default DEFAULT_LIMITS */
  limits?: Partial<ExecutionLimits>
  /**
   * Testbeds only: emulate a machine this many times slower than the reference. After each call
   * the sandbox stays busy for (slowdown - 1) x the call's fuel x the reference machine's time
   * per fuel unit. @default 1
   */
  slowdown?: number
}

export interface ExecutorComponents {
  logger: ComponentLogger
  modules: ModuleSource
  /** Prometheus registry for the executor's metrics; none are recorded without it. */
  registry?: Registry
}

export interface InvokeOptions extends AbortOptions {
  /** Stricter limits for this invocation (a function may ask for less than the node allows). */
  limits?: Partial<ExecutionLimits>
  /** Seed and clock the guest sees; by default a random seed and the current time. */
  context?: InvocationContext
  /**
   * The snapshot of the invocation's state key (DESIGN.md section 10) and the most it may hold,
   * keys and values (`state.maxBytes`). The guest reads and writes a copy through
   * `faasmesh.state_*`; without it those imports fail with `InvalidStateKeyError`. Its size
   * counts against no other limit.
   */
  state?: { entries: Map<string, Uint8Array>, maxBytes: number }
  /**
   * Whom the call is for, when it must wait for a slot: a remote peer's id; unset, the node's
   * own callers. Waiting calls are served round-robin by source (fair queueing). @default local
   */
  source?: string
}

export interface InvokeResult {
  output: Uint8Array
  /** Wall-clock time in the executor, queueing and compiling included. */
  durationMs: number
  /** Time the call held its sandbox (instantiate and run, a testbed's slowdown included). */
  runMs: number
  fuelUsed: number
  /** True when the module had to be compiled for this invocation. */
  cold: boolean
  /**
   * Where the time in the executor went, in ms: waiting for a sandbox slot (`queue`), loading the
   * instrumented module and compiling it in the sandbox (`compile`, 0 when both were cached),
   * instantiating and running it (`run`). The rest of `durationMs` is messaging with the sandbox.
   */
  timings?: { queue: number, compile: number, run: number }
  /** What the guest logged (capped). */
  logs: string[]
  /**
   * What the invocation changed in its state: a value per key set, `null` per key deleted.
   * Present iff `state` was given (the call returned normally: a failed call has no writes).
   */
  writes?: Map<string, Uint8Array | null>
}

export interface ExecutorEvents {
  /** Free slots or the queue length changed. */
  capacity: CustomEvent<PoolStats>
}

export interface Executor extends TypedEventTarget<ExecutorEvents> {
  /** The node's limits per invocation. */
  readonly limits: Readonly<ExecutionLimits>
  start(): Promise<void>
  stop(): Promise<void>
  /**
   * Runs the function `cid` on `input`. Throws the named errors of DESIGN.md section 2:
   * `ExecutionTimeoutError`, `OutOfFuelError`, `OutOfMemoryError`, `GuestTrapError`,
   * `PayloadTooLargeError`, `NoCapacityError`, or the reason of an aborted `signal`; and from
   * the state imports, `StateTooLargeError` (a write past the caps) or `InvalidStateKeyError`
   * (a bad key inside the state, or no `state` given). Once
   * `stop()` has begun, calls in flight or arriving throw `NodeStoppingError` (the node's
   * doing, never counted against the function); it does not wait for them (draining is the
   * daemon's job).
   */
  invoke(cid: string, input: Uint8Array, options?: InvokeOptions): Promise<InvokeResult>
  /** True when `cid` is compiled and cached. */
  isWarm(cid: string): boolean
  /** Compiled CIDs, most recently used first. */
  warmCids(limit: number): string[]
  stats(): PoolStats
}

export function executor (init: ExecutorInit = {}): (components: ExecutorComponents) => Executor {
  return (components) => new ExecutorClass(components, init)
}
