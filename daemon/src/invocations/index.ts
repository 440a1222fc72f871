/**
 * @packageDocumentation
 *
 * Invocation ids and at most once per id (DESIGN.md section 9). The entry node gives every
 * invocation an id (the client's `x-faasmesh-invocation-id`, or a fresh one); the id travels
 * with the invoke request; each node keeps a bounded table of the ids it ran or runs, and a
 * repeat joins the run in progress or gets the recorded outcome, never a second run.
 *
 * @example
 * ```ts
 * const table = new InvocationTable<Result>({ windowMs: 600_000, remember: isFunctionError })
 * const result = await table.run(id, fingerprintOf(cid, input), async (signal) => run(signal), { signal })
 * ```
 */
export { InvocationTable, invocationTable, type InvocationTableInit, type RunOptions } from './table.js'
export { fingerprintOf, newInvocationId, parseInvocationId } from './ids.js'
export { isFunctionError } from './outcomes.js'
export { invocationMetrics, type InvocationMetrics } from './metrics.js'
export {
  DEFAULT_DEDUP_WINDOW_MS, DEFAULT_MAX_REMEMBERED, DEFAULT_MAX_REMEMBERED_BYTES, DEFAULT_ORPHAN_GRACE_MS, INVOCATION_ID_PATTERN
} from './constants.js'

/** The bounds of an invocation table, as the config sets them. */
export interface InvocationsInit {
  /** How long an outcome is remembered for a repeat of its id. @default 600000 */
  dedupWindowMs?: number
  /** Ids remembered at most. @default 10000 */
  maxRemembered?: number
  /** Output bytes remembered at most. @default 67108864 */
  maxRememberedBytes?: number
}
