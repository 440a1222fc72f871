/**
 * Request/response over one `worker_threads` Worker, with a deadline and cancellation per call.
 *
 * A Worker that spins in guest code cannot be interrupted from inside, so the only way to stop
 * a call is to terminate the whole worker: `call` does exactly that on timeout or abort, and
 * every other call pending on the same worker fails with `WorkerExitedError`. Owners (the
 * executor pool, the sanitizer) then replace the worker.
 */
import { Worker, type ResourceLimits, type TransferListItem } from 'node:worker_threads'
import type { AbortOptions } from '@libp2p/interface'

/** The worker exited (crashed, ran out of JS heap, or was terminated) while a call was pending. */
export class WorkerExitedError extends Error {
  static name = 'WorkerExitedError'
  constructor (message = 'Worker exited') {
    super(message)
    this.name = 'WorkerExitedError'
  }
}

/** Raised by `call` when its `timeoutMs` passed; the worker has been terminated. */
export class WorkerTimeoutError extends Error {
  static name = 'WorkerTimeoutError'
  constructor (message = 'Worker call timed out') {
    super(message)
    this.name = 'WorkerTimeoutError'
  }
}

export interface WorkerChannelInit {
  /** Worker entry module. */
  url: URL
  /** V8 heap limits for the worker's JS (not its Wasm memories). */
  resourceLimits?: ResourceLimits
  /** Passed to the worker as `workerData`. */
  workerData?: unknown
}

export interface CallOptions extends AbortOptions {
  /** Terminates the worker if no answer came in this many ms. */
  timeoutMs?: number
  transfer?: readonly TransferListItem[]
}

interface Pending {
  resolve(value: unknown): void
  reject(err: Error): void
}

/** Messages to the worker are `{ id, ...request }`; answers are `{ id, ...response }`. */
export class WorkerChannel<Req extends object, Res extends object> {
  readonly worker: Worker
  private readonly pending = new Map<number, Pending>()
  private nextId = 0
  private exited = false
  readonly online: Promise<void>

  constructor (init: WorkerChannelInit) {
    this.worker = new Worker(init.url, {
      resourceLimits: init.resourceLimits,
      workerData: init.workerData,
      // guest output must not reach the daemon's terminal
      stdout: true,
      stderr: true
    })
    this.worker.stdout.resume()
    this.worker.stderr.resume()
    this.online = new Promise((resolve, reject) => {
      this.worker.once('online', resolve)
      this.worker.once('error', reject)
    })
    this.online.catch(() => {}) // observed through `exit` as well
    this.worker.on('message', (message: { id: number }) => {
      const pending = this.pending.get(message.id)
      if (pending == null) return
      this.pending.delete(message.id)
      pending.resolve(message)
    })
    this.worker.on('error', (err) => { this.fail(new WorkerExitedError(`worker failed: ${err.message}`)) })
    this.worker.on('exit', (code) => {
      this.exited = true
      this.fail(new WorkerExitedError(`worker exited with code ${code}`))
    })
  }

  /** True once the worker is gone; it will never answer again. */
  get isExited (): boolean {
    return this.exited
  }

  async call (request: Req, options: CallOptions = {}): Promise<Res> {
    if (this.exited) throw new WorkerExitedError('worker already exited')
    options.signal?.throwIfAborted()
    const id = this.nextId++
    const { promise, resolve, reject } = Promise.withResolvers<Res>()
    this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject })

    let timer: NodeJS.Timeout | undefined
    const onAbort = (): void => {
      this.pending.delete(id)
      reject(options.signal?.reason instanceof Error ? options.signal.reason : new WorkerExitedError('aborted'))
      void this.terminate()
    }
    if (options.timeoutMs != null) {
      timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new WorkerTimeoutError(`no answer within ${options.timeoutMs} ms`))
        void this.terminate()
      }, options.timeoutMs)
    }
    options.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      this.worker.postMessage({ ...request, id }, options.transfer)
      return await promise
    } finally {
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
    }
  }

  async terminate (): Promise<void> {
    this.exited = true
    await this.worker.terminate()
  }

  private fail (err: Error): void {
    for (const pending of this.pending.values()) pending.reject(err)
    this.pending.clear()
  }
}
