/**
 * The gateway's span per request (tracing on): a server span that continues the caller's trace
 * when the request carries a W3C `traceparent` header, and names its trace in the answer
 * (`x-faasmesh-trace-id`), so a client can find it in its collector.
 */
import { SPAN_KIND_SERVER, SPAN_STATUS_ERROR, spanContext, type Tracing } from '../telemetry/index.js'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Context, Span } from '@opentelemetry/api'

export interface RequestSpan { span: Span, context: Context }

export function startRequestSpan (tracing: Tracing | undefined, req: IncomingMessage, res: ServerResponse, route: string): RequestSpan | undefined {
  if (tracing?.enabled !== true) return undefined
  const header = req.headers.traceparent
  const parent = tracing.extract(Array.isArray(header) ? header[0] : header)
  const span = tracing.tracer.startSpan(`${req.method ?? 'GET'} ${route}`, {
    kind: SPAN_KIND_SERVER,
    attributes: { 'http.request.method': req.method ?? '', 'url.path': (req.url ?? '/').split('?')[0]!.slice(0, 200), 'http.route': route }
  }, parent)
  res.setHeader('x-faasmesh-trace-id', span.spanContext().traceId)
  return { span, context: spanContext(span, parent) }
}

export function endRequestSpan (traced: RequestSpan | undefined, res: ServerResponse): void {
  if (traced == null) return
  traced.span.setAttribute('http.response.status_code', res.statusCode)
  // the server's own failures only: a 4xx is the client's (OpenTelemetry's HTTP conventions)
  if (res.statusCode >= 500) traced.span.setStatus({ code: SPAN_STATUS_ERROR })
  traced.span.end()
}
