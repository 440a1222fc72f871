/** Small helpers over `@opentelemetry/api` for the modules that create spans (never the SDK). */
import { ROOT_CONTEXT, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api'

/** Ends `span`, marked as an error with the error's name when `err` is given. */
export function endSpan (span: Span, err?: unknown): void {
  if (err != null) {
    const name = String((err as Error)?.name ?? 'Error')
    span.setStatus({ code: SpanStatusCode.ERROR, message: `${name}: ${String((err as Error)?.message ?? err).slice(0, 200)}` })
    span.setAttribute('error.type', name)
  }
  span.end()
}

/** The context whose active span is `span` (children are started under it). */
export function spanContext (span: Span, parent: Context = ROOT_CONTEXT): Context {
  return trace.setSpan(parent, span)
}
