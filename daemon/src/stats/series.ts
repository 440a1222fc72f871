/**
 * Invocations per second and their latency, over the last few minutes: a ring of one bucket per
 * second, reused as time moves on, so memory is fixed however long the node runs.
 */
import { p50p99 } from './quantile.js'
import { Reservoir } from './samples.js'
import type { SeriesPoint } from './index.js'

interface Bucket {
  /** The second it counts (Unix seconds); another value means the bucket is stale. */
  second: number
  count: number
  errors: number
  latencies: Reservoir
}

export class SecondSeries {
  private readonly buckets: Bucket[]

  constructor (private readonly seconds: number, private readonly samplesPerSecond: number) {
    this.buckets = Array.from({ length: seconds }, () => ({ second: -1, count: 0, errors: 0, latencies: new Reservoir(samplesPerSecond) }))
  }

  add (atMs: number, ok: boolean, latencyMs?: number): void {
    const second = Math.floor(atMs / 1000)
    const bucket = this.buckets[second % this.seconds]!
    if (bucket.second !== second) {
      // an invocation that finished longer ago than the window is not drawn
      if (bucket.second > second) return
      bucket.second = second
      bucket.count = 0
      bucket.errors = 0
      bucket.latencies = new Reservoir(this.samplesPerSecond)
    }
    bucket.count++
    if (!ok) bucket.errors++
    if (latencyMs != null && Number.isFinite(latencyMs)) bucket.latencies.add(latencyMs)
  }

  /** One point per second, oldest first, ending with the second of `nowMs` (empty seconds count 0). */
  points (nowMs: number): SeriesPoint[] {
    const last = Math.floor(nowMs / 1000)
    const points: SeriesPoint[] = []
    for (let second = last - this.seconds + 1; second <= last; second++) {
      const bucket = this.buckets[((second % this.seconds) + this.seconds) % this.seconds]!
      if (bucket.second !== second) {
        points.push({ t: second, count: 0, errors: 0 })
        continue
      }
      const { p50, p99 } = p50p99(bucket.latencies.samples())
      points.push({ t: second, count: bucket.count, errors: bucket.errors, ...(p50 != null ? { p50Ms: p50 } : {}), ...(p99 != null ? { p99Ms: p99 } : {}) })
    }
    return points
  }
}
