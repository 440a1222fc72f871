/**
 * Invocations per function: counts, errors and a bounded sample of latencies for each, for at most
 * `maxFunctions` functions; past that the one invoked least recently is forgotten, so a caller
 * naming a new function on every call cannot grow it.
 */
import { p50p99 } from './quantile.js'
import { Reservoir } from './samples.js'
import type { FunctionStats } from './index.js'

interface Entry {
  name?: string
  cid: string
  invocations: number
  errors: number
  lastAt: number
  lastError?: string
  latencies: Reservoir
}

export class FunctionTable {
  // a Map iterates in insertion order: re-inserting on each call keeps the least recent first
  private readonly entries = new Map<string, Entry>()

  constructor (private readonly maxFunctions: number, private readonly samplesPerFunction: number) {}

  add (done: { cid: string, name?: string, at: number, ok: boolean, errorName?: string, latencyMs?: number }): void {
    // a name is what a person invoked; the same code under two names is two rows
    const key = done.name != null ? `name:${done.name}` : `cid:${done.cid}`
    let entry = this.entries.get(key)
    if (entry == null) {
      entry = { ...(done.name != null ? { name: done.name } : {}), cid: done.cid, invocations: 0, errors: 0, lastAt: 0, latencies: new Reservoir(this.samplesPerFunction) }
    } else {
      this.entries.delete(key)
    }
    this.entries.set(key, entry)
    if (this.entries.size > this.maxFunctions) this.entries.delete(this.entries.keys().next().value!)
    // a name rebound to new code (a new version): the row follows the latest CID
    entry.cid = done.cid
    entry.invocations++
    entry.lastAt = Math.max(entry.lastAt, done.at)
    if (!done.ok) {
      entry.errors++
      if (done.errorName != null) entry.lastError = done.errorName
    }
    if (done.latencyMs != null && Number.isFinite(done.latencyMs)) entry.latencies.add(done.latencyMs)
  }

  /** Most recently invoked first. */
  list (): FunctionStats[] {
    return [...this.entries.values()].reverse().map((e) => {
      const { p50, p99 } = p50p99(e.latencies.samples())
      return {
        ...(e.name != null ? { name: e.name } : {}),
        cid: e.cid,
        invocations: e.invocations,
        errors: e.errors,
        errorRate: e.invocations === 0 ? 0 : e.errors / e.invocations,
        ...(p50 != null ? { p50Ms: p50 } : {}),
        ...(p99 != null ? { p99Ms: p99 } : {}),
        lastAt: e.lastAt,
        ...(e.lastError != null ? { lastError: e.lastError } : {})
      }
    })
  }
}
