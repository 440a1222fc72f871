/**
 * Closed-loop HTTP load from autocannon (npm, pinned in devDependencies): `connections`
 * keep-alive connections, each sending its next request as soon as the previous answer
 * arrived, for `seconds`. autocannon records latency in whole milliseconds, so its median and
 * p99 are coarse for a ~1 ms request: read the throughput rows (the latency rows of the
 * placement overhead are measured request by request, in bench/placement.bench.ts).
 */
import autocannon from 'autocannon'
import type { Summary } from './stats.js'

/** `errors`: transport errors and timeouts; `non2xx`: answers with another status. */
export interface LoadResult extends Summary { throughput: number, errors: number, non2xx: number }

export interface LoadTarget { url: string, connections: number, headers?: Record<string, string> }

/** Load on one URL. */
export async function httpLoad (url: string, body: string, seconds: number, connections: number, headers: Record<string, string> = {}): Promise<LoadResult> {
  return httpLoadMany([{ url, connections, headers }], body, seconds)
}

/**
 * Load on several URLs at once (one autocannon instance each, all in this process): the
 * throughput is their sum; the median is the answers-weighted mean of their medians and the
 * p99 the worst of theirs (autocannon keeps no samples to merge).
 */
export async function httpLoadMany (targets: LoadTarget[], body: string, seconds: number): Promise<LoadResult> {
  const results = await Promise.all(targets.map(async (t) => autocannon({
    url: t.url,
    method: 'POST',
    body,
    headers: t.headers ?? {},
    connections: t.connections,
    duration: seconds,
    // a call the mesh queues can take seconds on a loaded 2-core host: counted, not dropped
    timeout: 60
  })))
  const answered = results.reduce((sum, r) => sum + r['2xx'], 0)
  const weighted = (f: (r: typeof results[number]) => number): number => results.reduce((sum, r) => sum + f(r) * r['2xx'], 0) / Math.max(1, answered)
  return {
    n: answered,
    median: weighted((r) => r.latency.p50),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    mean: weighted((r) => r.latency.mean),
    throughput: results.reduce((sum, r) => sum + r['2xx'] / r.duration, 0),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0)
  }
}
