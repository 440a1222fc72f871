/** Small helpers over `@opentelemetry/api` for the modules that create spans (never the SDK). */
import { otelApi } from './api.js'
import { SPAN_STATUS_ERROR } from './constants.js'
import type { Context, Span } from '@opentelemetry/api'

/** Ends `span`, marked as an error with the error's name when `err` is given. */
export function endSpan (span: Span, err?: unknown): void {
  if (err != null) {
    const name = String((err as Error)?.name ?? 'Error')
    span.setStatus({ code: SPAN_STATUS_ERROR, message: `${name}: ${String((err as Error)?.message ?? err).slice(0, 200)}` })
    span.setAttribute('error.type', name)
  }
  span.end()
}

/** The context whose active span is `span` (children are started under it); the root context by default. */
export function spanContext (span: Span, parent?: Context): Context {
  const api = otelApi()
  return api.trace.setSpan(parent ?? api.ROOT_CONTEXT, span)
}
