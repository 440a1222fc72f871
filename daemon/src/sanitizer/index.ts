/**
 * @packageDocumentation
 *
 * The sanitizer turns untrusted bytes into a module the executor may run: it validates the
 * module (compile, import allowlist, required exports, memory limits) and injects fuel metering,
 * all in a dedicated worker so a hostile module can never stall the daemon.
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

export type { SanitizedModule, SanitizeLimits } from './sanitize.js'
export { ALLOWED_FUNCTION_IMPORTS, INSTRUMENTER_VERSION, FUEL_GLOBAL_EXPORT, OOM_GLOBAL_EXPORT, START_EXPORT } from './constants.js'

export interface SanitizerInit {
  /** A module that takes longer than this to sanitize is refused. @default 30000 */
  timeoutMs?: number
}

export interface SanitizerComponents {
  logger: ComponentLogger
}

export interface Sanitizer {
  /**
   * Validates and instruments `bytes`. Throws `InvalidModuleError`, `ForbiddenImportError` or
   * `PayloadTooLargeError`.
   */
  sanitize(bytes: Uint8Array, limits: SanitizeLimits, options?: AbortOptions): Promise<SanitizedModule>
  /** Terminates the worker; the next `sanitize` starts a new one. */
  stop(): Promise<void>
}

export function sanitizer (init: SanitizerInit = {}): (components: SanitizerComponents) => Sanitizer {
  return (components) => new SanitizerClass(components, init)
}
