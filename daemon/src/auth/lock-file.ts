/**
 * One writer at a time across processes: `faasmesh token create` in two shells, or the CLI while
 * a script revokes. Each write reads, changes and rewrites the whole file, so two at once would
 * lose one of them. The lock is a file created exclusively; a lock left by a writer that died is
 * taken over once it is old.
 */
import { open, rm, stat } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { TokenFileError } from '../errors.js'
import type { AbortOptions } from '@libp2p/interface'

const RETRY_MS = 20

export async function withLockFile<T> (path: string, timeoutMs: number, staleMs: number, fn: () => Promise<T>, options: AbortOptions = {}): Promise<T> {
  const until = Date.now() + timeoutMs
  while (true) {
    options.signal?.throwIfAborted()
    try {
      const handle = await open(path, 'wx', 0o600)
      await handle.close()
      break
    } catch (err: any) {
      if (err?.code !== 'EEXIST') throw new TokenFileError(`cannot lock ${path}: ${String(err?.code ?? err?.message ?? err)}`)
    }
    const age = await stat(path).then((s) => Date.now() - s.mtimeMs, () => 0)
    if (age > staleMs) {
      await rm(path, { force: true })
      continue
    }
    if (Date.now() > until) throw new TokenFileError(`${path} is held by another writer (for more than ${timeoutMs} ms); if none runs, remove it`)
    await sleep(RETRY_MS, undefined, { signal: options.signal })
  }
  try {
    return await fn()
  } finally {
    await rm(path, { force: true })
  }
}
