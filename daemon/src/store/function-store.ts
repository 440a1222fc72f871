import { mkdir, readFile, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { TypedEventEmitter } from 'main-event'
import { FunctionNotFoundError, InvalidParametersError, PayloadTooLargeError, VersionNotFoundError } from '../errors.js'
import { INSTRUMENTER_VERSION } from '../sanitizer/index.js'
import { writeFileAtomic } from '../utils/atomic-write.js'
import { JsonFile } from '../utils/json-file.js'
import { cidOf, parseFunctionCid } from './cid.js'
import { DEFAULT_MAX_CACHE_BYTES, DEFAULT_MAX_MODULE_BYTES, FUNCTION_NAME_PATTERN } from './constants.js'
import { recoverStore } from './recovery.js'
import { VersionHistory } from './versions.js'
import type {
  DeployedFunction, FunctionBinding, FunctionEntry, FunctionStoreComponents, FunctionStoreEvents, FunctionStoreInit,
  FunctionStore as FunctionStoreInterface, FunctionVersion, ModuleOrigin, RemovedFunction
} from './index.js'
import type { RunnableModule } from '../executor/index.js'
import type { SanitizeLimits } from '../sanitizer/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

export interface NameRecord { cid: string, version: number, deployedAt: string }

/**
 * Now, or just after `previous` was bound if the clock has not moved on since: a deploy time is
 * its name record's sequence number (resolver.ts), which must grow with every rebinding, rollback
 * and removal, even within the millisecond of the one before.
 */
function after (previous: NameRecord | undefined): string {
  return new Date(Math.max(Date.now(), previous == null ? 0 : Date.parse(previous.deployedAt) + 1)).toISOString()
}
export interface ModuleMeta { size: number, storedAt: string, origin: ModuleOrigin, lastUsedAt: number }

/**
 * Layout under `<dataDir>/functions/`:
 * - `modules/<cid>.wasm`: the bytes as deployed or fetched (their sha2-256 is the CID);
 * - `runnable/<cid>.v<N>.wasm` + `.json`: the sanitized, instrumented module and its memory
 *   limits, N being the instrumenter version (an upgrade re-sanitizes from the original);
 * - `names.json`: name -> { cid, version, deployedAt };
 * - `versions.json`: name -> its latest versions (`versions.ts`), whose modules stay pinned;
 * - `modules.json`: cid -> { origin (local | cached), size, storedAt, lastUsedAt }.
 *
 * Modules deployed here are pinned; modules fetched from peers are a cache with a byte budget,
 * evicted least recently used first. A deploy writes the module files, then `names.json` (its
 * commit point), then marks the module `local` in `modules.json`: a crash anywhere leaves either
 * a named module or one nobody deployed, never a pinned module without a deploy. `start()`
 * removes what a crash left behind and reconciles the rest (`recovery.ts`).
 *
 * A version that falls out of a name's bounded history unpins its module (unless something else
 * refers to it): it becomes a cached module, evicted like the others. `remove` unbinds a name
 * (the commit point, `names.json` again) and then deletes the modules nothing refers to any more.
 */
export class FunctionStore extends TypedEventEmitter<FunctionStoreEvents> implements FunctionStoreInterface {
  private readonly components: FunctionStoreComponents
  private readonly log: Logger
  private readonly limits: SanitizeLimits
  private readonly maxCacheBytes: number
  private readonly modulesDir: string
  private readonly runnableDir: string
  private readonly namesFile: JsonFile<Record<string, NameRecord>>
  private readonly indexFile: JsonFile<Record<string, ModuleMeta>>
  private readonly history: VersionHistory
  private names = new Map<string, NameRecord>()
  private readonly cids = new Map<string, ModuleMeta>()
  /** Modules with a deploy in flight (count per CID): stored, not yet pinned, not evictable. */
  private readonly deploying = new Map<string, number>()
  private started = false

  constructor (components: FunctionStoreComponents, init: FunctionStoreInit) {
    super()
    this.components = components
    this.log = components.logger.forComponent('faasmesh:store')
    this.limits = { maxModuleBytes: init.maxModuleBytes ?? DEFAULT_MAX_MODULE_BYTES, memoryPages: init.memoryPages ?? 256, maxTableEntries: init.maxTableEntries }
    this.maxCacheBytes = init.maxCacheBytes ?? DEFAULT_MAX_CACHE_BYTES
    const root = join(init.dataDir, 'functions')
    this.modulesDir = join(root, 'modules')
    this.runnableDir = join(root, 'runnable')
    this.namesFile = new JsonFile(join(root, 'names.json'), () => ({}))
    this.indexFile = new JsonFile(join(root, 'modules.json'), () => ({}))
    this.history = new VersionHistory(root)
  }

  /** The sanitizer limits that shape the instrumented bytes; stored with them. */
  private get profile (): string {
    return `pages=${this.limits.memoryPages},tables=${this.limits.maxTableEntries ?? 'default'}`
  }

  get maxModuleBytes (): number {
    return this.limits.maxModuleBytes
  }

  async start (): Promise<void> {
    if (this.started) return
    await mkdir(this.modulesDir, { recursive: true })
    await mkdir(this.runnableDir, { recursive: true })
    const dirs = { root: dirname(this.namesFile.path), modulesDir: this.modulesDir, runnableDir: this.runnableDir }
    const recovered = await recoverStore(dirs, await this.namesFile.read(), await this.indexFile.read())
    for (const repair of recovered.repairs) this.log('recovery: %s', repair)
    this.names = recovered.names
    this.cids.clear()
    for (const [cid, meta] of recovered.modules) this.cids.set(cid, meta)
    if (recovered.namesChanged) await this.namesFile.write(Object.fromEntries(this.names))
    if (recovered.indexChanged) await this.indexFile.write(Object.fromEntries(this.cids))
    await this.history.load([...this.names].map(([name, r]) => ({ name, ...r, size: this.cids.get(r.cid)?.size ?? 0 })))
    this.started = true
    this.log('%d modules, %d names', this.cids.size, this.names.size)
  }

  async stop (): Promise<void> {
    if (this.started) await this.indexFile.write(Object.fromEntries(this.cids))
    await this.namesFile.flush()
    await this.indexFile.flush()
    await this.history.flush()
    this.started = false
  }

  async deploy (name: string, bytes: Uint8Array, options: AbortOptions = {}): Promise<DeployedFunction> {
    if (!FUNCTION_NAME_PATTERN.test(name)) {
      throw new InvalidParametersError(`invalid function name "${name.slice(0, 80)}": use 1-63 characters a-z, 0-9 and '-', starting with a letter or digit`)
    }
    const cid = await this.add(bytes, options, true)
    let record: NameRecord
    try {
      record = await this.bind(name, cid)
      await this.pin(cid)
    } finally {
      this.undeploying(cid)
    }
    await this.remember(name, { ...record, size: bytes.byteLength })
    this.log('deployed %s as %s (v%d, %d bytes)', name, cid, record.version, bytes.byteLength)
    this.safeDispatchEvent('function:deployed', { detail: { name, cid, version: record.version, deployedAt: record.deployedAt } })
    return { name, cid, size: bytes.byteLength, version: record.version }
  }

  versions (name: string): FunctionVersion[] {
    const versions = this.history.of(name)
    if (versions.length === 0) throw new FunctionNotFoundError(`no function named "${name.slice(0, 100)}" on this node`)
    return versions
  }

  async rollback (name: string, to?: number, options: AbortOptions = {}): Promise<DeployedFunction & { rollbackOf: number }> {
    const versions = this.versions(name)
    const current = this.names.get(name)!
    const target = to == null ? versions.at(-2) : versions.find((v) => v.version === to)
    if (target == null || target.version === current.version) {
      const kept = versions.map((v) => `v${v.version}`).join(', ')
      throw new VersionNotFoundError(to == null
        ? `${name} has no version before v${current.version} to roll back to`
        : `${name} has no version ${to}${to === current.version ? ' other than the current one' : ''}; this node keeps ${kept}`)
    }
    // history pins its modules, so only damage outside the store can have removed it
    if (!this.cids.has(target.cid)) throw new VersionNotFoundError(`the module of ${name} v${target.version} (${target.cid}) is no longer stored`)
    options.signal?.throwIfAborted()
    const record = await this.bind(name, target.cid)
    await this.remember(name, { ...record, size: target.size, rollbackOf: target.version })
    this.log('rolled %s back to v%d (%s) as v%d', name, target.version, target.cid, record.version)
    this.safeDispatchEvent('function:deployed', { detail: { name, cid: target.cid, version: record.version, deployedAt: record.deployedAt } })
    return { name, cid: target.cid, size: target.size, version: record.version, rollbackOf: target.version }
  }

  async remove (name: string, options: AbortOptions & { keep?: Iterable<string> } = {}): Promise<RemovedFunction> {
    const record = this.names.get(name)
    if (record == null) throw new FunctionNotFoundError(`no function named "${name.slice(0, 100)}" on this node`)
    options.signal?.throwIfAborted()
    // the commit point: from here on the name is gone, whatever happens to its modules
    this.names.delete(name)
    await this.namesFile.write(Object.fromEntries(this.names))
    const versions = await this.history.remove(name)
    const { removed, kept } = await this.release(new Set([record.cid, ...versions.map((v) => v.cid)]), true, new Set(options.keep))
    this.log('removed %s (%d versions); deleted %d modules, kept %d', name, versions.length, removed.length, kept.length)
    this.safeDispatchEvent('function:removed', { detail: { name, cid: record.cid, removedAt: after(record) } })
    return { name, cid: record.cid, versions: versions.length, removed, kept }
  }

  async putCached (bytes: Uint8Array, options: AbortOptions = {}): Promise<string> {
    const cid = await this.add(bytes, options, false)
    await this.indexFile.write(Object.fromEntries(this.cids))
    this.safeDispatchEvent('function:cached', { detail: { cid, size: bytes.byteLength } })
    await this.evict(cid)
    return cid
  }

  async resolve (nameOrCid: string): Promise<string> {
    const cid = parseFunctionCid(nameOrCid)
    if (cid != null && this.cids.has(cid)) return cid
    const record = this.names.get(nameOrCid)
    if (record != null) return record.cid
    throw new FunctionNotFoundError(`no function named or with CID "${nameOrCid.slice(0, 100)}"`)
  }

  has (cid: string): boolean {
    return this.cids.has(cid)
  }

  touch (cid: string): void {
    const meta = this.cids.get(cid)
    if (meta != null) meta.lastUsedAt = Date.now()
  }

  bindings (): FunctionBinding[] {
    return [...this.names.entries()].map(([name, r]) => ({ name, ...r }))
  }

  async getOriginal (cid: string): Promise<Uint8Array | undefined> {
    if (!this.cids.has(cid)) return undefined
    try {
      return await readFile(join(this.modulesDir, `${cid}.wasm`))
    } catch (err: any) {
      if (err?.code === 'ENOENT') return undefined
      throw err
    }
  }

  async heldCids (): Promise<string[]> {
    return [...this.cids.keys()]
  }

  async list (): Promise<FunctionEntry[]> {
    return [...this.cids.entries()].map(([cid, meta]) => {
      const names = [...this.names.entries()].filter(([, r]) => r.cid === cid)
      return {
        cid,
        size: meta.size,
        names: names.map(([n]) => n).sort(),
        origin: meta.origin,
        pinned: meta.origin === 'local',
        storedAt: meta.storedAt,
        deployedAt: names.map(([, r]) => r.deployedAt).sort().at(-1)
      }
    }).sort((a, b) => (a.names[0] ?? a.cid).localeCompare(b.names[0] ?? b.cid))
  }

  async loadRunnable (cid: string, options: AbortOptions = {}): Promise<RunnableModule> {
    if (!this.cids.has(cid)) throw new FunctionNotFoundError(`no module with CID ${cid}`)
    const base = join(this.runnableDir, `${cid}.v${INSTRUMENTER_VERSION}`)
    try {
      const [bytes, manifest] = await Promise.all([readFile(`${base}.wasm`), readFile(`${base}.json`, 'utf8')])
      const { memory, profile } = JSON.parse(manifest)
      // the caps baked into the rewrite (a table's maximum) must be this node's current ones
      if (profile === this.profile) return { bytes, memory }
    } catch (err: any) {
      if (err?.code !== 'ENOENT' && err?.name !== 'SyntaxError') throw err
    }
    // first run after an instrumenter upgrade or a change of the node's caps, or a damaged
    // cache: sanitize the original again
    const original = await readFile(join(this.modulesDir, `${cid}.wasm`))
    const sanitized = await this.components.sanitizer.sanitize(original, this.limits, options)
    await this.writeRunnable(cid, sanitized)
    return { bytes: sanitized.bytes, memory: sanitized.memory }
  }

  /**
   * Validates and writes a module's files; a bad module never touches the disk. A new module
   * enters as `cached`: a deploy pins it only once its name is bound (`pin`), and until then
   * `deploying` keeps it from eviction.
   */
  private async add (bytes: Uint8Array, options: AbortOptions, deploying: boolean): Promise<string> {
    if (bytes.byteLength > this.limits.maxModuleBytes) {
      throw new PayloadTooLargeError(`module is ${bytes.byteLength} bytes; the limit is ${this.limits.maxModuleBytes}`)
    }
    const sanitized = await this.components.sanitizer.sanitize(bytes, this.limits, options)
    const cid = await cidOf(bytes)
    options.signal?.throwIfAborted()
    if (deploying) this.deploying.set(cid, (this.deploying.get(cid) ?? 0) + 1)
    try {
      const existing = this.cids.get(cid)
      if (existing == null) {
        await writeFileAtomic(join(this.modulesDir, `${cid}.wasm`), bytes)
        this.cids.set(cid, { size: bytes.byteLength, storedAt: new Date().toISOString(), origin: 'cached', lastUsedAt: Date.now() })
      } else {
        existing.lastUsedAt = Date.now()
      }
      await this.writeRunnable(cid, sanitized)
    } catch (err) {
      if (deploying) this.undeploying(cid)
      throw err
    }
    return cid
  }

  /** A deploy of `cid` ended, bound or not. */
  private undeploying (cid: string): void {
    const left = (this.deploying.get(cid) ?? 1) - 1
    if (left > 0) this.deploying.set(cid, left)
    else this.deploying.delete(cid)
  }

  /** The last step of a deploy, after its name is bound: from here on the module is pinned. */
  private async pin (cid: string): Promise<void> {
    const meta = this.cids.get(cid)
    if (meta != null) meta.origin = 'local'
    await this.indexFile.write(Object.fromEntries(this.cids))
  }

  /** Drops least recently used cached modules until the cache fits its budget; `keep` stays. */
  private async evict (keep: string): Promise<void> {
    const cached = [...this.cids.entries()].filter(([, m]) => m.origin === 'cached')
    let total = cached.reduce((sum, [, m]) => sum + m.size, 0)
    if (total <= this.maxCacheBytes) return
    for (const [cid, meta] of cached.sort((a, b) => a[1].lastUsedAt - b[1].lastUsedAt)) {
      if (total <= this.maxCacheBytes) break
      if (cid === keep || this.deploying.has(cid) || [...this.names.values()].some((r) => r.cid === cid)) continue
      total -= meta.size
      await this.drop(cid)
      this.log('evicted cached module %s (%d bytes)', cid, meta.size)
    }
    await this.indexFile.write(Object.fromEntries(this.cids))
  }

  /** Deletes a module's files and forgets it. */
  private async drop (cid: string): Promise<void> {
    const meta = this.cids.get(cid)
    if (meta == null) return
    this.cids.delete(cid)
    await rm(join(this.modulesDir, `${cid}.wasm`), { force: true })
    await rm(join(this.runnableDir, `${cid}.v${INSTRUMENTER_VERSION}.wasm`), { force: true })
    await rm(join(this.runnableDir, `${cid}.v${INSTRUMENTER_VERSION}.json`), { force: true })
    this.safeDispatchEvent('function:evicted', { detail: { cid, size: meta.size } })
  }

  /**
   * Modules a name no longer refers to: kept when another name, a version in some history, a
   * deploy in flight or `keep` still does; otherwise deleted (`remove`) or unpinned to the cache.
   */
  private async release (candidates: Set<string>, remove: boolean, keep = new Set<string>()): Promise<{ removed: string[], kept: string[] }> {
    const used = this.history.cids()
    for (const r of this.names.values()) used.add(r.cid)
    const removed: string[] = []
    const kept: string[] = []
    for (const cid of candidates) {
      const meta = this.cids.get(cid)
      if (meta == null) continue
      if (used.has(cid) || keep.has(cid) || this.deploying.has(cid)) {
        kept.push(cid)
      } else if (remove) {
        await this.drop(cid)
        removed.push(cid)
      } else {
        meta.origin = 'cached'
        meta.lastUsedAt = 0
      }
    }
    await this.indexFile.write(Object.fromEntries(this.cids))
    return { removed, kept }
  }

  /** Adds a version to a name's history; versions that fall out of it unpin their modules. */
  private async remember (name: string, version: FunctionVersion): Promise<void> {
    const dropped = await this.history.add(name, version)
    if (dropped.length > 0) await this.release(new Set(dropped.map((v) => v.cid)), false)
  }

  private async writeRunnable (cid: string, sanitized: RunnableModule): Promise<void> {
    const base = join(this.runnableDir, `${cid}.v${INSTRUMENTER_VERSION}`)
    await writeFileAtomic(`${base}.wasm`, sanitized.bytes)
    await writeFileAtomic(`${base}.json`, JSON.stringify({ memory: sanitized.memory, profile: this.profile }) + '\n')
  }

  private async bind (name: string, cid: string): Promise<NameRecord> {
    const previous = this.names.get(name)
    const record = { cid, version: (previous?.version ?? 0) + 1, deployedAt: after(previous) }
    this.names.set(name, record)
    await this.namesFile.write(Object.fromEntries(this.names))
    return record
  }
}
