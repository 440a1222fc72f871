/**
 * @packageDocumentation
 *
 * The function store: modules content-addressed by CID (CIDv1, raw, sha2-256) on disk under the
 * data dir, name -> CID bindings, and the sanitized form the executor runs. Deploy validates
 * before anything is written, so a bad module never enters the store.
 *
 * @example
 * ```ts
 * const store = functionStore({ dataDir })({ logger, sanitizer: s })
 * await store.start()
 * const { cid } = await store.deploy('hello', wasmBytes)
 * ```
 */
import { FunctionStore as FunctionStoreClass } from './function-store.js'
import type { ModuleSource } from '../executor/index.js'
import type { Sanitizer } from '../sanitizer/index.js'
import type { AbortOptions, ComponentLogger } from '@libp2p/interface'

export { cidOf, parseFunctionCid } from './cid.js'
export { FUNCTION_NAME_PATTERN, DEFAULT_MAX_MODULE_BYTES } from './constants.js'

export interface FunctionStoreInit {
  /** The daemon's data directory; the store lives in `<dataDir>/functions`. */
  dataDir: string
  /** Modules larger than this are refused. @default 4194304 */
  maxModuleBytes?: number
  /** Modules that need more initial memory pages than this are refused. @default 256 */
  memoryPages?: number
}

export interface FunctionStoreComponents {
  logger: ComponentLogger
  sanitizer: Pick<Sanitizer, 'sanitize'>
}

export interface DeployedFunction {
  name: string
  cid: string
  size: number
  /** How many times this name has been deployed on this node (1 for the first). */
  version: number
}

export interface FunctionEntry {
  cid: string
  size: number
  /** The names bound to this CID on this node (empty for an unnamed module). */
  names: string[]
  storedAt: string
  deployedAt?: string
}

export interface FunctionStore extends ModuleSource {
  readonly maxModuleBytes: number
  start(): Promise<void>
  stop(): Promise<void>
  /**
   * Validates, stores and names a module. Throws `InvalidParametersError` (bad name),
   * `InvalidModuleError`, `ForbiddenImportError` or `PayloadTooLargeError`.
   */
  deploy(name: string, bytes: Uint8Array, options?: AbortOptions): Promise<DeployedFunction>
  /** The CID for a name or CID string. Throws `FunctionNotFoundError`. */
  resolve(nameOrCid: string): Promise<string>
  has(cid: string): boolean
  list(): Promise<FunctionEntry[]>
}

export function functionStore (init: FunctionStoreInit): (components: FunctionStoreComponents) => FunctionStore {
  return (components) => new FunctionStoreClass(components, init)
}
