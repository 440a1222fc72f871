/**
 * @packageDocumentation
 *
 * One invocation end to end: resolve the name or CID, place it, run it, under one deadline.
 * Every placement policy runs the invocation on this node for now (its code may come from a
 * peer); placement across the mesh plugs in here.
 *
 * @example
 * ```ts
 * const inv = invoker()({ store, executor, peerId })
 * const result = await inv.invoke('hello', input, { deadlineMs: 1000 })
 * ```
 */
import { Invoker as InvokerClass } from './invoker.js'
import type { Executor } from '../executor/index.js'
import type { Resolver } from '../resolver/index.js'
import type { AbortOptions, PeerId } from '@libp2p/interface'

/** Placement policies (DESIGN.md section 5), selectable per request. */
export const POLICIES = ['auction', 'local', 'random', 'round-robin', 'least-loaded', 'power-of-two'] as const
export type PolicyName = typeof POLICIES[number]

export interface InvokerInit {
  /** Used when a request names none. @default 'auction' */
  defaultPolicy?: PolicyName
  /** Longest deadline a caller may ask for. @default 300000 */
  maxDeadlineMs?: number
}

export interface InvokerComponents {
  resolver: Pick<Resolver, 'resolve'>
  executor: Pick<Executor, 'invoke'>
  peerId: PeerId
}

export interface InvocationOptions extends AbortOptions {
  policy?: string
  /** The caller wants an answer within this many ms, or `DeadlineExceededError`. */
  deadlineMs?: number
}

export interface InvocationResult {
  output: Uint8Array
  cid: string
  /** Peer id of the node that ran the function. */
  executor: string
  policy: PolicyName
  /** Time in the executor (queueing, compiling and running). */
  durationMs: number
  /** Time spent resolving the function (fetching it when cold) and choosing where to run it. */
  placementMs: number
  /** True when the code had to be fetched or compiled for this call. */
  cold: boolean
  /** True when the code was fetched from a peer for this call. */
  fetched: boolean
  fuelUsed: number
}

export interface Invoker {
  invoke(nameOrCid: string, input: Uint8Array, options?: InvocationOptions): Promise<InvocationResult>
}

export function invoker (init: InvokerInit = {}): (components: InvokerComponents) => Invoker {
  return (components) => new InvokerClass(components, init)
}
