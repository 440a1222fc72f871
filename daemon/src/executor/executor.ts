import { randomInt } from 'node:crypto'
import { TypedEventEmitter } from 'main-event'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { raceSignal } from 'race-signal'
import {
  AbortError, ExecutionTimeoutError, GuestTrapError, NoCapacityError, NodeStoppingError, NotStartedError, OutOfMemoryError, PayloadTooLargeError, reviveError
} from '../errors.js'
import { BoundedLabels } from '../utils/bounded-labels.js'
import { describeExit, type ExitInfo, type ProcessChannel } from '../utils/process-channel.js'
import {
  DEFAULT_LIMITS, DEFAULT_MAX_QUEUE, DEFAULT_MODULE_CACHE_SIZE, DEFAULT_SANDBOX_HEAP_MB, DEFAULT_SANDBOX_MODULE_BYTES, DEFAULT_SLOTS, DEFAULT_SPARES,
  type ExecutionLimits
} from './limits.js'
import { withLogs } from './logs.js'
import { WorkerPool, type PoolStats } from './pool.js'
import { Quarantine } from './quarantine.js'
import { REFERENCE_MS_PER_FUEL } from './speed.js'
import type {
  ExecutorComponents, ExecutorEvents, ExecutorInit, Executor as ExecutorInterface, InvokeOptions, InvokeResult, RunnableModule
} from './index.js'
import type { RunRequest, RunResponse } from './messages.js'
import type { Logger } from '@libp2p/interface'

const SANDBOX_URL = new URL('./sandbox-process.js', import.meta.url)

/**
 * Function CIDs with a series of their own in `faasmesh_executor_invocations_total`; the rest
 * count as `other`. Any peer can have this node run as many CIDs as it likes, and each label
 * value is a series kept for the life of the process: 256 CIDs x a handful of outcomes keeps
 * a scrape in the tens of KiB.
 */
export const MAX_FUNCTION_LABELS = 256

type Sandbox = ProcessChannel<RunRequest, RunResponse>

/** What the daemon knows of one sandbox process's module cache. */
interface SandboxModules {
  /** CIDs whose bytes were sent there (it compiled and keeps them), least recently used first, with their size. */
  loaded: Map<string, number>
  /** The sum of `loaded`. */
  bytes: number
  /** CIDs it should forget: it drops them with its next call. */
  drop: string[]
}

/** The executor: a module cache in front of a pool of sandbox processes. */
export class Executor extends TypedEventEmitter<ExecutorEvents> implements ExecutorInterface {
  readonly limits: Readonly<ExecutionLimits>
  private readonly components: ExecutorComponents
  private readonly log: Logger
  private readonly pool: WorkerPool<RunRequest, RunResponse>
  // insertion order doubles as recency order: a hit is deleted and re-inserted
  private readonly compiled = new Map<string, Promise<RunnableModule>>()
  // CIDs whose first run has finished: a call that waits for a pending load is cold too
  private readonly ready = new Set<string>()
  private readonly sandboxes = new Map<Sandbox, SandboxModules>()
  private readonly quarantine = new Quarantine()
  private readonly cacheSize: number
  private readonly sandboxModuleBytes: number
  private readonly extraMsPerFuel: number
  private readonly metrics?: ReturnType<typeof registerMetrics>
  private started = false
  // set from the moment stop() begins until the next start(): what fails then is the node's
  // doing, never the function's
  private stopping = false

  constructor (components: ExecutorComponents, init: ExecutorInit) {
    super()
    this.components = components
    this.log = components.logger.forComponent('faasmesh:executor')
    this.limits = { ...DEFAULT_LIMITS, ...init.limits }
    this.cacheSize = init.moduleCacheSize ?? DEFAULT_MODULE_CACHE_SIZE
    this.sandboxModuleBytes = init.sandboxModuleBytes ?? DEFAULT_SANDBOX_MODULE_BYTES
    // a machine `slowdown` times slower than the reference spends (slowdown - 1) reference times
    // per fuel unit more; the reference, not this machine's probe, so that testbed nodes sharing
    // one machine (whose probes vary with the load at start-up) all follow the same cost model
    this.extraMsPerFuel = Math.max(0, (init.slowdown ?? 1) - 1) * REFERENCE_MS_PER_FUEL
    this.pool = new WorkerPool({
      channel: {
        url: SANDBOX_URL,
        execArgv: [
          // the sandbox's own JS heap (marshaling, V8's per-instance objects such as tables);
          // guest memories are outside it and capped by their host-owned maximum
          `--max-old-space-size=${init.sandboxHeapMb ?? DEFAULT_SANDBOX_HEAP_MB}`,
          // a process-wide backstop behind that maximum (shared/research/wasm.md section 3.2)
          `--wasm-max-mem-pages=${this.limits.memoryPages}`
        ]
      },
      slots: init.slots ?? DEFAULT_SLOTS,
      spares: init.spares ?? DEFAULT_SPARES,
      maxQueue: init.maxQueue ?? DEFAULT_MAX_QUEUE,
      onChange: (stats) => { this.safeDispatchEvent('capacity', { detail: stats }) }
    })
    if (components.registry != null) this.metrics = registerMetrics(components.registry, () => this.pool.stats())
  }

  async start (): Promise<void> {
    if (this.started) return
    await this.pool.start()
    this.stopping = false
    this.started = true
    this.log('started %d slots', this.pool.stats().slots)
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.stopping = true
    await this.pool.stop()
    this.compiled.clear()
    this.ready.clear()
    this.sandboxes.clear()
  }

  stats (): PoolStats {
    return this.pool.stats()
  }

  isWarm (cid: string): boolean {
    return this.ready.has(cid)
  }

  warmCids (limit: number): string[] {
    // the cache map is in recency order, oldest first
    return [...this.compiled.keys()].filter((cid) => this.ready.has(cid)).reverse().slice(0, limit)
  }

  async invoke (cid: string, input: Uint8Array, options: InvokeOptions = {}): Promise<InvokeResult> {
    if (this.stopping) throw new NodeStoppingError('the executor is stopping')
    if (!this.started) throw new NotStartedError('executor is not started')
    const started = performance.now()
    const limits = this.effectiveLimits(options.limits)
    let outcome = 'ok'
    try {
      if (input.byteLength > limits.maxInputBytes) {
        throw new PayloadTooLargeError(`input is ${input.byteLength} bytes; the limit is ${limits.maxInputBytes}`)
      }
      const quarantined = this.quarantine.check(cid)
      if (quarantined != null) throw quarantined
      const cold = !this.ready.has(cid)
      const loadStarted = performance.now()
      const runnable = await raceSignal(this.load(cid), options.signal)
      const loadMs = performance.now() - loadStarted
      this.metrics?.starts.inc({ kind: cold ? 'cold' : 'warm' })
      const request: Omit<RunRequest, 'code' | 'drop'> = {
        cid,
        memory: {
          initialPages: runnable.memory.initialPages,
          maximumPages: Math.min(limits.memoryPages, runnable.memory.maximumPages ?? limits.memoryPages)
        },
        input,
        fuel: limits.fuel,
        maxOutputBytes: limits.maxOutputBytes,
        context: options.context ?? { seed: randomInt(2 ** 48 - 1), nowMs: Date.now() },
        extraMsPerFuel: this.extraMsPerFuel,
        ...(options.state != null ? { state: { entries: [...options.state.entries], maxBytes: options.state.maxBytes } } : {})
      }
      const waited = { queueMs: 0 }
      const response = await this.run(request, runnable, limits.timeoutMs, options, waited)
      // compiled in a sandbox now (unless V8 refused it): the next call is warm
      if ((response.ok || response.error.name !== 'InvalidModuleError') && this.compiled.has(cid)) this.ready.add(cid)
      for (const line of response.logs) this.log('[%s] %s', cid, line)
      // a failed call's lines go with its error: what it logged before it failed says why
      if (!response.ok) throw withLogs(reviveError(response.error), response.logs)
      return {
        output: response.output,
        durationMs: performance.now() - started,
        runMs: response.runMs,
        fuelUsed: response.fuelUsed,
        cold,
        timings: { queue: waited.queueMs, compile: loadMs + response.compileMs, run: response.runMs - response.compileMs },
        logs: response.logs,
        // copies: a received array is a view into the whole message, which a kept value would pin
        ...(options.state != null ? { writes: new Map(response.writes?.map(([key, value]) => [key, value == null ? null : new Uint8Array(value)])) } : {})
      }
    } catch (err: any) {
      outcome = String(err?.name ?? 'Error')
      throw err
    } finally {
      this.metrics?.invocations.inc({ function: this.metrics.functions.label(cid), outcome })
      this.metrics?.duration.observe({ outcome }, (performance.now() - started) / 1000)
    }
  }

  /** Runs the request in a sandbox; `waited.queueMs` is set to the time it waited for one. */
  private async run (request: Omit<RunRequest, 'code' | 'drop'>, runnable: RunnableModule, timeoutMs: number, options: InvokeOptions, waited: { queueMs: number }): Promise<RunResponse> {
    const queued = performance.now()
    try {
      let ran: Sandbox | undefined
      const response = await this.pool.run((sandbox) => {
        waited.queueMs = performance.now() - queued
        ran = sandbox
        return this.prepare(sandbox, request, runnable)
      }, { signal: options.signal, timeoutMs, source: options.source })
      // a module V8 refused to compile there is not cached there either
      if (!response.ok && response.error.name === 'InvalidModuleError' && ran != null) this.forget(ran, request.cid)
      return response
    } catch (err: any) {
      if (err?.name === 'ProcessTimeoutError') throw new ExecutionTimeoutError(`the function ran longer than ${timeoutMs} ms`)
      if (options.signal?.aborted === true) {
        const reason = options.signal.reason
        throw reason instanceof Error && reason.name !== 'TimeoutError' && reason.name !== 'AbortError' ? reason : new AbortError('invocation cancelled')
      }
      // stop() killed the sandbox under the call or closed the queue it waited in: no sign of
      // the function's behaviour, so no function error and nothing toward its quarantine
      if (this.stopping) throw new NodeStoppingError('the executor stopped during the invocation')
      if (err?.name === 'ProcessExitedError') {
        const died = sandboxDied(err.exit)
        this.quarantine.died(request.cid, died)
        throw died
      }
      // twice in a row a sandbox was gone before it took the call: this node cannot start them now
      if (err?.name === 'ProcessUnavailableError') throw new NoCapacityError(`no sandbox process could take the call: ${String(err.message)}`)
      throw err
    }
  }

  /**
   * The request for this sandbox: the module's bytes only if it has not had them yet. Each
   * sandbox keeps its own compiled copies, outside its V8 heap limit, so what it holds is
   * bounded in bytes too: beyond the budget its least recently used modules are dropped.
   */
  private prepare (sandbox: Sandbox, request: Omit<RunRequest, 'code' | 'drop'>, runnable: RunnableModule): RunRequest {
    let state = this.sandboxes.get(sandbox)
    if (state == null) {
      state = { loaded: new Map(), bytes: 0, drop: [] }
      this.sandboxes.set(sandbox, state)
      void sandbox.exited.then(() => { this.sandboxes.delete(sandbox) })
    }
    const { cid } = request
    const held = state.loaded.has(cid)
    this.forget(sandbox, cid, false)
    state.loaded.set(cid, runnable.bytes.byteLength)
    state.bytes += runnable.bytes.byteLength
    for (const [old] of state.loaded) {
      if (state.bytes <= this.sandboxModuleBytes || old === cid) break
      this.forget(sandbox, old)
    }
    return { ...request, code: held ? undefined : runnable.bytes, drop: state.drop.splice(0) }
  }

  /** Takes `cid` off what the daemon thinks `sandbox` holds, and (by default) has it drop it. */
  private forget (sandbox: Sandbox, cid: string, drop = true): void {
    const state = this.sandboxes.get(sandbox)
    const size = state?.loaded.get(cid)
    if (state == null || size == null) return
    state.loaded.delete(cid)
    state.bytes -= size
    if (drop) state.drop.push(cid)
  }

  /**
   * Loads a CID's runnable module once; concurrent cold invocations share the load. The load
   * belongs to the node, not to the first caller: it runs without any caller's signal (each
   * caller waits for it under its own), so one caller giving up never fails the others.
   */
  private async load (cid: string): Promise<RunnableModule> {
    let entry = this.compiled.get(cid)
    if (entry != null) {
      this.compiled.delete(cid)
      this.compiled.set(cid, entry)
      return entry
    }
    entry = this.components.modules.loadRunnable(cid)
    this.compiled.set(cid, entry)
    entry.catch(() => { if (this.compiled.get(cid) === entry) this.compiled.delete(cid) })
    while (this.compiled.size > this.cacheSize) this.evict(this.compiled.keys().next().value as string)
    return entry
  }

  /** Forgets a CID here, and tells every sandbox that holds it to forget it with its next call. */
  private evict (cid: string): void {
    this.compiled.delete(cid)
    this.ready.delete(cid)
    for (const sandbox of this.sandboxes.keys()) this.forget(sandbox, cid)
  }

  private effectiveLimits (requested: Partial<ExecutionLimits> = {}): ExecutionLimits {
    // a function may ask for less than the node allows, never more
    const limits = { ...this.limits }
    for (const key of Object.keys(limits) as Array<keyof ExecutionLimits>) {
      const value = requested[key]
      if (value != null && value > 0) limits[key] = Math.min(limits[key], value)
    }
    return limits
  }
}

function registerMetrics (registry: Registry, stats: () => PoolStats) {
  return {
    functions: new BoundedLabels(MAX_FUNCTION_LABELS),
    invocations: new Counter({
      name: 'faasmesh_executor_invocations_total',
      help: `Invocations run by this node, by function CID (the first ${MAX_FUNCTION_LABELS} seen, later ones as "other") and outcome (ok or the error name)`,
      labelNames: ['function', 'outcome'],
      registers: [registry]
    }),
    duration: new Histogram({
      name: 'faasmesh_executor_duration_seconds',
      help: 'Invocation duration in the executor, queueing and compiling included',
      labelNames: ['outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry]
    }),
    starts: new Counter({
      name: 'faasmesh_executor_starts_total',
      help: 'Invocation starts by kind: cold (module compiled for this call) or warm (compiled module cached)',
      labelNames: ['kind'],
      registers: [registry]
    }),
    pool: new Gauge({
      name: 'faasmesh_executor_pool_workers',
      help: 'Sandbox processes by state',
      labelNames: ['state'],
      registers: [registry],
      collect () {
        const s = stats()
        this.set({ state: 'busy' }, s.busy)
        this.set({ state: 'idle' }, s.idle)
        this.set({ state: 'spare' }, s.spares)
      }
    }),
    queue: new Gauge({
      name: 'faasmesh_executor_queue_length',
      help: 'Invocations waiting for a free executor slot',
      registers: [registry],
      collect () { this.set(stats().queued) }
    }),
    replaced: new Gauge({
      name: 'faasmesh_executor_workers_replaced',
      help: 'Sandbox processes replaced after a timeout, a cancellation or a crash since start',
      registers: [registry],
      collect () { this.set(stats().replaced) }
    })
  }
}

/**
 * The error for an invocation whose sandbox process died under it without being killed here.
 * Only a guest can cause that (the sandbox runs nothing else), so it is the function's error.
 * V8 prints why it aborted on stderr and nowhere else: that text is the only evidence there is.
 */
function sandboxDied (exit: ExitInfo | undefined): Error {
  const how = exit == null ? 'exited' : describeExit(exit)
  if (exit != null && /heap limit|out of memory/i.test(exit.stderr)) {
    return new OutOfMemoryError(`the function exhausted its sandbox's heap and V8 ended the sandbox process (${how}); the daemon replaced it`)
  }
  return new GuestTrapError(`the sandbox process died during the call (${how}); the daemon replaced it`)
}
