/**
 * Where the time of one invocation went, phase by phase (docs/observability.md). The entry node
 * measures the name lookup and the placement; the node that ran the function measures the rest
 * and sends them back in its invoke answer (`Timings`, in microseconds). Imports nothing at run
 * time: the CLI reads the phase order from here.
 */
import type { Timings as WireTimings } from '../../../protocols/src/invoke/index.js'
import type { FetchTimings } from '../resolver/index.js'

/** Ms per phase; a phase that did not happen is absent. */
export type Timings = Record<string, number>

/**
 * The phases, in the order they happen: name lookup, placement (auction and failed attempts),
 * provider search, code transfer, sanitize, compile, queue, run. What they leave of the record's
 * total is messaging: the invoke protocol's round trip, receipts, the sandbox's channel.
 */
export const PHASES = ['lookup', 'placement', 'providers', 'transfer', 'sanitize', 'compile', 'queue', 'run'] as const

/** The executor's phases of one call (`../executor`, `InvokeResult.timings`). */
export interface ExecutorTimings { queue: number, compile: number, run: number }

/** A uint32 of microseconds holds 71 minutes: longer (impossible under the deadlines) is clamped. */
const MAX_WIRE_US = 0xffff_ffff

/** The phases of a run on this node: the code fetch, if there was one, and the executor's. */
export function runTimings (fetch: FetchTimings | undefined, executor: ExecutorTimings | undefined): Timings {
  return { ...fetch, ...executor }
}

export function timingsToWire (timings: Timings | undefined): WireTimings {
  const us = (phase: string): number => Math.min(MAX_WIRE_US, Math.max(0, Math.round((timings?.[phase] ?? 0) * 1000)))
  return { providersUs: us('providers'), transferUs: us('transfer'), sanitizeUs: us('sanitize'), compileUs: us('compile'), queueUs: us('queue'), runUs: us('run') }
}

/** The phases a remote node reported; a fetch's phases only when it fetched (all zero: it had the code). */
export function timingsFromWire (wire: WireTimings | undefined): Timings {
  if (wire == null) return {}
  const ms = (us: number): number => us / 1000
  const fetched = wire.providersUs + wire.transferUs + wire.sanitizeUs > 0
  return {
    ...(fetched ? { providers: ms(wire.providersUs), transfer: ms(wire.transferUs), sanitize: ms(wire.sanitizeUs) } : {}),
    compile: ms(wire.compileUs),
    queue: ms(wire.queueUs),
    run: ms(wire.runUs)
  }
}
