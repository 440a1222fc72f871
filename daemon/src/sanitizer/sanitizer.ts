import PQueue from 'p-queue'
import { AbortError, InvalidModuleError, NoCapacityError, reviveError } from '../errors.js'
import { ProcessChannel, describeExit, type ExitInfo } from '../utils/process-channel.js'
import {
  DEFAULT_SANITIZER_CONCURRENCY, DEFAULT_SANITIZER_HEAP_MB, DEFAULT_SANITIZER_MAX_QUEUE, DEFAULT_SANITIZER_MEMORY_MB,
  DEFAULT_SANITIZER_RECYCLE_RSS_MB, DEFAULT_SANITIZER_TIMEOUT_MS
} from './defaults.js'
import { sanitizerMetrics } from './metrics.js'
import type { SanitizeRequest, SanitizeResponse } from './sanitize-process.js'
import type { SanitizedModule, SanitizeLimits } from './sanitize.js'
import type { SanitizerComponents, SanitizerInit, Sanitizer as SanitizerInterface, SanitizerStats } from './index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

type Channel = ProcessChannel<SanitizeRequest, SanitizeResponse>

const PROCESS_URL = new URL('./sanitize-process.js', import.meta.url)

/** Names the sanitizer may legitimately raise; anything else means the module broke the tool. */
const EXPECTED_ERRORS = new Set(['InvalidModuleError', 'ForbiddenImportError', 'PayloadTooLargeError'])

/**
 * Sanitizes modules in child processes, one job per process at a time (docs/sandbox.md,
 * "Sanitizer isolation"): a job's time limit counts only its own work, its memory is capped by
 * the process, and killing it for a timeout or a cancellation touches no other job. Jobs beyond
 * `concurrency` wait in a bounded queue. Processes are kept warm between jobs (binaryen takes
 * ~0.7 s to load) and replaced when a job left them large, so memory goes back to the system.
 */
export class Sanitizer implements SanitizerInterface {
  private readonly log: Logger
  private readonly timeoutMs: number
  private readonly maxQueue: number
  private readonly recycleRssBytes: number
  private readonly memoryMb: number
  private readonly execArgv: string[]
  private readonly queue: PQueue
  private idle: Channel[] = []
  private readonly running = new Set<Channel>()
  private replaced = 0
  private stopping = false
  private readonly metrics?: ReturnType<typeof sanitizerMetrics>

  constructor (components: SanitizerComponents, init: SanitizerInit) {
    this.log = components.logger.forComponent('faasmesh:sanitizer')
    if (components.registry != null) this.metrics = sanitizerMetrics(components.registry, () => this.stats())
    this.timeoutMs = init.timeoutMs ?? DEFAULT_SANITIZER_TIMEOUT_MS
    this.maxQueue = init.maxQueue ?? DEFAULT_SANITIZER_MAX_QUEUE
    this.recycleRssBytes = (init.recycleRssMb ?? DEFAULT_SANITIZER_RECYCLE_RSS_MB) * 2 ** 20
    this.queue = new PQueue({ concurrency: init.concurrency ?? DEFAULT_SANITIZER_CONCURRENCY })
    const memoryMb = this.memoryMb = init.memoryMb ?? DEFAULT_SANITIZER_MEMORY_MB
    this.execArgv = [
      `--max-old-space-size=${DEFAULT_SANITIZER_HEAP_MB}`,
      // binaryen works in its own Wasm memory, which grows up to 4 GiB unless V8 caps it: a
      // capped grow fails inside binaryen, which then throws instead of taking the machine's memory
      `--wasm-max-mem-pages=${Math.max(1, Math.floor(memoryMb * 16))}`
    ]
  }

  async sanitize (bytes: Uint8Array, limits: SanitizeLimits, options: AbortOptions = {}): Promise<SanitizedModule> {
    options.signal?.throwIfAborted()
    if (this.queue.size >= this.maxQueue) {
      throw new NoCapacityError(`the sanitizer has ${this.queue.size} modules waiting; try again shortly`)
    }
    let outcome = 'ok'
    try {
      return await this.queue.add(async () => await this.run(bytes, limits, options), { signal: options.signal })
    } catch (err: any) {
      outcome = String(err?.name ?? 'Error')
      // p-queue rejects a job aborted while queued with its own AbortError: give the caller its reason
      if (options.signal?.aborted === true && options.signal.reason instanceof Error) throw options.signal.reason
      throw err
    } finally {
      this.metrics?.jobs.inc({ outcome })
    }
  }

  prepare (): void {
    if (this.stopping || this.idle.length > 0 || this.running.size > 0 || this.queue.size > 0 || this.queue.pending > 0) return
    const channel = this.spawn()
    this.idle.push(channel)
    // a process that cannot start is dropped here; the next job starts its own and reports why
    channel.online.catch(() => {
      this.idle = this.idle.filter((c) => c !== channel)
      void channel.terminate()
    })
    this.log('started a sanitizer process ahead of its first job')
  }

  stats (): SanitizerStats {
    return { running: this.running.size, queued: this.queue.size, idle: this.idle.length, replaced: this.replaced }
  }

  async stop (): Promise<void> {
    // queued jobs still run, and fail at once with AbortError: dropping them would leave their callers waiting forever
    this.stopping = true
    const all = [...this.idle, ...this.running]
    this.idle = []
    await Promise.all(all.map(async (c) => { await c.terminate() }))
    await this.queue.onIdle()
    this.stopping = false
  }

  /** One job on one process of its own. */
  private async run (bytes: Uint8Array, limits: SanitizeLimits, options: AbortOptions): Promise<SanitizedModule> {
    if (this.stopping) throw new AbortError('the sanitizer is stopping')
    let kept = this.idle.pop()
    // one the OS ended while it was idle would refuse the job (ProcessUnavailableError, a 500)
    while (kept?.isExited === true) kept = this.idle.pop()
    const channel = kept ?? this.spawn()
    this.running.add(channel)
    let response: SanitizeResponse | undefined
    try {
      try {
        await channel.online
      } catch (err: any) {
        // not the module's fault: this machine could not start a process
        throw new NoCapacityError(`could not start a sanitizer process: ${String(err?.message ?? err)}`)
      }
      const started = performance.now()
      try {
        response = await channel.call({ bytes, limits }, { signal: options.signal, timeoutMs: this.timeoutMs })
      } catch (err: any) {
        if (options.signal?.aborted === true || this.stopping) throw err?.name === 'ProcessExitedError' ? new AbortError('the sanitizer is stopping') : err
        if (err?.name === 'ProcessTimeoutError') throw new InvalidModuleError(`module could not be sanitized within ${this.timeoutMs} ms`)
        if (err?.name === 'ProcessExitedError') throw processDied(err.exit)
        // the process ended before the module reached it: not the module's fault
        if (err?.name === 'ProcessUnavailableError') throw new NoCapacityError(`the sanitizer process ended before it took the module: ${String(err.message)}`)
        throw err
      }
      const ms = performance.now() - started
      this.metrics?.duration.observe(ms / 1000)
      this.log('sanitized %d bytes in %d ms', bytes.byteLength, Math.round(ms))
      if (response.ok) return response.result
      const err = reviveError(response.error)
      if (EXPECTED_ERRORS.has(err.name)) throw err
      // binaryen (C++ built with emscripten) reports a failed allocation only as an abort: on a
      // module V8 has already compiled, that is its memory cap at work
      if (err.message.startsWith('Aborted(')) throw new InvalidModuleError(`module could not be sanitized within the instrumenter's memory of ${this.memoryMb} MiB (sanitizer.memoryMb)`)
      throw new InvalidModuleError(`module could not be sanitized: ${err.message}`)
    } finally {
      this.running.delete(channel)
      this.keepOrRecycle(channel, response)
    }
  }

  private spawn (): Channel {
    return new ProcessChannel<SanitizeRequest, SanitizeResponse>({ url: PROCESS_URL, execArgv: this.execArgv })
  }

  /**
   * Back to the idle list, unless the process is gone, grew past the recycling size, or failed
   * in a way binaryen does not expect (its state after an internal abort cannot be trusted).
   */
  private keepOrRecycle (channel: Channel, response: SanitizeResponse | undefined): void {
    const healthy = response != null && (response.ok || EXPECTED_ERRORS.has(response.error.name))
    if (!channel.isExited && healthy && response.rssBytes <= this.recycleRssBytes && !this.stopping) {
      this.idle.push(channel)
      return
    }
    this.replaced++
    if (!channel.isExited) {
      this.log('replacing the sanitizer process (%s MiB resident)', response == null ? '?' : Math.round(response.rssBytes / 2 ** 20))
      void channel.terminate()
    }
  }
}

/** A sanitizer process that died under a job died of that job: only that module ran there. */
function processDied (exit: ExitInfo | undefined): InvalidModuleError {
  const how = exit == null ? 'exited' : describeExit(exit)
  if (exit != null && /heap limit|out of memory/i.test(exit.stderr)) {
    return new InvalidModuleError(`module could not be sanitized: it exhausted the sanitizer's memory (${how})`)
  }
  return new InvalidModuleError(`module could not be sanitized: the sanitizer process died on it (${how})`)
}
