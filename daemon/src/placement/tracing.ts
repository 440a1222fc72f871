/**
 * Placement's spans (docs/observability.md): `placement` (the auction and the attempts, with the
 * policy, the bids and the winner), `invoke` for each remote attempt (client side; its context
 * goes to the peer as the request's `traceparent`), and `execute` on the node that runs an
 * invocation placed there by a peer (server side, a child of the caller's `invoke` span).
 * Each is created only when tracing is on.
 */
import { CID } from 'multiformats/cid'
import { InvokeResponse, type InvokeHandler, type Timings as WireTimings } from '../../../protocols/src/invoke/index.js'
import { endSpan, SPAN_KIND_CLIENT, SPAN_KIND_SERVER, spanContext, type Tracing } from '../telemetry/index.js'
import { timingsFromWire } from './timings.js'
import type { PlacementRecord } from './index.js'
import type { Context, Span } from '@opentelemetry/api'

/** A started span and the context its children start under. */
export interface Traced { span: Span, context: Context }

export function startPlacementSpan (tracing: Tracing | undefined, record: PlacementRecord, parent: Context | undefined): Traced | undefined {
  if (tracing?.enabled !== true) return undefined
  const span = tracing.tracer.startSpan('placement', { attributes: { 'faasmesh.placement.policy': record.policy, 'faasmesh.placement.id': record.id, 'faasmesh.function.cid': record.cid } }, parent)
  record.traceId = span.spanContext().traceId
  return { span, context: spanContext(span, parent) }
}

export function endPlacementSpan (traced: Traced | undefined, record: PlacementRecord, err?: unknown): void {
  if (traced == null) return
  const received = record.bids.filter((b) => b.outcome === 'bid')
  traced.span.setAttributes({
    'faasmesh.placement.asked': record.asked,
    'faasmesh.placement.bids': received.length,
    // who bid what: `peer estimatedMs price`, one per bid received
    'faasmesh.placement.bid_list': received.map((b) => `${b.peer} ${b.estimatedMs?.toFixed(1) ?? '-'} ${b.price?.toFixed(3) ?? '-'}`),
    'faasmesh.placement.attempts': record.attempts.length,
    ...(record.executor != null ? { 'faasmesh.placement.winner': record.executor } : {})
  })
  endSpan(traced.span, err)
}

/** The client side of a remote attempt; `traceparent` goes in the invoke request. */
export function startInvokeSpan (tracing: Tracing | undefined, peer: string, parent: Context | undefined): { span: Span, traceparent?: string } | undefined {
  if (tracing?.enabled !== true) return undefined
  const span = tracing.tracer.startSpan('invoke', { kind: SPAN_KIND_CLIENT, attributes: { 'faasmesh.peer': peer } }, parent)
  return { span, traceparent: tracing.inject(spanContext(span, parent)) }
}

/** Ends a remote attempt's span with the peer's answer, or the failure to get one. */
export function endInvokeSpan (traced: { span: Span } | undefined, response: InvokeResponse | undefined, err?: unknown): void {
  if (traced == null) return
  if (response != null) traced.span.setAttribute('faasmesh.invoke.status', statusName(response.status))
  endSpan(traced.span, err ?? failureOf(response))
}

/** The server side: the run of an invocation a peer placed here, in the trace the request carries. */
export function tracedInvokeHandler (tracing: Tracing | undefined, handler: InvokeHandler): InvokeHandler {
  if (tracing == null) return handler
  return async (request, context) => {
    // a request with no traceparent belongs to no trace here: nothing to join
    if (!tracing.enabled || request.traceparent == null) return handler(request, context)
    const span = tracing.tracer.startSpan('execute', {
      kind: SPAN_KIND_SERVER,
      attributes: { 'faasmesh.peer': context.peer.toString(), 'faasmesh.invocation.id': request.invocationId, 'faasmesh.function.cid': cidText(request.cid) }
    }, tracing.extract(request.traceparent))
    try {
      const response = await handler(request, context)
      span.setAttributes({ 'faasmesh.invoke.status': statusName(response.status), 'faasmesh.cold': response.cold, 'faasmesh.fetched': response.fetched, ...phaseAttributes(response.timings) })
      endSpan(span, failureOf(response))
      return response
    } catch (err) {
      endSpan(span, err)
      throw err
    }
  }
}

function statusName (status: InvokeResponse.Status): string {
  return InvokeResponse.Status[status] ?? String(status)
}

/** A failed answer as an error for the span, by its status's name. */
function failureOf (response: InvokeResponse | undefined): { name: string, message: string } | undefined {
  if (response == null || response.status === InvokeResponse.Status.OK) return undefined
  return { name: statusName(response.status), message: response.message }
}

/** The executing node's phases, `faasmesh.timings.<phase>_ms`. */
function phaseAttributes (wire: WireTimings | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(timingsFromWire(wire)).map(([phase, ms]) => [`faasmesh.timings.${phase}_ms`, ms]))
}

function cidText (bytes: Uint8Array): string {
  try {
    return CID.decode(bytes).toString()
  } catch {
    return 'invalid'
  }
}
