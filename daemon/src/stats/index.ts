/**
 * @packageDocumentation
 *
 * What the dashboard draws (docs/dashboard.md): invocations per second with latency p50/p99 over
 * the last minutes (`GET /v1/stats/series`), and per function the invocations, error rate and
 * p50/p99 (`GET /v1/stats/functions`). Fed with every placement this node settles, as the
 * entry node of an invocation (a chain and each of its steps count apart). Memory is bounded: a
 * ring of one bucket per second, at most `maxFunctions` functions, and a fixed sample of
 * latencies per second and per function.
 *
 * @example
 * ```ts
 * const stats = invocationStats()({})
 * placement.addEventListener('placement:done', (evt) => { stats.record(evt.detail) })
 * stats.series() // [{ t, count, errors, p50Ms, p99Ms }, ...]
 * ```
 */
import { InvocationStats as InvocationStatsClass } from './stats.js'

export interface InvocationStatsInit {
  /** Seconds of history in the series. @default 300 */
  windowSeconds?: number
  /** Functions tracked at once; the least recently invoked is dropped past it. @default 256 */
  maxFunctions?: number
  /** Latencies kept per second and per function for the quantiles (a uniform sample beyond it). @default 256 */
  samples?: number
}

export interface InvocationStatsComponents {
  /** Wall clock in ms. @default Date.now */
  now?(): number
}

/** What the stats need of a finished placement record (daemon/src/placement). */
export interface FinishedInvocation {
  cid: string
  /** The name it was invoked by, when it was one. */
  name?: string
  /** `ok`, or the caller's error name. */
  outcome?: string
  totalMs?: number
  /** A chain's record: named by the chain's name when the record has none. */
  chain?: { name?: string }
}

/** One second of the series. */
export interface SeriesPoint {
  /** Unix seconds. */
  t: number
  count: number
  errors: number
  /** Latency quantiles of that second's invocations (absent when none). */
  p50Ms?: number
  p99Ms?: number
}

export interface FunctionStats {
  name?: string
  /** The CID it ran last. */
  cid: string
  invocations: number
  errors: number
  /** errors / invocations. */
  errorRate: number
  p50Ms?: number
  p99Ms?: number
  /** When it was last invoked, ms since the epoch. */
  lastAt: number
  /** The name of the latest error. */
  lastError?: string
}

export interface InvocationStats {
  readonly windowSeconds: number
  /** Counts one finished invocation now. */
  record(done: FinishedInvocation): void
  /** The last `windowSeconds` seconds, oldest first, the current one last. */
  series(): SeriesPoint[]
  /** Every function tracked, most recently invoked first. */
  functions(): FunctionStats[]
}

export function invocationStats (init: InvocationStatsInit = {}): (components: InvocationStatsComponents) => InvocationStats {
  return (components) => new InvocationStatsClass(components, init)
}
