import { mkdir, readdir, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { TypedEventEmitter } from 'main-event'
import { equals } from 'uint8arrays/equals'
import { FunctionNotFoundError, InvalidChainError, InvalidParametersError, NotStartedError } from '../errors.js'
import { FUNCTION_NAME_PATTERN } from '../store/constants.js'
import { removeTempFiles, writeFileAtomic } from '../utils/atomic-write.js'
import { JsonFile } from '../utils/json-file.js'
import { canonicalChainBytes, chainCidOf, parseChainCid, parseChainSpec } from './spec.js'
import type { ChainSpec } from './spec.js'
import type { AbortOptions, ComponentLogger, Logger } from '@libp2p/interface'

export interface ChainStoreInit {
  /** The daemon's data directory; chains live in `<dataDir>/chains`. */
  dataDir: string
}

export interface ChainStoreComponents {
  logger: ComponentLogger
}

export interface ChainBinding {
  name: string
  cid: string
  /** How many times this name has been deployed on this node (1 for the first). */
  version: number
  deployedAt: string
}

export interface DeployedChain {
  name: string
  cid: string
  steps: number
  version: number
}

export interface ChainEntry extends ChainBinding {
  steps: number
  /** The functions the steps call, each once, in step order. */
  fns: string[]
}

export interface ChainStoreEvents {
  'chain:deployed': CustomEvent<ChainBinding>
  'chain:cached': CustomEvent<{ cid: string, size: number }>
}

interface NameRecord { cid: string, version: number, deployedAt: string }

/** Parsed specs kept in memory; the rest are read again from disk (at most 64 KiB each). */
const MAX_PARSED_SPECS = 128
const NAMES_FILE = 'names.json'

/**
 * Chains are content-addressed like functions, under `<dataDir>/chains/`:
 * - `<cid>.json`: the canonical bytes (their sha2-256 is the CID, json codec);
 * - `names.json`: name -> { cid, version, deployedAt }.
 *
 * A deploy checks everything before it writes, then writes the spec, then `names.json` (its
 * commit point): a crash between the two leaves an unnamed chain, never a name without its spec.
 * Specs are small and fetched only for chains someone invoked, so nothing is evicted.
 */
export class ChainStore extends TypedEventEmitter<ChainStoreEvents> {
  private readonly log: Logger
  private readonly dir: string
  private readonly namesFile: JsonFile<Record<string, NameRecord>>
  private readonly names = new Map<string, NameRecord>()
  private readonly cids = new Set<string>()
  /** Least recently used first; the specs are frozen, so every caller may share one. */
  private readonly parsed = new Map<string, ChainSpec>()
  private started = false

  constructor (components: ChainStoreComponents, init: ChainStoreInit) {
    super()
    this.log = components.logger.forComponent('faasmesh:chains:store')
    this.dir = join(init.dataDir, 'chains')
    this.namesFile = new JsonFile(join(this.dir, NAMES_FILE), () => ({}))
  }

  async start (): Promise<void> {
    if (this.started) return
    await mkdir(this.dir, { recursive: true })
    for (const file of await removeTempFiles(this.dir)) this.log('removed the leftover temporary file %s', file)
    this.cids.clear()
    this.parsed.clear()
    for (const file of await readdir(this.dir)) {
      if (file === NAMES_FILE || !file.endsWith('.json')) continue
      const cid = file.slice(0, -'.json'.length)
      const spec = parseChainCid(cid) === cid ? await this.readSpec(cid) : undefined
      if (spec === undefined) {
        this.log.error('skipped %s: not a stored chain or corrupt', file)
        continue
      }
      this.cids.add(cid)
      this.remember(cid, spec)
    }
    this.names.clear()
    for (const [name, record] of Object.entries(await this.readNames())) {
      if (!FUNCTION_NAME_PATTERN.test(name) || !isNameRecord(record)) {
        this.log.error('skipped the binding of %s: malformed', name.slice(0, 80))
      } else if (!this.cids.has(record.cid)) {
        this.log.error('skipped the binding of %s: chain %s is missing or corrupt', name, record.cid)
      } else {
        this.names.set(name, { cid: record.cid, version: record.version, deployedAt: record.deployedAt })
      }
    }
    this.started = true
    this.log('%d chains, %d names', this.cids.size, this.names.size)
  }

  async stop (): Promise<void> {
    await this.namesFile.flush()
    this.started = false
  }

  /**
   * Validates, stores and names a chain; the CID is that of its canonical form. Throws
   * `InvalidParametersError` (bad name) or `InvalidChainError`, having written nothing.
   */
  async deploy (name: string, bytes: Uint8Array, options: AbortOptions = {}): Promise<DeployedChain> {
    this.assertStarted()
    if (!FUNCTION_NAME_PATTERN.test(name)) {
      throw new InvalidParametersError(`invalid chain name "${name.slice(0, 80)}": use 1-63 characters a-z, 0-9 and '-', starting with a letter or digit`)
    }
    const spec = parseChainSpec(bytes)
    const canonical = canonicalChainBytes(spec)
    const cid = await chainCidOf(canonical)
    options.signal?.throwIfAborted()
    await this.add(cid, canonical, spec)
    const record = await this.bind(name, cid)
    this.log('deployed chain %s as %s (v%d, %d steps)', name, cid, record.version, spec.steps.length)
    this.safeDispatchEvent('chain:deployed', { detail: { name, ...record } })
    return { name, cid, steps: spec.steps.length, version: record.version }
  }

  /**
   * Stores a chain fetched from a peer. Only canonical bytes are taken: then the CID a peer
   * asked for is the CID this node computes and serves. Returns the CID.
   */
  async putCached (bytes: Uint8Array, options: AbortOptions = {}): Promise<string> {
    this.assertStarted()
    const spec = parseChainSpec(bytes)
    if (!equals(canonicalChainBytes(spec), bytes)) {
      throw new InvalidChainError('chain: the bytes are a valid spec but not in canonical form')
    }
    const cid = await chainCidOf(bytes)
    options.signal?.throwIfAborted()
    await this.add(cid, bytes, spec)
    this.safeDispatchEvent('chain:cached', { detail: { cid, size: bytes.byteLength } })
    return cid
  }

  has (cid: string): boolean {
    return this.cids.has(cid)
  }

  /** The parsed spec (frozen, shared), or undefined if this node does not hold it. */
  async get (cid: string): Promise<ChainSpec | undefined> {
    const cached = this.parsed.get(cid)
    if (cached !== undefined) {
      this.remember(cid, cached)
      return cached
    }
    if (!this.cids.has(cid)) return undefined
    const spec = await this.readSpec(cid)
    if (spec === undefined) {
      this.log.error('chain %s went missing or corrupt on disk', cid)
      return undefined
    }
    this.remember(cid, spec)
    return spec
  }

  /** The canonical bytes (what the CID hashes), to serve to peers. */
  async getOriginal (cid: string): Promise<Uint8Array | undefined> {
    if (!this.cids.has(cid)) return undefined
    try {
      return await readFile(this.file(cid))
    } catch (err: any) {
      if (err?.code === 'ENOENT') return undefined
      throw err
    }
  }

  /** The CID for a local name or a stored chain CID. Throws `FunctionNotFoundError`. */
  async resolve (nameOrCid: string): Promise<string> {
    const cid = parseChainCid(nameOrCid)
    if (cid !== undefined && this.cids.has(cid)) return cid
    const record = this.names.get(nameOrCid)
    if (record !== undefined) return record.cid
    throw new FunctionNotFoundError(`no chain named or with CID "${nameOrCid.slice(0, 100)}"`)
  }

  /** Every name bound on this node, by name. */
  bindings (): ChainBinding[] {
    return [...this.names.entries()].map(([name, r]) => ({ name, ...r })).sort((a, b) => a.name.localeCompare(b.name))
  }

  /** The named chains, by name. */
  async list (): Promise<ChainEntry[]> {
    const entries: ChainEntry[] = []
    for (const binding of this.bindings()) {
      const spec = await this.get(binding.cid)
      if (spec === undefined) continue
      entries.push({ ...binding, steps: spec.steps.length, fns: [...new Set(spec.steps.map((s) => s.fn))] })
    }
    return entries
  }

  private assertStarted (): void {
    if (!this.started) throw new NotStartedError('the chain store is not started')
  }

  private file (cid: string): string {
    return join(this.dir, `${cid}.json`)
  }

  private async add (cid: string, bytes: Uint8Array, spec: ChainSpec): Promise<void> {
    if (!this.cids.has(cid)) {
      await writeFileAtomic(this.file(cid), bytes)
      this.cids.add(cid)
    }
    this.remember(cid, spec)
  }

  private async bind (name: string, cid: string): Promise<NameRecord> {
    const previous = this.names.get(name)
    const record = { cid, version: (previous?.version ?? 0) + 1, deployedAt: new Date().toISOString() }
    this.names.set(name, record)
    try {
      await this.namesFile.write(Object.fromEntries(this.names))
    } catch (err) {
      // the name on disk is still the previous one: so is the one callers see
      if (this.names.get(name) === record) {
        if (previous === undefined) this.names.delete(name)
        else this.names.set(name, previous)
      }
      throw err
    }
    return record
  }

  private remember (cid: string, spec: ChainSpec): void {
    this.parsed.delete(cid)
    this.parsed.set(cid, freeze(spec))
    for (const oldest of this.parsed.keys()) {
      if (this.parsed.size <= MAX_PARSED_SPECS) break
      this.parsed.delete(oldest)
    }
  }

  /** The spec stored for `cid`, if its file is readable, hashes to `cid` and is canonical. */
  private async readSpec (cid: string): Promise<ChainSpec | undefined> {
    try {
      const bytes = await readFile(this.file(cid))
      if (await chainCidOf(bytes) !== cid) throw new InvalidChainError('the bytes do not hash to their CID')
      const spec = parseChainSpec(bytes)
      if (!equals(canonicalChainBytes(spec), bytes)) throw new InvalidChainError('not in canonical form')
      return spec
    } catch (err: any) {
      // a bad file costs that one chain, never the node
      this.log.error('chain %s: %s', cid, err?.code ?? err?.message ?? err)
      return undefined
    }
  }

  /** `names.json`, or nothing if it is unreadable; a corrupt one is kept aside for a person to look at. */
  private async readNames (): Promise<Record<string, unknown>> {
    try {
      const names = await this.namesFile.read()
      if (names !== null && typeof names === 'object' && !Array.isArray(names)) return names
      this.log.error('%s is not a mapping: starting with no names', this.namesFile.path)
    } catch (err: any) {
      this.log.error('%s is unreadable (%s): starting with no names', this.namesFile.path, err?.message ?? err)
    }
    await rename(this.namesFile.path, `${this.namesFile.path}.corrupt`).catch(() => {})
    return {}
  }
}

export function chainStore (init: ChainStoreInit): (components: ChainStoreComponents) => ChainStore {
  return (components) => new ChainStore(components, init)
}

function isNameRecord (r: unknown): r is NameRecord {
  if (r === null || typeof r !== 'object') return false
  const { cid, version, deployedAt } = r as Record<string, unknown>
  return typeof cid === 'string' && Number.isSafeInteger(version) && (version as number) > 0 && typeof deployedAt === 'string'
}

function freeze (spec: ChainSpec): ChainSpec {
  if (Object.isFrozen(spec)) return spec
  for (const step of spec.steps) {
    Object.freeze(step.after)
    Object.freeze(step)
  }
  Object.freeze(spec.steps)
  return Object.freeze(spec)
}
