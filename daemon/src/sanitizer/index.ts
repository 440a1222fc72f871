/**
 * @packageDocumentation
 *
 * The sanitizer turns untrusted bytes into a module the executor may run: it validates the
 * module (compile, import allowlist, required exports, memory limits) and injects fuel metering,
 * each job in a child process of its own, bounded in time and memory, so a hostile module can
 * never stall the daemon, take its memory, or fail another module's job.
 *
 * @example
 * ```ts
 * const s = sanitizer()({ logger: defaultLogger() })
 * const { bytes, memory } = await s.sanitize(wasm, { maxModuleBytes: 4 << 20, memoryPages: 256 })
 * ```
 */
import { Sanitizer as SanitizerClass } from './sanitizer.js'
import type { SanitizedModule, SanitizeLimits } from './sanitize.js'
import type { AbortOptions, ComponentLogger } from '@libp2p/interface'
import type { Registry } from 'prom-client'

export type { SanitizedModule, SanitizeLimits } from './sanitize.js'
export { checkInterface } from './inspect.js'
export { ALLOWED_FUNCTION_IMPORTS, INSTRUMENTER_VERSION, FUEL_GLOBAL_EXPORT, OOM_GLOBAL_EXPORT, START_EXPORT } from './constants.js'
export { DEFAULT_MAX_TABLE_ENTRIES, MAX_TABLE_ENTRIES_LIMIT, MODULE_BOUNDS, type ModuleBounds } from './constants.js'

export interface SanitizerInit {
  /** A module whose own sanitizing (queue wait excluded) takes longer than this is refused. @default 30000 */
  timeoutMs?: number
  /** Modules sanitized at once, each in its own process. @default 1 */
  concurrency?: number
  /** Modules that may wait for a process; more are refused with NoCapacityError. @default 32 */
  maxQueue?: number
  /** Memory binaryen may use per process, in MiB; a module that needs more is refused. @default 1024 */
  memoryMb?: number
  /** A process left larger than this (resident MiB) after a job is replaced. @default 320 */
  recycleRssMb?: number
}

export interface SanitizerComponents {
  logger: ComponentLogger
  /** Prometheus registry for the sanitizer's metrics; none are recorded without it. */
  registry?: Registry
}

export interface SanitizerStats {
  /** Jobs running, one process each. */
  running: number
  /** Jobs waiting for a process. */
  queued: number
  /** Warm processes waiting for a job. */
  idle: number
  /** Processes ended after a timeout, a cancellation, a crash or growing large. */
  replaced: number
}

export interface Sanitizer {
  /**
   * Validates and instruments `bytes`. Throws `InvalidModuleError`, `ForbiddenImportError` or
   * `PayloadTooLargeError`; `NoCapacityError` when too many modules wait already; the signal's
   * reason when aborted (which ends this job's process, and no other job).
   */
  sanitize(bytes: Uint8Array, limits: SanitizeLimits, options?: AbortOptions): Promise<SanitizedModule>
  /**
   * Starts a process ahead of the first job when none is up yet (binaryen takes ~0.7 s to load,
   * far more on a busy host): called when code is likely to arrive soon, such as a peer
   * announcing a fresh name. A process, once up, stays warm as it would after a job.
   */
  prepare(): void
  /** Ends every sanitizer process; jobs in flight fail with AbortError. The next `sanitize` starts a new one. */
  stop(): Promise<void>
  stats(): SanitizerStats
}

export function sanitizer (init: SanitizerInit = {}): (components: SanitizerComponents) => Sanitizer {
  return (components) => new SanitizerClass(components, init)
}
