import { Counter, type Registry } from 'prom-client'

export type LedgerMetrics = ReturnType<typeof ledgerMetrics>

/** Receipt and ledger metrics (docs/protocols.md, "Receipts"). */
export function ledgerMetrics (registry: Registry) {
  return {
    receipts: new Counter({
      name: 'faasmesh_receipts_total',
      help: 'Receipts of remote invocations this node placed, by result: verified, missing (an answer of a function that ran came without one) or invalid (a bad signature or a field that does not match the call)',
      labelNames: ['result'],
      registers: [registry]
    }),
    signed: new Counter({
      name: 'faasmesh_receipts_signed_total',
      help: 'Receipts this node signed for invocations it ran for peers',
      registers: [registry]
    }),
    dropped: new Counter({
      name: 'faasmesh_ledger_dropped_total',
      help: 'Receipts not stored because the disk fell too far behind (their tallies were kept)',
      registers: [registry]
    })
  }
}
