import { Counter, type Registry } from 'prom-client'

export interface StateMetrics {
  /** Bytes of state that crossed the network (or the database link), by model and phase (read, commit). */
  bytes: Counter<'model' | 'phase'>
  /** Transactions that ended well, by model and how (committed, replayed: the id was applied already, read-only). */
  commits: Counter<'model' | 'outcome'>
  /** Commits that met a moved version and re-ran the invocation. */
  conflicts: Counter<'model'>
  /** Transactions that failed for reasons of the state (an error name), by model. */
  failures: Counter<'model' | 'error'>
}

export function stateMetrics (registry: Registry): StateMetrics {
  return {
    bytes: new Counter({
      name: 'faasmesh_state_network_bytes_total',
      help: 'Bytes of state moved over the network or to the database for invocations run here, by model and phase (read, commit)',
      labelNames: ['model', 'phase'],
      registers: [registry]
    }),
    commits: new Counter({
      name: 'faasmesh_state_transactions_total',
      help: 'Stateful invocations run here that ended well, by model and outcome (committed; replayed: the invocation id was applied already, its output returned; read-only: nothing written)',
      labelNames: ['model', 'outcome'],
      registers: [registry]
    }),
    conflicts: new Counter({
      name: 'faasmesh_state_conflicts_total',
      help: 'Commits refused because the state version had moved on; each one re-ran the invocation (a retry)',
      labelNames: ['model'],
      registers: [registry]
    }),
    failures: new Counter({
      name: 'faasmesh_state_failures_total',
      help: 'Stateful invocations that failed for reasons of their state, by model and error name',
      labelNames: ['model', 'error'],
      registers: [registry]
    })
  }
}
