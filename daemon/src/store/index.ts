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
import type { AbortOptions, ComponentLogger, TypedEventTarget } from '@libp2p/interface'

export { cidOf, parseFunctionCid } from './cid.js'
export { FUNCTION_NAME_PATTERN, DEFAULT_MAX_MODULE_BYTES, DEFAULT_MAX_CACHE_BYTES, MAX_VERSIONS_PER_NAME } from './constants.js'

export interface FunctionStoreInit {
  /** The daemon's data directory; the store lives in `<dataDir>/functions`. */
  dataDir: string
  /** Modules larger than this are refused. @default 4194304 */
  maxModuleBytes?: number
  /** Modules that need more initial memory pages than this are refused. @default 256 */
  memoryPages?: number
  /** Entries a module's table may hold (larger initial sizes are refused, growth stops there). @default 65536 */
  maxTableEntries?: number
  /** Disk budget for modules fetched from peers (deployed ones are pinned). @default 268435456 */
  maxCacheBytes?: number
}

/** `local`: deployed on this node, pinned. `cached`: fetched from a peer, evictable. */
export type ModuleOrigin = 'local' | 'cached'

export interface FunctionBinding {
  name: string
  cid: string
  version: number
  deployedAt: string
}

/** One deploy (or rollback) of a name, as its version history keeps it. */
export interface FunctionVersion {
  version: number
  cid: string
  deployedAt: string
  size: number
  /** Set on a rollback: the version whose CID it bound the name to again. */
  rollbackOf?: number
}

/** What `remove` did. */
export interface RemovedFunction {
  name: string
  /** The CID the name was bound to. */
  cid: string
  /** How many versions of the name were forgotten. */
  versions: number
  /** Modules deleted from this node's disk: no other name, version or chain refers to them. */
  removed: string[]
  /** Modules of the name's versions kept because something else still refers to them. */
  kept: string[]
}

export interface FunctionStoreEvents {
  /** A name was bound to a CID: a deploy, or a rollback (a new version pointing to an older CID). */
  'function:deployed': CustomEvent<FunctionBinding>
  /**
   * A name was unbound (`remove`) at `removedAt`, later than its last binding's `deployedAt` (the
   * resolver publishes a tombstone with that sequence number).
   */
  'function:removed': CustomEvent<{ name: string, cid: string, removedAt: string }>
  'function:cached': CustomEvent<{ cid: string, size: number }>
  'function:evicted': CustomEvent<{ cid: string, size: number }>
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
  origin: ModuleOrigin
  /** Pinned modules are never evicted (the ones deployed here). */
  pinned: boolean
  storedAt: string
  deployedAt?: string
}

export interface FunctionStore extends ModuleSource, TypedEventTarget<FunctionStoreEvents> {
  readonly maxModuleBytes: number
  start(): Promise<void>
  stop(): Promise<void>
  /**
   * Validates, stores and names a module. Throws `InvalidParametersError` (bad name),
   * `InvalidModuleError`, `ForbiddenImportError` or `PayloadTooLargeError`.
   */
  deploy(name: string, bytes: Uint8Array, options?: AbortOptions): Promise<DeployedFunction>
  /**
   * Validates and caches a module fetched from a peer (already verified against its CID), then
   * evicts least recently used cached modules beyond the budget. Returns its CID.
   */
  putCached(bytes: Uint8Array, options?: AbortOptions): Promise<string>
  /** The CID for a local name or a stored CID. Throws `FunctionNotFoundError`. */
  resolve(nameOrCid: string): Promise<string>
  has(cid: string): boolean
  /** Marks a module as just used (for eviction order). */
  touch(cid: string): void
  /** The module's original bytes (what its CID hashes), to serve to peers. */
  getOriginal(cid: string): Promise<Uint8Array | undefined>
  /** Every name bound on this node. */
  bindings(): FunctionBinding[]
  /** A name's versions, oldest first (the latest MAX_VERSIONS_PER_NAME). Throws `FunctionNotFoundError`. */
  versions(name: string): FunctionVersion[]
  /**
   * Binds `name` again to the CID of its version `to` (default: the version before the current
   * one), as a new version. Throws `FunctionNotFoundError` (no such name) or
   * `VersionNotFoundError` (no such version, or none before the current one).
   */
  rollback(name: string, to?: number, options?: AbortOptions): Promise<DeployedFunction & { rollbackOf: number }>
  /**
   * Unbinds `name` and forgets its versions; deletes their modules unless another name, another
   * name's version or a CID in `keep` (chains that call it by CID) refers to them. Throws `FunctionNotFoundError`.
   */
  remove(name: string, options?: AbortOptions & { keep?: Iterable<string> }): Promise<RemovedFunction>
  list(): Promise<FunctionEntry[]>
  /** Every CID held (to announce as a provider). */
  heldCids(): Promise<string[]>
}

export function functionStore (init: FunctionStoreInit): (components: FunctionStoreComponents) => FunctionStore {
  return (components) => new FunctionStoreClass(components, init)
}
