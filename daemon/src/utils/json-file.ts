import { readFile } from 'node:fs/promises'
import { writeFileAtomic } from './atomic-write.js'

/**
 * A small JSON document on disk, written atomically and one write at a time, so two updates in
 * flight can never interleave or lose each other (the last snapshot always lands last).
 */
export class JsonFile<T> {
  private pending: Promise<void> = Promise.resolve()

  constructor (readonly path: string, private readonly empty: () => T) {}

  async read (): Promise<T> {
    try {
      return JSON.parse(await readFile(this.path, 'utf8')) as T
    } catch (err: any) {
      if (err?.code === 'ENOENT') return this.empty()
      throw err
    }
  }

  /** Queues a write of `value` (serialised now, written after earlier writes). */
  async write (value: T): Promise<void> {
    const text = JSON.stringify(value, null, 2) + '\n'
    this.pending = this.pending.catch(() => {}).then(async () => { await writeFileAtomic(this.path, text) })
    await this.pending
  }

  /** Resolves once every queued write has landed. */
  async flush (): Promise<void> {
    await this.pending.catch(() => {})
  }
}
