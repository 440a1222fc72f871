/** Prometheus metrics of the sanitizer: jobs by outcome and time, the queue, processes replaced. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { SanitizerStats } from './index.js'

export function sanitizerMetrics (registry: Registry, stats: () => SanitizerStats) {
  return {
    jobs: new Counter({
      name: 'faasmesh_sanitizer_jobs_total',
      help: 'Modules sanitized (deployed or fetched), by outcome: ok or the error name',
      labelNames: ['outcome'],
      registers: [registry]
    }),
    duration: new Histogram({
      name: 'faasmesh_sanitizer_duration_seconds',
      help: 'Time a module took to sanitize, its own work only (queue wait and process start excluded)',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry]
    }),
    queue: new Gauge({
      name: 'faasmesh_sanitizer_queue_length',
      help: 'Modules waiting for a sanitizer process',
      registers: [registry],
      collect () { this.set(stats().queued) }
    }),
    replaced: new Gauge({
      name: 'faasmesh_sanitizer_processes_replaced',
      help: 'Sanitizer processes ended after a timeout, a cancellation, a crash or growing large, since start',
      registers: [registry],
      collect () { this.set(stats().replaced) }
    })
  }
}
