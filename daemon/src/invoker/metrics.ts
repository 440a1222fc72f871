import { Counter, Histogram, type Registry } from 'prom-client'
import { BoundedLabels, OTHER_LABEL } from '../utils/bounded-labels.js'

/**
 * Distinct function names with series of their own: a node calls a few dozen functions, and
 * any client may invoke any name, so past this many the rest count under `other`.
 */
export const MAX_NAME_LABELS = 256

/**
 * Outcomes of a call whose name never named code: those names were never a function's, so
 * they take no series of their own (garbage names must not use up the bound of real ones).
 */
const UNRESOLVED = new Set(['FunctionNotFoundError', 'AmbiguousNameError', 'InvalidParametersError', 'UntrustedPublisherError'])

export interface InvokerMetrics {
  /** Counts one invocation as the entry node saw it, from request to answer. */
  observe(target: string, outcome: string, seconds: number): void
}

/**
 * Invocations by the name they were called by (`name`, `publisher/name`, or the CID for a call
 * by CID), on the entry node: the executing node sees only CIDs (`faasmesh_executor_*`).
 */
export function invokerMetrics (registry: Registry): InvokerMetrics {
  const names = new BoundedLabels(MAX_NAME_LABELS)
  const invocations = new Counter({
    name: 'faasmesh_invoker_invocations_total',
    help: `Invocations received by this entry node, by function name (the first ${MAX_NAME_LABELS} seen; later ones, and names that named no code, as "other") and outcome (ok or the error name)`,
    labelNames: ['name', 'outcome'],
    registers: [registry]
  })
  const duration = new Histogram({
    name: 'faasmesh_invoker_duration_seconds',
    help: 'Time from an invocation\'s request to its answer on the entry node (name lookup, placement, remote run), by function name',
    labelNames: ['name'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry]
  })
  return {
    observe (target, outcome, seconds) {
      const name = UNRESOLVED.has(outcome) ? OTHER_LABEL : names.label(target)
      invocations.inc({ name, outcome })
      duration.observe({ name }, seconds)
    }
  }
}
