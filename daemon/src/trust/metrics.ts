/** `faasmesh_trust_refused_total{stage}`: what publisher trust refused, and where. */
import { Counter, type Registry } from 'prom-client'
import type { TrustStage } from './index.js'

export const TRUST_STAGES: readonly TrustStage[] = ['gateway', 'bid', 'invoke', 'fetch']

export interface TrustMetrics {
  refused: Counter<'stage'>
}

export function trustMetrics (registry: Registry): TrustMetrics {
  const refused = new Counter({
    name: 'faasmesh_trust_refused_total',
    help: 'Code publisher trust refused, by stage: gateway (a call here), bid (a call for bids), invoke (a peer\'s invocation), fetch (a code fetch)',
    labelNames: ['stage'],
    registers: [registry]
  })
  // every stage shows from the start, at 0: a dashboard tells "none refused" from "not counted"
  for (const stage of TRUST_STAGES) refused.inc({ stage }, 0)
  return { refused }
}
