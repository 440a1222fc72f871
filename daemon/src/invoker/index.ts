/**
 * @packageDocumentation
 *
 * One invocation end to end: the name or CID to a CID, then placement (`../placement`) under
 * one deadline, from the caller's first byte to its answer. Every invocation has an id; a
 * repeat of an id (a client retrying) joins the run in progress or gets its recorded outcome
 * (`../invocations`, DESIGN.md section 9).
 *
 * @example
 * ```ts
 * const inv = invoker()({ resolver, placement })
 * const result = await inv.invoke('hello', input, { policy: 'auction', deadlineMs: 1000 })
 * ```
 */
import { Invoker as InvokerClass } from './invoker.js'
import type { Placement, PolicyName, StateSpec, Placed } from '../placement/index.js'
import type { ChainRunner } from '../chains/runner.js'
import type { Resolver } from '../resolver/index.js'
import type { InvocationsInit } from '../invocations/index.js'
import type { Tracing } from '../telemetry/index.js'
import type { Timings } from '../placement/index.js'
import type { AbortOptions } from '@libp2p/interface'
import type { Context } from '@opentelemetry/api'
import type { Registry } from 'prom-client'

export { POLICIES, type PolicyName, type StateSpec } from '../placement/index.js'

export interface InvokerInit {
  /** Longest deadline a caller may ask for. @default 300000 */
  maxDeadlineMs?: number
  /** The bounds of the table of recent invocation ids. */
  invocations?: InvocationsInit
}

export interface InvokerComponents {
  resolver: Pick<Resolver, 'lookup'>
  placement: Pick<Placement, 'place' | 'defaultPolicy'>
  /** Runs what a name or CID names when it is a chain; without it, chains are not found. */
  chains?: Pick<ChainRunner, 'run'>
  registry?: Registry
  /** A span per invocation (daemon/src/telemetry); without it, none. */
  tracing?: Tracing
}

export interface InvocationOptions extends AbortOptions {
  policy?: string
  /** The caller wants an answer within this many ms, or `DeadlineExceededError`. */
  deadlineMs?: number
  /**
   * The invocation's id (checked by the caller, e.g. the gateway); a fresh one when absent. A
   * repeat of an id runs nothing: it joins the run or gets the recorded outcome.
   */
  invocationId?: string
  /** A stateful invocation: its state key and model (checked by the caller, e.g. the gateway). */
  state?: StateSpec
  /** A chain: each step's input from where its predecessors ran (default true), or all data through this node. */
  locality?: boolean
  /** The caller's trace context (the gateway's request span): the invocation's span is its child. */
  trace?: Context
}

export interface InvocationResult {
  invocationId: string
  output: Uint8Array
  cid: string
  /** Peer id of the node that ran the function. */
  executor: string
  policy: PolicyName
  /** Time in the executor (queueing, compiling and running). */
  durationMs: number
  /** Placement alone: from its start (after the name lookup) to the start of the attempt that answered: bids, failed attempts. */
  placementMs: number
  /** Where the time went, ms per phase, as in the placement record (`PHASES`; a chain: its name lookup only). */
  timings?: Timings
  /** From the start of the invocation on this node to its answer; what the phases leave of it is messaging. */
  totalMs?: number
  /** Bids received and candidates asked (0/0 for policies that ask none). */
  bids: { received: number, asked: number }
  /** Id of the placement record (`GET /v1/placements/:id`). */
  placementId: string
  /** True when the code had to be fetched or compiled for this call. */
  cold: boolean
  /** True when the code was fetched from a peer for this call. */
  fetched: boolean
  fuelUsed: number
  /** A stateful invocation: the state's version after it, bytes moved, the new in-client state. */
  state?: Placed['state']
  /** A chain: how many steps ran, and the bytes it moved over the network (all protocols in its record). */
  chain?: { steps: number, bytesMoved: number }
}

export interface Invoker {
  invoke(nameOrCid: string, input: Uint8Array, options?: InvocationOptions): Promise<InvocationResult>
}

export function invoker (init: InvokerInit = {}): (components: InvokerComponents) => Invoker {
  return (components) => new InvokerClass(components, init)
}
