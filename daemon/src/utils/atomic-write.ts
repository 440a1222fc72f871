import { randomBytes } from 'node:crypto'
import { renameSync, rmSync, writeFileSync } from 'node:fs'
import { readdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/** What `writeFileAtomic` names its temporary file: `<target>.<12 hex digits>.tmp`. */
const TEMP_FILE = /\.[0-9a-f]{12}\.tmp$/

/**
 * Writes a file so that readers (and a crash) see either the old or the new contents, never a
 * torn mix: write a temporary sibling, flushed to the disk, then rename it over the target.
 */
export async function writeFileAtomic (path: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await writeFile(tmp, data, { mode, flush: true })
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
}

/**
 * `writeFileAtomic` without the flush, in the calling thread: four system calls that land in
 * the OS's page cache take tens of microseconds, where the same calls through libuv's thread
 * pool cost a hop each (about a millisecond in all on a busy two-core machine). For small files
 * written on a hot path; a process that dies after it returns loses nothing.
 */
export function writeFileAtomicSync (path: string, data: Uint8Array | string, mode = 0o644): void {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    writeFileSync(tmp, data, { mode })
    renameSync(tmp, path)
  } catch (err) {
    rmSync(tmp, { force: true })
    throw err
  }
}

/**
 * Removes the temporary files of atomic writes that a crash interrupted (a killed process
 * never reaches its own clean-up). Only for directories this process alone writes, before it
 * writes any: a write in flight would lose its file. Returns the names removed.
 */
export async function removeTempFiles (dir: string): Promise<string[]> {
  const removed: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile() || !TEMP_FILE.test(entry.name)) continue
    await rm(join(dir, entry.name), { force: true })
    removed.push(entry.name)
  }
  return removed
}
