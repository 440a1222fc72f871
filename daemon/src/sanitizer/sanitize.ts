/**
 * The deploy-time pipeline, run once per module (never on the invocation path):
 * size cap -> compile (V8 validates) -> import allowlist and required exports -> memory limits
 * -> fuel instrumentation -> compile again (V8 validates the rewrite).
 */
import { InvalidModuleError, PayloadTooLargeError } from '../errors.js'
import { checkExports, checkImports, compile } from './inspect.js'
import { instrument } from './instrument.js'

export interface SanitizeLimits {
  /** Larger modules are refused before compiling. */
  maxModuleBytes: number
  /** Modules whose declared initial memory exceeds this many pages are refused. */
  memoryPages: number
}

export interface SanitizedModule {
  /** The instrumented module the executor runs. */
  bytes: Uint8Array
  memory: { initialPages: number, maximumPages?: number }
  instrumenterVersion: number
}

export function sanitize (bytes: Uint8Array, limits: SanitizeLimits): SanitizedModule {
  if (bytes.byteLength === 0) throw new InvalidModuleError('module is empty')
  if (bytes.byteLength > limits.maxModuleBytes) {
    throw new PayloadTooLargeError(`module is ${bytes.byteLength} bytes; the limit is ${limits.maxModuleBytes}`)
  }
  const original = compile(bytes)
  checkImports(original)
  checkExports(original)

  const result = instrument(bytes, 0n)
  if (result.memory.initialPages > limits.memoryPages) {
    throw new InvalidModuleError(`module needs ${result.memory.initialPages} memory pages at start; this node allows ${limits.memoryPages}`)
  }
  compile(result.bytes)
  return result
}
