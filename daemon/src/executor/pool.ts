/**
 * A fixed pool of sandbox processes plus warm spares.
 *
 * `slots` sandboxes run invocations, one each (a Wasm call is synchronous, so a sandbox is busy
 * for the whole call). When one is killed (timeout, cancellation) or dies (a guest made V8
 * abort), a spare that is already online takes its place at once and a new spare starts in the
 * background: starting a sandbox costs ~100-250 ms here, which no caller should wait for.
 * Callers beyond `slots` wait in a bounded queue, served round-robin by source (each remote peer,
 * and the node's own callers as one: `../fairness/fair-queue.ts`), FIFO within a source, so a peer
 * that filled the queue delays nobody else by its whole backlog; past `maxQueue` they are refused.
 */
import { AbortError, NoCapacityError, NotStartedError } from '../errors.js'
import { ProcessChannel, type CallOptions, type ProcessChannelInit } from '../utils/process-channel.js'
import { FairQueue, LOCAL_SOURCE } from '../fairness/index.js'
import type { AbortOptions } from '@libp2p/interface'

export interface WorkerPoolInit {
  channel: ProcessChannelInit
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
  /** Sandboxes replaced after a timeout, a cancellation or a crash, since start. */
  replaced: number
}

export interface QueueOptions {
  /** Who the call is for: a remote peer's id, or unset for the node's own callers (one source). */
  source?: string
}

interface Waiter {
  resolve(channel: ProcessChannel<any, any>): void
  reject(err: Error): void
}

export class WorkerPool<Req extends object, Res extends object> {
  private readonly init: WorkerPoolInit
  private idle: Array<ProcessChannel<Req, Res>> = []
  private readonly busy = new Set<ProcessChannel<Req, Res>>()
  private spares: Array<ProcessChannel<Req, Res>> = []
  private readonly queue = new FairQueue<Waiter>()
  private running = false
  private replaced = 0

  constructor (init: WorkerPoolInit) {
    this.init = init
  }

  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    // in `idle` from the start, so a stop() during start-up (or a failed start) ends them too
    this.idle = Array.from({ length: this.init.slots }, () => this.spawn())
    this.spares = Array.from({ length: this.init.spares }, () => this.spawn())
    try {
      await Promise.all([...this.idle, ...this.spares].map(async (w) => { await w.online }))
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    for (const waiter of this.queue.drain()) waiter.reject(new NotStartedError('executor stopped'))
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

  /**
   * Runs one request on a free sandbox, waiting for one if all are busy. `prepare` builds the
   * request for the sandbox it got (what that process already holds decides what to send).
   */
  async run (prepare: (channel: ProcessChannel<Req, Res>) => Req, options: CallOptions & QueueOptions = {}): Promise<Res> {
    for (let attempt = 1; ; attempt++) {
      const worker = await this.acquire(options)
      try {
        return await worker.call(prepare(worker), options)
      } catch (err: any) {
        // a sandbox that died while idle and had not been reaped yet never saw the request: the
        // next one takes it (once; a second in a row means sandboxes cannot start here)
        if (err?.name !== 'ProcessUnavailableError' || attempt > 1) throw err
      } finally {
        this.release(worker)
      }
    }
  }

  private async acquire (options: AbortOptions & QueueOptions): Promise<ProcessChannel<Req, Res>> {
    if (!this.running) throw new NotStartedError('executor is not started')
    options.signal?.throwIfAborted()
    // one that died while idle and is not reaped yet (between its 'exit' and 'close'), or that
    // never came up: its slot gets a replacement now, or the slot would be lost for good (its
    // exit handler finds it in no list, or does not replace one that never came up)
    if (this.idle.some((w) => w.isExited)) this.idle = this.idle.map((w) => w.isExited ? this.replace() : w)
    const free = this.idle.pop()
    if (free != null) {
      this.busy.add(free)
      this.changed()
      return free
    }
    if (this.queue.length >= this.init.maxQueue) {
      throw new NoCapacityError(`all ${this.init.slots} slots are busy and ${this.queue.length} invocations are queued`)
    }
    const { promise, resolve, reject } = Promise.withResolvers<ProcessChannel<Req, Res>>()
    const waiter: Waiter = { resolve, reject }
    const source = options.source ?? LOCAL_SOURCE
    const onAbort = (): void => {
      this.queue.remove(source, waiter)
      reject(options.signal?.reason instanceof Error ? options.signal.reason : new AbortError())
    }
    options.signal?.addEventListener('abort', onAbort, { once: true })
    this.queue.push(source, waiter)
    this.changed()
    try {
      return await promise
    } finally {
      options.signal?.removeEventListener('abort', onAbort)
    }
  }

  private release (worker: ProcessChannel<Req, Res>): void {
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
  private replace (): ProcessChannel<Req, Res> {
    this.replaced++
    // a spare that died before it was ready stays in the list (nothing replaces it): skip it
    this.spares = this.spares.filter((w) => !w.isExited)
    const spare = this.spares.shift() ?? this.spawn()
    while (this.spares.length < this.init.spares) this.spares.push(this.spawn())
    return spare
  }

  private spawn (): ProcessChannel<Req, Res> {
    const worker = new ProcessChannel<Req, Res>(this.init.channel)
    let wasOnline = false
    void worker.online.then(() => { wasOnline = true }, () => {})
    // a sandbox that dies while idle or spare (the OS may kill it) is replaced; a busy one is
    // replaced in release(). One that never came up is not: on a machine that cannot start
    // processes that would spawn in a loop, and the next caller's failure replaces it instead
    void worker.exited.then(() => {
      if (!this.running || !wasOnline) return
      if (this.spares.includes(worker)) {
        this.spares = this.spares.filter((w) => w !== worker)
        this.spares.push(this.spawn())
      } else if (this.idle.includes(worker)) {
        this.idle = this.idle.filter((w) => w !== worker)
        this.idle.push(this.replace())
      }
    })
    return worker
  }
}
