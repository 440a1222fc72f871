import { join } from 'node:path'
import { JsonFile } from '../utils/json-file.js'
import { MAX_VERSIONS_PER_NAME } from './constants.js'
import type { FunctionVersion } from './index.js'

/**
 * The deploy history of every name on this node, `<root>/versions.json`: name -> its latest
 * versions, oldest first, at most `MAX_VERSIONS_PER_NAME` each. `names.json` stays the commit
 * point of a deploy: the history follows it, and a crash between the two writes loses at most
 * one history entry, never a binding. A data dir from before the history existed starts each
 * name's history at its current binding (`seed`).
 */
export class VersionHistory {
  private readonly file: JsonFile<Record<string, FunctionVersion[]>>
  private history = new Map<string, FunctionVersion[]>()

  constructor (root: string, private readonly max = MAX_VERSIONS_PER_NAME) {
    this.file = new JsonFile(join(root, 'versions.json'), () => ({}))
  }

  /** Loads the history; `bound` (each name's current binding) fills in names it lacks. */
  async load (bound: Iterable<FunctionVersion & { name: string }>): Promise<void> {
    const stored = await this.file.read()
    this.history = new Map()
    let changed = false
    for (const { name, ...current } of bound) {
      const versions = Array.isArray(stored[name]) ? stored[name].filter(isVersion) : []
      // the binding is the truth: a history that missed its last write gets it back
      if (versions.at(-1)?.version !== current.version) {
        versions.push(current)
        changed = true
      }
      this.history.set(name, versions.slice(-this.max))
    }
    if (changed || Object.keys(stored).some((name) => !this.history.has(name))) await this.save()
  }

  /** A name's versions, oldest first (empty for a name never deployed here or deleted). */
  of (name: string): FunctionVersion[] {
    return [...(this.history.get(name) ?? [])]
  }

  /** Every CID some version of some name points to (kept pinned). */
  cids (): Set<string> {
    return new Set([...this.history.values()].flatMap((versions) => versions.map((v) => v.cid)))
  }

  /** Appends a version; returns the ones that fell out of the bounded history. */
  async add (name: string, version: FunctionVersion): Promise<FunctionVersion[]> {
    const versions = [...this.of(name), version]
    const dropped = versions.splice(0, Math.max(0, versions.length - this.max))
    this.history.set(name, versions)
    await this.save()
    return dropped
  }

  /** Forgets a name's history; returns it. */
  async remove (name: string): Promise<FunctionVersion[]> {
    const versions = this.of(name)
    this.history.delete(name)
    await this.save()
    return versions
  }

  async flush (): Promise<void> {
    await this.file.flush()
  }

  private async save (): Promise<void> {
    await this.file.write(Object.fromEntries(this.history))
  }
}

function isVersion (v: unknown): v is FunctionVersion {
  const r = v as FunctionVersion | undefined
  return typeof r?.version === 'number' && typeof r.cid === 'string' && typeof r.deployedAt === 'string' && typeof r.size === 'number'
}
