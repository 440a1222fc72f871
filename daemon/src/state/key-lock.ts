import { raceSignal } from 'race-signal'
import { NoCapacityError } from '../errors.js'

/** Invocations one node lets wait for one state key; more are refused rather than queued without bound. */
export const MAX_WAITING_PER_KEY = 256

/**
 * Runs work on one key at a time, in arrival order: a node's own invocations on one state key
 * never race each other to a version conflict (conflicts are left to other nodes' invocations).
 * A caller whose signal aborts while it waits leaves the queue; the work behind it still waits
 * for the work before it.
 */
export class KeyLock {
  private readonly queues = new Map<string, { tail: Promise<void>, waiting: number }>()

  async run<T>(key: string, work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const queue = this.queues.get(key) ?? { tail: Promise.resolve(), waiting: 0 }
    if (queue.waiting >= MAX_WAITING_PER_KEY) throw new NoCapacityError(`${MAX_WAITING_PER_KEY} invocations already wait for state key "${key}" on this node`)
    const previous = queue.tail
    let release!: () => void
    const mine = new Promise<void>((resolve) => { release = resolve })
    // the key is free once every run queued so far has ended, whether its caller waited or left
    const tail = previous.then(async () => mine)
    queue.tail = tail
    queue.waiting++
    this.queues.set(key, queue)
    void tail.then(() => {
      queue.waiting--
      if (this.queues.get(key)?.tail === tail) this.queues.delete(key)
    })
    try {
      await raceSignal(previous, signal)
      return await work()
    } finally {
      release()
    }
  }

  /** Keys with work running or waiting. */
  get size (): number {
    return this.queues.size
  }
}
