/**
 * A fixed pool of executor workers plus warm spares.
 *
 * `slots` workers run invocations, one each (a Wasm call is synchronous, so a worker is busy for
 * the whole call). When a worker is terminated (timeout, cancellation, crash) a spare that is
 * already online takes its place at once and a new spare starts in the background: replacing a
 * worker costs ~66 ms, which no caller should wait for. Callers beyond `slots` wait in a bounded
 * FIFO queue; past `maxQueue` they are refused.
 */
import { AbortError, NoCapacityError, NotStartedError } from '../errors.js'
import { WorkerChannel, type CallOptions, type WorkerChannelInit } from '../utils/worker-channel.js'
import type { AbortOptions } from '@libp2p/interface'

export interface WorkerPoolInit {
  channel: WorkerChannelInit
  slots: number
  spares: number
  maxQueue: number
  /** Called when the number of free slots or the queue length changes. */
  onChange?(stats: PoolStats): void
}

export interface PoolStats {
  slots: number
  busy: number
  idle: number
  spares: number
  queued: number
  /** Workers replaced after a timeout, a cancellation or a crash, since start. */
  replaced: number
}

interface Waiter {
  resolve(channel: WorkerChannel<any, any>): void
  reject(err: Error): void
}

export class WorkerPool<Req extends object, Res extends object> {
  private readonly init: WorkerPoolInit
  private idle: Array<WorkerChannel<Req, Res>> = []
  private readonly busy = new Set<WorkerChannel<Req, Res>>()
  private spares: Array<WorkerChannel<Req, Res>> = []
  private queue: Waiter[] = []
  private running = false
  private replaced = 0

  constructor (init: WorkerPoolInit) {
    this.init = init
  }

  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    const workers = Array.from({ length: this.init.slots }, () => this.spawn())
    this.spares = Array.from({ length: this.init.spares }, () => this.spawn())
    await Promise.all([...workers, ...this.spares].map(async (w) => { await w.online }))
    this.idle = workers
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    for (const waiter of this.queue) waiter.reject(new NotStartedError('executor stopped'))
    this.queue = []
    const all = [...this.idle, ...this.busy, ...this.spares]
    this.idle = []
    this.busy.clear()
    this.spares = []
    await Promise.all(all.map(async (w) => { await w.terminate() }))
  }

  stats (): PoolStats {
    return {
      slots: this.init.slots,
      busy: this.busy.size,
      idle: this.idle.length,
      spares: this.spares.length,
      queued: this.queue.length,
      replaced: this.replaced
    }
  }

  /** Runs one request on a free worker, waiting for one if all are busy. */
  async run (request: Req, options: CallOptions = {}): Promise<Res> {
    const worker = await this.acquire(options)
    try {
      return await worker.call(request, options)
    } finally {
      this.release(worker)
    }
  }

  private async acquire (options: AbortOptions): Promise<WorkerChannel<Req, Res>> {
    if (!this.running) throw new NotStartedError('executor is not started')
    options.signal?.throwIfAborted()
    const free = this.idle.pop()
    if (free != null) {
      this.busy.add(free)
      this.changed()
      return free
    }
    if (this.queue.length >= this.init.maxQueue) {
      throw new NoCapacityError(`all ${this.init.slots} slots are busy and ${this.queue.length} invocations are queued`)
    }
    const { promise, resolve, reject } = Promise.withResolvers<WorkerChannel<Req, Res>>()
    const waiter: Waiter = { resolve, reject }
    const onAbort = (): void => {
      this.queue = this.queue.filter((w) => w !== waiter)
      reject(options.signal?.reason instanceof Error ? options.signal.reason : new AbortError())
    }
    options.signal?.addEventListener('abort', onAbort, { once: true })
    this.queue.push(waiter)
    this.changed()
    try {
      return await promise
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
    }
  }

  private release (worker: WorkerChannel<Req, Res>): void {
    this.busy.delete(worker)
    if (!this.running) return
    const next = worker.isExited ? this.replace() : worker
    const waiter = this.queue.shift()
    if (waiter != null) {
      this.busy.add(next)
      waiter.resolve(next)
    } else {
      this.idle.push(next)
    }
    this.changed()
  }

  private changed (): void {
    this.init.onChange?.(this.stats())
  }

  /** A terminated worker's slot goes to a spare (already online) and a new spare starts. */
  private replace (): WorkerChannel<Req, Res> {
    this.replaced++
    const spare = this.spares.shift() ?? this.spawn()
    if (this.init.spares > 0) this.spares.push(this.spawn())
    return spare
  }

  private spawn (): WorkerChannel<Req, Res> {
    const worker = new WorkerChannel<Req, Res>(this.init.channel)
    // a worker that dies while idle (it should not) is dropped, and an idle one's slot refilled;
    // a busy one is replaced in release()
    worker.worker.once('exit', () => {
      if (!this.running) return
      this.spares = this.spares.filter((w) => w !== worker)
      if (this.idle.includes(worker)) {
        this.idle = this.idle.filter((w) => w !== worker)
        this.idle.push(this.replace())
      }
    })
    return worker
  }
}
