import { raceSignal } from 'race-signal'

/**
 * Runs work on one key at a time, in arrival order: a node's own invocations on one state key
 * never race each other to a version conflict (conflicts are left to other nodes' invocations).
 * A caller whose signal aborts while it waits leaves the queue; the work behind it still waits
 * for the work before it.
 */
export class KeyLock {
  private readonly tails = new Map<string, Promise<void>>()

  async run<T>(key: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    let release!: () => void
    const mine = new Promise<void>((resolve) => { release = resolve })
    const tail = previous.then(async () => mine)
    this.tails.set(key, tail)
    try {
      await raceSignal(previous, signal)
      return await work()
    } finally {
      release()
      if (this.tails.get(key) === tail) this.tails.delete(key)
    }
  }

  /** Keys with work running or waiting. */
  get size (): number {
    return this.tails.size
  }
}
