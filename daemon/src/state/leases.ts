/**
 * A primary's leases: one invocation at a time holds a state key, from its READ to its COMMIT
 * or RELEASE, and the others wait in arrival order. Without them the node whose transactions
 * are local to the primary (no round trip between read and commit) wins every race, and the
 * other nodes' transactions conflict until they give up. A lease is only a queue: the version
 * check still decides every commit, so a lease that lapses (its holder vanished, or ran longer
 * than it said) costs a re-run, never a lost write.
 */
import { KeyBusyError } from '../errors.js'

/** The longest lease a peer may ask for: a vanished holder delays a key's next transaction by no more. */
export const MAX_LEASE_MS = 60_000
/** Invocations that may wait for one key; more are refused (KeyBusyError) rather than queued without bound. */
export const MAX_WAITERS_PER_KEY = 1024
/**
 * The longest a READ waits for its turn: under the state request's 10 s, so that the primary
 * answers BUSY before its caller's request times out and tries another replica as primary.
 */
export const MAX_LEASE_WAIT_MS = 5_000
/**
 * Keys held at once: each lease is a timer and a queue, and a peer reading ever more keys with
 * a lease would otherwise make them without end. Past it, a READ of a key nobody holds is BUSY.
 */
export const MAX_LEASED_KEYS = 65_536

interface Waiter {
  id: string
  leaseMs: number
  grant(): void
}

interface Lease {
  id: string
  timer: ReturnType<typeof setTimeout>
  waiters: Waiter[]
}

export class KeyLeases {
  private readonly leases = new Map<string, Lease>()

  /**
   * @param maxLeaseMs - the longest lease granted, whatever a peer asks for: this node's own
   * transactions' lease (a peer cannot hold a key longer than this node's calls would)
   * @param maxWaitMs - the longest a READ waits for its turn
   */
  constructor (private readonly maxLeaseMs = MAX_LEASE_MS, private readonly maxWaitMs = MAX_LEASE_WAIT_MS) {}

  /**
   * Resolves once `id` holds `key` (at once when nobody else does, or when it holds it already:
   * a re-run after a conflict). Rejects with the signal's reason when it aborts while waiting.
   */
  async acquire (key: string, id: string, leaseMs: number, signal?: AbortSignal): Promise<void> {
    // a request its sender gave up on takes no lease
    signal?.throwIfAborted()
    const ms = Math.max(1, Math.min(leaseMs, this.maxLeaseMs))
    const lease = this.leases.get(key)
    // the holder reading again (a re-run after a conflict) keeps its lease as it was: asking
    // again never extends it, so no peer holds a key longer than its first ask said
    if (lease?.id === id) return
    if (lease == null) {
      if (this.leases.size >= MAX_LEASED_KEYS) throw new KeyBusyError(`${MAX_LEASED_KEYS} state keys are held already`)
      this.grant(key, id, ms, [])
      return
    }
    if (lease.waiters.length >= MAX_WAITERS_PER_KEY) throw new KeyBusyError(`${MAX_WAITERS_PER_KEY} invocations already wait for state key "${key}"`)
    await new Promise<void>((resolve, reject) => {
      const leave = (reason: unknown): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        const current = this.leases.get(key)
        if (current != null) current.waiters = current.waiters.filter((w) => w !== waiter)
        reject(reason)
      }
      const waiter: Waiter = { id, leaseMs: ms, grant: () => { clearTimeout(timer); signal?.removeEventListener('abort', onAbort); resolve() } }
      const onAbort = (): void => { leave(signal?.reason) }
      const timer = setTimeout(() => { leave(new KeyBusyError(`waited ${this.maxWaitMs} ms for state key "${key}"`)) }, this.maxWaitMs)
      timer.unref?.()
      signal?.addEventListener('abort', onAbort, { once: true })
      lease.waiters.push(waiter)
    })
  }

  /** Ends `id`'s hold on `key` (nothing when it holds none) and hands the key to the next waiter. */
  release (key: string, id: string): void {
    const lease = this.leases.get(key)
    if (lease?.id !== id) return
    this.next(key, lease)
  }

  /** Keys held or waited for. */
  get size (): number {
    return this.leases.size
  }

  private grant (key: string, id: string, ms: number, waiters: Waiter[]): void {
    const previous = this.leases.get(key)
    if (previous != null) clearTimeout(previous.timer)
    const lease: Lease = { id, waiters, timer: setTimeout(() => { this.next(key, lease) }, ms) }
    lease.timer.unref?.()
    this.leases.set(key, lease)
  }

  private next (key: string, lease: Lease): void {
    clearTimeout(lease.timer)
    const waiter = lease.waiters.shift()
    if (waiter == null) {
      this.leases.delete(key)
      return
    }
    this.grant(key, waiter.id, waiter.leaseMs, lease.waiters)
    waiter.grant()
  }
}
