import { readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { INSTRUMENTER_VERSION } from '../sanitizer/index.js'
import { removeTempFiles } from '../utils/atomic-write.js'
import { parseFunctionCid } from './cid.js'
import type { ModuleMeta, NameRecord } from './function-store.js'

export interface StoreDirs {
  /** `names.json` and `modules.json` live here. */
  root: string
  modulesDir: string
  runnableDir: string
}

export interface RecoveredStore {
  names: Map<string, NameRecord>
  modules: Map<string, ModuleMeta>
  /** `names.json` must be written back. */
  namesChanged: boolean
  /** `modules.json` must be written back. */
  indexChanged: boolean
  /** What was repaired, one line each, for the log. */
  repairs: string[]
}

const RUNNABLE_FILE = /^(.+)\.v(\d+)\.(wasm|json)$/

/**
 * Brings the store's files back to one consistent state at start, whatever write a crash cut
 * short. `deploy` writes in this order, so each crash leaves a state handled here:
 * 1. `modules/<cid>.wasm`, then its runnable files: a module file with no index entry is a
 *    deploy or fetch that never finished; nobody deployed it, so it is kept as `cached`
 *    (evictable), never pinned;
 * 2. `names.json` (the commit point of a deploy): a module a name points to is pinned (`local`),
 *    whatever `modules.json` says, since the crash may have come before step 3;
 * 3. `modules.json` with the module `local`.
 * So a `local` module no name points to was deployed by someone, and its name moved on: an
 * older version, kept pinned. Every atomic write leaves a `.tmp` file when killed mid-write:
 * those go first. A name whose module file is gone (only damage outside the store does that)
 * is dropped: it could not run, and the node must not announce what it cannot serve. Runnable
 * files of modules that are gone, or of another instrumenter version, are rebuilt on demand,
 * so they go too.
 */
export async function recoverStore (dirs: StoreDirs, names: Record<string, NameRecord>, index: Record<string, ModuleMeta>): Promise<RecoveredStore> {
  const repairs: string[] = []
  for (const dir of [dirs.root, dirs.modulesDir, dirs.runnableDir]) {
    for (const file of await removeTempFiles(dir)) repairs.push(`removed the leftover temporary file ${join(dir, file)}`)
  }

  const modules = new Map<string, ModuleMeta>()
  let indexChanged = false
  for (const file of await readdir(dirs.modulesDir)) {
    const cid = file.endsWith('.wasm') ? parseFunctionCid(file.slice(0, -5)) : undefined
    if (cid == null || `${cid}.wasm` !== file) continue
    const known = index[cid]
    if (known != null) {
      modules.set(cid, known)
      continue
    }
    const info = await stat(join(dirs.modulesDir, file))
    modules.set(cid, { size: info.size, storedAt: info.mtime.toISOString(), origin: 'cached', lastUsedAt: info.mtimeMs })
    indexChanged = true
    repairs.push(`indexed ${cid}, stored but never deployed, as cached`)
  }
  for (const cid of Object.keys(index)) {
    if (modules.has(cid)) continue
    indexChanged = true
    repairs.push(`forgot ${cid}: its module file is gone`)
  }

  const bound = new Map<string, NameRecord>()
  let namesChanged = false
  for (const [name, record] of Object.entries(names)) {
    const meta = modules.get(record.cid)
    if (meta == null) {
      namesChanged = true
      repairs.push(`dropped the name ${name}: its module ${record.cid} is gone`)
      continue
    }
    bound.set(name, record)
    if (meta.origin !== 'local') {
      modules.set(record.cid, { ...meta, origin: 'local' })
      indexChanged = true
      repairs.push(`pinned ${record.cid}: the name ${name} points to it`)
    }
  }

  for (const file of await readdir(dirs.runnableDir)) {
    const match = RUNNABLE_FILE.exec(file)
    if (match == null) continue
    const [, cid, version] = match
    // not a file of ours: leave it
    if (parseFunctionCid(cid!) !== cid) continue
    if (modules.has(cid!) && Number(version) === INSTRUMENTER_VERSION) continue
    await rm(join(dirs.runnableDir, file), { force: true })
    repairs.push(`removed ${file}: ${modules.has(cid!) ? 'another instrumenter version' : 'its module is gone'}`)
  }

  return { names: bound, modules, namesChanged, indexChanged, repairs }
}
