import { Counter, type Registry } from 'prom-client'

export interface InvocationMetrics {
  deduplicated: Counter<'table' | 'how'>
  forgotten: Counter<'table' | 'reason'>
}

// the entry node's table and the executing node's share one registry
const byRegistry = new WeakMap<Registry, InvocationMetrics>()

export function invocationMetrics (registry: Registry): InvocationMetrics {
  let metrics = byRegistry.get(registry)
  if (metrics == null) {
    metrics = {
      deduplicated: new Counter({
        name: 'faasmesh_invocations_deduplicated_total',
        help: 'Requests answered without a run of their own because their invocation id ran or runs here, by table (entry, executor) and how (joined a run in progress, or got the recorded outcome)',
        labelNames: ['table', 'how'],
        registers: [registry]
      }),
      forgotten: new Counter({
        name: 'faasmesh_invocations_forgotten_total',
        help: 'Outcomes dropped before their dedup window ended because the table was full, by table and bound (count, bytes)',
        labelNames: ['table', 'reason'],
        registers: [registry]
      })
    }
    byRegistry.set(registry, metrics)
  }
  return metrics
}
