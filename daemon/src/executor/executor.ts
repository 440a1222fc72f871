import { randomInt } from 'node:crypto'
import { TypedEventEmitter } from 'main-event'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import {
  AbortError, ExecutionTimeoutError, GuestTrapError, NotStartedError, OutOfMemoryError, PayloadTooLargeError, reviveError
} from '../errors.js'
import {
  DEFAULT_LIMITS, DEFAULT_MAX_QUEUE, DEFAULT_MODULE_CACHE_SIZE, DEFAULT_SLOTS, DEFAULT_SPARES, WORKER_RESOURCE_LIMITS,
  type ExecutionLimits
} from './limits.js'
import { WorkerPool, type PoolStats } from './pool.js'
import { REFERENCE_MS_PER_FUEL } from './speed.js'
import type {
  ExecutorComponents, ExecutorEvents, ExecutorInit, Executor as ExecutorInterface, InvokeOptions, InvokeResult, RunnableModule
} from './index.js'
import type { RunRequest, RunResponse } from './messages.js'
import type { Logger } from '@libp2p/interface'

const WORKER_URL = new URL('./worker.js', import.meta.url)

interface Compiled {
  module: WebAssembly.Module
  memory: RunnableModule['memory']
}

/** The executor: compiled-module cache in front of a worker pool. */
export class Executor extends TypedEventEmitter<ExecutorEvents> implements ExecutorInterface {
  readonly limits: Readonly<ExecutionLimits>
  private readonly components: ExecutorComponents
  private readonly log: Logger
  private readonly pool: WorkerPool<RunRequest, RunResponse>
  // insertion order doubles as recency order: a hit is deleted and re-inserted
  private readonly compiled = new Map<string, Promise<Compiled>>()
  // CIDs whose compile has finished: a call that waits for a pending compile is cold too
  private readonly ready = new Set<string>()
  private readonly cacheSize: number
  private readonly extraMsPerFuel: number
  private readonly metrics?: ReturnType<typeof registerMetrics>
  private started = false

  constructor (components: ExecutorComponents, init: ExecutorInit) {
    super()
    this.components = components
    this.log = components.logger.forComponent('faasmesh:executor')
    this.limits = { ...DEFAULT_LIMITS, ...init.limits }
    this.cacheSize = init.moduleCacheSize ?? DEFAULT_MODULE_CACHE_SIZE
    // a machine `slowdown` times slower than the reference spends (slowdown - 1) reference times
    // per fuel unit more; the reference, not this machine's probe, so that testbed nodes sharing
    // one machine (whose probes vary with the load at start-up) all follow the same cost model
    this.extraMsPerFuel = Math.max(0, (init.slowdown ?? 1) - 1) * REFERENCE_MS_PER_FUEL
    this.pool = new WorkerPool({
      channel: { url: WORKER_URL, resourceLimits: WORKER_RESOURCE_LIMITS },
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
    this.started = true
    this.log('started %d slots', this.pool.stats().slots)
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    await this.pool.stop()
    this.compiled.clear()
    this.ready.clear()
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
    if (!this.started) throw new NotStartedError('executor is not started')
    const started = performance.now()
    const limits = this.effectiveLimits(options.limits)
    let outcome = 'ok'
    try {
      if (input.byteLength > limits.maxInputBytes) {
        throw new PayloadTooLargeError(`input is ${input.byteLength} bytes; the limit is ${limits.maxInputBytes}`)
      }
      const cold = !this.ready.has(cid)
      const compiled = await this.load(cid, options)
      this.metrics?.starts.inc({ kind: cold ? 'cold' : 'warm' })
      const request: RunRequest = {
        module: compiled.module,
        memory: {
          initialPages: compiled.memory.initialPages,
          maximumPages: Math.min(limits.memoryPages, compiled.memory.maximumPages ?? limits.memoryPages)
        },
        // a copy the worker can own: the caller's buffer may be a view into a larger one
        input: new Uint8Array(input),
        fuel: limits.fuel,
        maxOutputBytes: limits.maxOutputBytes,
        context: options.context ?? { seed: randomInt(2 ** 48 - 1), nowMs: Date.now() },
        extraMsPerFuel: this.extraMsPerFuel
      }
      const response = await this.run(request, limits.timeoutMs, options)
      for (const line of response.logs) this.log('[%s] %s', cid, line)
      if (!response.ok) throw reviveError(response.error)
      return {
        output: response.output,
        durationMs: performance.now() - started,
        runMs: response.runMs,
        fuelUsed: response.fuelUsed,
        cold,
        logs: response.logs
      }
    } catch (err: any) {
      outcome = String(err?.name ?? 'Error')
      throw err
    } finally {
      this.metrics?.invocations.inc({ function: cid, outcome })
      this.metrics?.duration.observe({ outcome }, (performance.now() - started) / 1000)
    }
  }

  private async run (request: RunRequest, timeoutMs: number, options: InvokeOptions): Promise<RunResponse> {
    try {
      return await this.pool.run(request, { signal: options.signal, timeoutMs, transfer: [request.input.buffer as ArrayBuffer] })
    } catch (err: any) {
      if (err?.name === 'WorkerTimeoutError') throw new ExecutionTimeoutError(`the function ran longer than ${timeoutMs} ms`)
      if (options.signal?.aborted === true) {
        const reason = options.signal.reason
        throw reason instanceof Error && reason.name !== 'TimeoutError' && reason.name !== 'AbortError' ? reason : new AbortError('invocation cancelled')
      }
      if (err?.name === 'WorkerExitedError') {
        // the worker's own JS heap limit (marshaling) is the only way a guest can kill it
        throw /memory/i.test(String(err.message)) ? new OutOfMemoryError(`worker ran out of memory: ${err.message}`) : new GuestTrapError(`worker crashed: ${err.message}`)
      }
      throw err
    }
  }

  /** Compile once per CID; concurrent cold invocations share one compile. */
  private async load (cid: string, options: InvokeOptions): Promise<Compiled> {
    let entry = this.compiled.get(cid)
    if (entry != null) {
      this.compiled.delete(cid)
      this.compiled.set(cid, entry)
      return entry
    }
    entry = (async () => {
      const runnable = await this.components.modules.loadRunnable(cid, options)
      const module = await WebAssembly.compile(runnable.bytes as Uint8Array<ArrayBuffer>)
      return { module, memory: runnable.memory }
    })()
    this.compiled.set(cid, entry)
    entry.then(() => { if (this.compiled.get(cid) === entry) this.ready.add(cid) }, () => { this.compiled.delete(cid) })
    while (this.compiled.size > this.cacheSize) {
      const oldest = this.compiled.keys().next().value as string
      this.compiled.delete(oldest)
      this.ready.delete(oldest)
    }
    return entry
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
    invocations: new Counter({
      name: 'faasmesh_executor_invocations_total',
      help: 'Invocations run by this node, by function CID and outcome (ok or the error name)',
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
      help: 'Executor workers by state',
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
      help: 'Workers replaced after a timeout, a cancellation or a crash since start',
      registers: [registry],
      collect () { this.set(stats().replaced) }
    })
  }
}
