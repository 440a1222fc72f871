import { mkdir, readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { FunctionNotFoundError, InvalidParametersError } from '../errors.js'
import { INSTRUMENTER_VERSION } from '../sanitizer/index.js'
import { writeFileAtomic } from '../utils/atomic-write.js'
import { cidOf, parseFunctionCid } from './cid.js'
import { FUNCTION_NAME_PATTERN } from './constants.js'
import type { DeployedFunction, FunctionEntry, FunctionStoreComponents, FunctionStoreInit, FunctionStore as FunctionStoreInterface } from './index.js'
import type { RunnableModule } from '../executor/index.js'
import type { SanitizeLimits } from '../sanitizer/index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

interface NameRecord { cid: string, version: number, deployedAt: string }

/**
 * Layout under `<dataDir>/functions/`:
 * - `modules/<cid>.wasm`: the bytes as deployed (their sha2-256 is the CID);
 * - `runnable/<cid>.v<N>.wasm` + `.json`: the sanitized, instrumented module and its memory
 *   limits, N being the instrumenter version (an upgrade re-sanitizes from the original);
 * - `names.json`: name -> { cid, version, deployedAt }.
 */
export class FunctionStore implements FunctionStoreInterface {
  private readonly components: FunctionStoreComponents
  private readonly log: Logger
  private readonly limits: SanitizeLimits
  private readonly modulesDir: string
  private readonly runnableDir: string
  private readonly namesFile: string
  private names = new Map<string, NameRecord>()
  private readonly cids = new Map<string, { size: number, storedAt: string }>()
  // name bindings are written one at a time, so two deploys cannot lose each other's update
  private namesWrite: Promise<void> = Promise.resolve()
  private started = false

  constructor (components: FunctionStoreComponents, init: FunctionStoreInit) {
    this.components = components
    this.log = components.logger.forComponent('faasmesh:store')
    this.limits = { maxModuleBytes: init.maxModuleBytes ?? 4 << 20, memoryPages: init.memoryPages ?? 256 }
    const root = join(init.dataDir, 'functions')
    this.modulesDir = join(root, 'modules')
    this.runnableDir = join(root, 'runnable')
    this.namesFile = join(root, 'names.json')
  }

  get maxModuleBytes (): number {
    return this.limits.maxModuleBytes
  }

  async start (): Promise<void> {
    if (this.started) return
    await mkdir(this.modulesDir, { recursive: true })
    await mkdir(this.runnableDir, { recursive: true })
    this.names = new Map(Object.entries(await this.readNames()))
    for (const file of await readdir(this.modulesDir)) {
      const cid = file.endsWith('.wasm') ? parseFunctionCid(file.slice(0, -5)) : undefined
      if (cid == null) continue
      const info = await stat(join(this.modulesDir, file))
      this.cids.set(cid, { size: info.size, storedAt: info.mtime.toISOString() })
    }
    this.started = true
    this.log('%d modules, %d names', this.cids.size, this.names.size)
  }

  async stop (): Promise<void> {
    await this.namesWrite
    this.started = false
  }

  async deploy (name: string, bytes: Uint8Array, options: AbortOptions = {}): Promise<DeployedFunction> {
    if (!FUNCTION_NAME_PATTERN.test(name)) {
      throw new InvalidParametersError(`invalid function name "${name.slice(0, 80)}": use 1-63 characters a-z, 0-9 and '-', starting with a letter or digit`)
    }
    // validation happens before anything touches the disk: a bad module never enters the store
    const sanitized = await this.components.sanitizer.sanitize(bytes, this.limits, options)
    const cid = await cidOf(bytes)
    options.signal?.throwIfAborted()
    if (!this.cids.has(cid)) {
      await writeFileAtomic(join(this.modulesDir, `${cid}.wasm`), bytes)
      this.cids.set(cid, { size: bytes.byteLength, storedAt: new Date().toISOString() })
    }
    await this.writeRunnable(cid, sanitized)
    const record = await this.bind(name, cid)
    this.log('deployed %s as %s (v%d, %d bytes)', name, cid, record.version, bytes.byteLength)
    return { name, cid, size: bytes.byteLength, version: record.version }
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

  async list (): Promise<FunctionEntry[]> {
    return [...this.cids.entries()].map(([cid, { size, storedAt }]) => {
      const names = [...this.names.entries()].filter(([, r]) => r.cid === cid)
      return {
        cid,
        size,
        names: names.map(([n]) => n).sort(),
        storedAt,
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

  private async writeRunnable (cid: string, sanitized: RunnableModule): Promise<void> {
    const base = join(this.runnableDir, `${cid}.v${INSTRUMENTER_VERSION}`)
    await writeFileAtomic(`${base}.wasm`, sanitized.bytes)
    await writeFileAtomic(`${base}.json`, JSON.stringify({ memory: sanitized.memory }) + '\n')
  }

  private async bind (name: string, cid: string): Promise<NameRecord> {
    const previous = this.names.get(name)
    const record = { cid, version: (previous?.version ?? 0) + 1, deployedAt: new Date().toISOString() }
    this.names.set(name, record)
    const snapshot = JSON.stringify(Object.fromEntries(this.names), null, 2) + '\n'
    this.namesWrite = this.namesWrite.catch(() => {}).then(async () => { await writeFileAtomic(this.namesFile, snapshot) })
    await this.namesWrite
    return record
  }

  private async readNames (): Promise<Record<string, NameRecord>> {
    try {
      return JSON.parse(await readFile(this.namesFile, 'utf8'))
    } catch (err: any) {
      if (err?.code === 'ENOENT') return {}
      throw err
    }
  }
}
