import { mkdir, readFile, readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { TypedEventEmitter } from 'main-event'
import { FunctionNotFoundError, InvalidParametersError, PayloadTooLargeError } from '../errors.js'
import { INSTRUMENTER_VERSION } from '../sanitizer/index.js'
import { writeFileAtomic } from '../utils/atomic-write.js'
import { JsonFile } from '../utils/json-file.js'
import { cidOf, parseFunctionCid } from './cid.js'
import { DEFAULT_MAX_CACHE_BYTES, DEFAULT_MAX_MODULE_BYTES, FUNCTION_NAME_PATTERN } from './constants.js'
import type {
  DeployedFunction, FunctionBinding, FunctionEntry, FunctionStoreComponents, FunctionStoreEvents, FunctionStoreInit,
  FunctionStore as FunctionStoreInterface, ModuleOrigin
} from './index.js'
import type { RunnableModule } from '../executor/index.js'
import type { SanitizeLimits } from '../sanitizer/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

interface NameRecord { cid: string, version: number, deployedAt: string }
interface ModuleMeta { size: number, storedAt: string, origin: ModuleOrigin, lastUsedAt: number }

/**
 * Layout under `<dataDir>/functions/`:
 * - `modules/<cid>.wasm`: the bytes as deployed or fetched (their sha2-256 is the CID);
 * - `runnable/<cid>.v<N>.wasm` + `.json`: the sanitized, instrumented module and its memory
 *   limits, N being the instrumenter version (an upgrade re-sanitizes from the original);
 * - `names.json`: name -> { cid, version, deployedAt };
 * - `modules.json`: cid -> { origin (local | cached), size, storedAt, lastUsedAt }.
 *
 * Modules deployed here are pinned; modules fetched from peers are a cache with a byte budget,
 * evicted least recently used first.
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
  private names = new Map<string, NameRecord>()
  private readonly cids = new Map<string, ModuleMeta>()
  private started = false

  constructor (components: FunctionStoreComponents, init: FunctionStoreInit) {
    super()
    this.components = components
    this.log = components.logger.forComponent('faasmesh:store')
    this.limits = { maxModuleBytes: init.maxModuleBytes ?? DEFAULT_MAX_MODULE_BYTES, memoryPages: init.memoryPages ?? 256 }
    this.maxCacheBytes = init.maxCacheBytes ?? DEFAULT_MAX_CACHE_BYTES
    const root = join(init.dataDir, 'functions')
    this.modulesDir = join(root, 'modules')
    this.runnableDir = join(root, 'runnable')
    this.namesFile = new JsonFile(join(root, 'names.json'), () => ({}))
    this.indexFile = new JsonFile(join(root, 'modules.json'), () => ({}))
  }

  get maxModuleBytes (): number {
    return this.limits.maxModuleBytes
  }

  async start (): Promise<void> {
    if (this.started) return
    await mkdir(this.modulesDir, { recursive: true })
    await mkdir(this.runnableDir, { recursive: true })
    this.names = new Map(Object.entries(await this.namesFile.read()))
    const index = await this.indexFile.read()
    for (const file of await readdir(this.modulesDir)) {
      const cid = file.endsWith('.wasm') ? parseFunctionCid(file.slice(0, -5)) : undefined
      if (cid == null) continue
      const info = await stat(join(this.modulesDir, file))
      // a module with no index entry predates the index: it was deployed here
      this.cids.set(cid, index[cid] ?? { size: info.size, storedAt: info.mtime.toISOString(), origin: 'local', lastUsedAt: info.mtimeMs })
    }
    this.started = true
    this.log('%d modules, %d names', this.cids.size, this.names.size)
  }

  async stop (): Promise<void> {
    if (this.started) await this.indexFile.write(Object.fromEntries(this.cids))
    await this.namesFile.flush()
    await this.indexFile.flush()
    this.started = false
  }

  async deploy (name: string, bytes: Uint8Array, options: AbortOptions = {}): Promise<DeployedFunction> {
    if (!FUNCTION_NAME_PATTERN.test(name)) {
      throw new InvalidParametersError(`invalid function name "${name.slice(0, 80)}": use 1-63 characters a-z, 0-9 and '-', starting with a letter or digit`)
    }
    const cid = await this.add(bytes, 'local', options)
    const record = await this.bind(name, cid)
    this.log('deployed %s as %s (v%d, %d bytes)', name, cid, record.version, bytes.byteLength)
    this.safeDispatchEvent('function:deployed', { detail: { name, cid, version: record.version, deployedAt: record.deployedAt } })
    return { name, cid, size: bytes.byteLength, version: record.version }
  }

  async putCached (bytes: Uint8Array, options: AbortOptions = {}): Promise<string> {
    const cid = await this.add(bytes, 'cached', options)
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
      return { bytes, memory: JSON.parse(manifest).memory }
    } catch (err: any) {
      if (err?.code !== 'ENOENT' && err?.name !== 'SyntaxError') throw err
    }
    // first run after an instrumenter upgrade, or a damaged cache: sanitize the original again
    const original = await readFile(join(this.modulesDir, `${cid}.wasm`))
    const sanitized = await this.components.sanitizer.sanitize(original, this.limits, options)
    await this.writeRunnable(cid, sanitized)
    return { bytes: sanitized.bytes, memory: sanitized.memory }
  }

  /** Validates and writes a module; a bad module never touches the disk. A cached module deployed here becomes pinned. */
  private async add (bytes: Uint8Array, origin: ModuleOrigin, options: AbortOptions): Promise<string> {
    if (bytes.byteLength > this.limits.maxModuleBytes) {
      throw new PayloadTooLargeError(`module is ${bytes.byteLength} bytes; the limit is ${this.limits.maxModuleBytes}`)
    }
    const sanitized = await this.components.sanitizer.sanitize(bytes, this.limits, options)
    const cid = await cidOf(bytes)
    options.signal?.throwIfAborted()
    const existing = this.cids.get(cid)
    if (existing == null) {
      await writeFileAtomic(join(this.modulesDir, `${cid}.wasm`), bytes)
      this.cids.set(cid, { size: bytes.byteLength, storedAt: new Date().toISOString(), origin, lastUsedAt: Date.now() })
    } else {
      existing.lastUsedAt = Date.now()
      if (origin === 'local') existing.origin = 'local'
    }
    await this.writeRunnable(cid, sanitized)
    await this.indexFile.write(Object.fromEntries(this.cids))
    return cid
  }

  /** Drops least recently used cached modules until the cache fits its budget; `keep` stays. */
  private async evict (keep: string): Promise<void> {
    const cached = [...this.cids.entries()].filter(([, m]) => m.origin === 'cached')
    let total = cached.reduce((sum, [, m]) => sum + m.size, 0)
    if (total <= this.maxCacheBytes) return
    for (const [cid, meta] of cached.sort((a, b) => a[1].lastUsedAt - b[1].lastUsedAt)) {
      if (total <= this.maxCacheBytes) break
      if (cid === keep || [...this.names.values()].some((r) => r.cid === cid)) continue
      this.cids.delete(cid)
      total -= meta.size
      await rm(join(this.modulesDir, `${cid}.wasm`), { force: true })
      await rm(join(this.runnableDir, `${cid}.v${INSTRUMENTER_VERSION}.wasm`), { force: true })
      await rm(join(this.runnableDir, `${cid}.v${INSTRUMENTER_VERSION}.json`), { force: true })
      this.log('evicted cached module %s (%d bytes)', cid, meta.size)
      this.safeDispatchEvent('function:evicted', { detail: { cid, size: meta.size } })
    }
    await this.indexFile.write(Object.fromEntries(this.cids))
  }

  private async writeRunnable (cid: string, sanitized: RunnableModule): Promise<void> {
    const base = join(this.runnableDir, `${cid}.v${INSTRUMENTER_VERSION}`)
    await writeFileAtomic(`${base}.wasm`, sanitized.bytes)
    await writeFileAtomic(`${base}.json`, JSON.stringify({ memory: sanitized.memory }) + '\n')
  }

  private async bind (name: string, cid: string): Promise<NameRecord> {
    const previous = this.names.get(name)
    const record = { cid, version: (previous?.version ?? 0) + 1, deployedAt: new Date().toISOString() }
    this.names.set(name, record)
    await this.namesFile.write(Object.fromEntries(this.names))
    return record
  }
}
