/**
 * The deploy-time pipeline, run once per module (never on the invocation path):
 * size cap -> structural bounds on the raw bytes -> compile (V8 validates) -> import allowlist,
 * the ABI's shape and required exports -> memory limits -> fuel instrumentation -> compile again
 * (V8 validates the rewrite).
 */
import { InvalidModuleError, PayloadTooLargeError } from '../errors.js'
import { checkBounds } from './bounds.js'
import { DEFAULT_MAX_TABLE_ENTRIES, MODULE_BOUNDS } from './constants.js'
import { checkInterface, compile } from './inspect.js'
import { instrument } from './instrument.js'

export interface SanitizeLimits {
  /** Larger modules are refused before compiling. */
  maxModuleBytes: number
  /** Modules whose declared initial memory exceeds this many pages are refused. */
  memoryPages: number
  /**
   * Entries a table may hold: a larger initial size is refused, every table's maximum is lowered
   * to this, and a `table.grow` past it fails. @default DEFAULT_MAX_TABLE_ENTRIES (65536)
   */
  maxTableEntries?: number
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
  const maxTableEntries = limits.maxTableEntries ?? DEFAULT_MAX_TABLE_ENTRIES
  // before V8 or binaryen parse anything: both allocate in proportion to what the module declares
  checkBounds(bytes, MODULE_BOUNDS, maxTableEntries)
  checkInterface(bytes)

  const result = instrument(bytes, 0n, { maxTableEntries })
  if (result.memory.initialPages > limits.memoryPages) {
    throw new InvalidModuleError(`module needs ${result.memory.initialPages} memory pages at start; this node allows ${limits.memoryPages}`)
  }
  compile(result.bytes)
  return result
}
