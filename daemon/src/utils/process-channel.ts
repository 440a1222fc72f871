/**
 * Request/response with one child process (Node's IPC channel, V8 serialisation, so byte arrays
 * cross without JSON), with a deadline and cancellation per call.
 *
 * Why processes and not worker threads: a worker shares the daemon's process, and some failures
 * inside V8 are fatal to the whole process, not to the isolate. A Wasm table of a few million
 * entries is allocated on the JS heap in one piece; when that fails V8 aborts the process
 * (`FATAL ERROR: Reached heap limit ... WasmTableObject`), whatever the worker's
 * `resourceLimits` say. Behind a process boundary the same abort ends only the child.
 *
 * A child that spins in guest code cannot be interrupted from inside, so the only way to stop a
 * call is to kill the child: `call` does exactly that on timeout or abort, and every other call
 * pending on it fails with `ProcessExitedError`. Owners (the executor pool, the sanitizer) then
 * replace the child.
 *
 * The child's entry module must call `serveParent` (below) once it has loaded what it needs: that
 * first message is what `online` waits for, so a spare counts as warm only when it truly is.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { AbortOptions } from '@libp2p/interface'

/** The child exited (crashed, was killed, or aborted inside V8) while a call was pending. */
export class ProcessExitedError extends Error {
  static name = 'ProcessExitedError'
  constructor (message = 'The child process exited', readonly exit?: ExitInfo) {
    super(message)
    this.name = 'ProcessExitedError'
  }
}

/** The request never reached the child (it was already gone): safe to send elsewhere. */
export class ProcessUnavailableError extends Error {
  static name = 'ProcessUnavailableError'
  constructor (message = 'The child process is gone; the request was not delivered') {
    super(message)
    this.name = 'ProcessUnavailableError'
  }
}

/** Raised by `call` when its `timeoutMs` passed; the child has been killed. */
export class ProcessTimeoutError extends Error {
  static name = 'ProcessTimeoutError'
  constructor (message = 'The child process did not answer in time') {
    super(message)
    this.name = 'ProcessTimeoutError'
  }
}

/** How a child ended. */
export interface ExitInfo {
  code: number | null
  signal: NodeJS.Signals | null
  /** True when this side killed it (timeout, cancellation, terminate). */
  killed: boolean
  /** The last bytes it wrote to stderr: V8 prints why it aborted there. */
  stderr: string
}

export interface ProcessChannelInit {
  /** The child's entry module. */
  url: URL
  /**
   * Node and V8 flags for the child, and only these: the daemon's own flags (`--import`,
   * `--cpu-prof`, a large heap) are not inherited.
   */
  execArgv?: string[]
  /** A child not ready after this long is killed (a machine out of processes, a stuck start). @default 30000 */
  readyTimeoutMs?: number
}

export interface CallOptions extends AbortOptions {
  /** Kills the child if no answer came in this many ms. */
  timeoutMs?: number
}

interface Pending {
  resolve(value: unknown): void
  reject(err: Error): void
}

/** What V8 prints before an abort fits in this; older output is dropped. */
const STDERR_TAIL_BYTES = 4096

/** Messages to the child are `{ id, ...request }`; answers are `{ id, ...response }`. */
export class ProcessChannel<Req extends object, Res extends object> {
  /** Undefined when the child could not even be forked (the channel is then already gone). */
  readonly child?: ChildProcess
  /** Resolves once the child said it is ready; rejects if it exits first. */
  readonly online: Promise<void>
  /** Resolves when the child is gone, with how it ended. */
  readonly exited: Promise<ExitInfo>
  private readonly pending = new Map<number, Pending>()
  private nextId = 0
  private killedHere = false
  private isReady = false
  private ready = false
  // set on 'exit', before 'close' reports how it ended: no new call goes to a dead child meanwhile
  private exiting = false
  private exitInfo?: ExitInfo
  private stderrTail = ''
  private readonly onExit: (info: ExitInfo) => void

  constructor (init: ProcessChannelInit) {
    const { promise: online, resolve: ready, reject: notReady } = Promise.withResolvers<void>()
    this.online = online
    this.online.catch(() => {}) // also observed through `exited`
    const { promise: exited, resolve: onExit } = Promise.withResolvers<ExitInfo>()
    this.exited = exited
    this.onExit = onExit
    void exited.then((info) => { notReady(new ProcessExitedError(`child process exited before it was ready (${describeExit(info)})`, info)) })

    let child: ChildProcess
    try {
      child = fork(fileURLToPath(init.url), [], {
        execArgv: init.execArgv ?? [],
        // nothing of the daemon's environment reaches the child (NODE_OPTIONS included)
        env: {},
        serialization: 'advanced',
        // guest code has no way to print, but the child's stdout must never reach the daemon's
        stdio: ['ignore', 'ignore', 'pipe', 'ipc']
      })
    } catch (err: any) {
      // some spawn failures (ENOMEM, E2BIG) throw instead of emitting 'error': a channel that
      // is gone from the start, never an exception out of the owner's replace-a-sandbox path
      this.exiting = true
      process.nextTick(() => { this.gone({ code: null, signal: null, killed: false, stderr: String(err?.message ?? err) }) })
      return
    }
    this.child = child
    // first: spawn failures (EAGAIN, EMFILE) arrive here on the next tick, and an 'error' with
    // no listener would end the daemon. They are followed by 'close' only sometimes.
    child.on('error', (err) => { this.gone({ code: null, signal: null, killed: this.killedHere, stderr: err.message }) })
    // no stderr pipe when the spawn failed for want of file descriptors (EMFILE)
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_BYTES)
    })

    const readyTimer = setTimeout(() => { this.kill() }, init.readyTimeoutMs ?? 30_000)
    readyTimer.unref()
    void exited.finally(() => { clearTimeout(readyTimer) })
    child.on('message', (message: { id?: number, ready?: boolean }) => {
      if (message.ready === true) {
        clearTimeout(readyTimer)
        this.ready = true
        this.isReady = true
        ready()
        return
      }
      const pending = this.pending.get(message.id ?? -1)
      if (pending == null) return
      this.pending.delete(message.id!)
      pending.resolve(message)
    })
    child.on('exit', () => { this.exiting = true })
    // 'close' rather than 'exit': stderr is fully read by then, with V8's last words in it
    child.on('close', (code, signal) => { this.gone({ code, signal, killed: this.killedHere, stderr: this.stderrTail }) })
  }

  /** True once the child is gone or being killed; it will never answer again. */
  get isExited (): boolean {
    return this.exitInfo != null || this.killedHere || this.exiting
  }

  /** The child's process id, while it runs. */
  get pid (): number | undefined {
    return this.child?.pid
  }

  /**
   * Sends `request` once the child is ready and waits for its answer. The timeout starts when the
   * request is sent: a child's start-up is not the caller's work.
   */
  async call (request: Req, options: CallOptions = {}): Promise<Res> {
    if (this.isExited) throw new ProcessUnavailableError()
    options.signal?.throwIfAborted()
    const id = this.nextId++
    const { promise, resolve, reject } = Promise.withResolvers<Res>()
    promise.catch(() => {}) // may reject (abort, exit) before anything awaits it
    this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject })

    let timer: NodeJS.Timeout | undefined
    const onAbort = (): void => {
      this.pending.delete(id)
      reject(options.signal?.reason instanceof Error ? options.signal.reason : new ProcessExitedError('aborted'))
      this.kill()
    }
    options.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      // a message sent before the child listens would be lost
      try {
        if (!this.isReady) await Promise.race([this.online, promise])
      } catch (err) {
        // a child that died before it was ready never saw the request: the caller may send it elsewhere
        if (!this.ready && options.signal?.aborted !== true && (err as Error)?.name === 'ProcessExitedError') {
          throw new ProcessUnavailableError(`the request was not delivered: ${(err as Error).message}`)
        }
        throw err
      }
      if (options.timeoutMs != null) {
        timer = setTimeout(() => {
          this.pending.delete(id)
          reject(new ProcessTimeoutError(`no answer within ${options.timeoutMs} ms`))
          this.kill()
        }, options.timeoutMs)
      }
      if (this.isExited || this.child == null) throw new ProcessUnavailableError()
      this.child.send({ ...request, id }, (err) => {
        if (err == null) return
        // the channel was closed: the child is gone and never saw this request
        this.pending.delete(id)
        reject(new ProcessUnavailableError(`the request was not delivered: ${err.message}`))
        this.kill()
      })
      return await promise
    } finally {
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      this.pending.delete(id)
    }
  }

  /** Kills the child and waits until it is gone. */
  async terminate (): Promise<void> {
    this.kill()
    await this.exited
  }

  private kill (): void {
    if (this.exitInfo != null) return
    this.killedHere = true
    // SIGKILL: a child spinning in Wasm or stuck in a V8 allocation must not get a say
    this.child?.kill('SIGKILL')
  }

  /** Runs once, whether `error`, `close` or both reported the end. */
  private gone (info: ExitInfo): void {
    if (this.exitInfo != null) return
    this.exitInfo = info
    const err = new ProcessExitedError(`child process exited (${describeExit(info)})`, info)
    for (const pending of this.pending.values()) pending.reject(err)
    this.pending.clear()
    this.onExit(info)
  }
}

/** `code 1`, `signal SIGABRT`, `killed`. */
export function describeExit (info: ExitInfo): string {
  if (info.killed) return 'killed by the daemon'
  return info.signal != null ? `signal ${info.signal}` : `code ${String(info.code)}`
}
