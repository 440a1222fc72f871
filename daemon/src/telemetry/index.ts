/**
 * @packageDocumentation
 *
 * OpenTelemetry tracing of invocations (docs/observability.md): spans for the gateway request,
 * the invoker, placement, each remote invoke and the run on the node that executes it, joined
 * into one trace across peers by a W3C `traceparent` carried in the invoke request. Exported
 * over OTLP/HTTP (JSON) when `telemetry.otlpUrl` is set. Off by default, and free when off: no
 * provider, no exporter, no SDK loaded, and callers create spans only when `enabled` is true.
 *
 * This module alone touches the OpenTelemetry SDK; other modules get a `Tracing` (a tracer from
 * `@opentelemetry/api` and the propagation of context) and pass the `Context` of their span down
 * explicitly (no context manager is registered: nothing global, several nodes share a process in tests).
 *
 * @example
 * ```ts
 * const t = telemetry({ otlpUrl: 'http://127.0.0.1:4318/v1/traces' })({ peerId, logger })
 * await t.start()
 * if (t.enabled) { const span = t.tracer.startSpan('work', {}, t.extract(req.headers.traceparent)); ...; span.end() }
 * await t.stop() // flushes what is still batched
 * ```
 */
import { Telemetry as TelemetryClass } from './telemetry.js'
import type { ComponentLogger, PeerId, Startable } from '@libp2p/interface'
import type { Context, Tracer } from '@opentelemetry/api'

export { endSpan, spanContext } from './spans.js'
export { DEFAULT_SERVICE_NAME, SPAN_KIND_CLIENT, SPAN_KIND_SERVER, SPAN_STATUS_ERROR, TRACER_NAME } from './constants.js'

export interface TelemetryInit {
  /** OTLP/HTTP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`; empty: tracing off. @default '' */
  otlpUrl?: string
  /** The `service.name` resource attribute. @default 'faasmesh' */
  serviceName?: string
}

export interface TelemetryComponents {
  /** Sent as the `faasmesh.peer_id` resource attribute: which node a span comes from. */
  peerId: PeerId
  logger: ComponentLogger
}

/** What other modules get: a tracer, and the carrying of trace context across peers. */
export interface Tracing {
  /** True once spans are exported: callers create spans only then (the hot path allocates nothing when off). */
  readonly enabled: boolean
  /** The node's tracer (the API's no-op tracer when off). */
  readonly tracer: Tracer
  /** The W3C `traceparent` of the span in `context`, or undefined when there is none. */
  inject(context: Context): string | undefined
  /** The context a `traceparent` (from a peer or an HTTP client) continues; the root context when absent or malformed. */
  extract(traceparent: string | undefined): Context
}

export interface Telemetry extends Tracing, Startable {}

export function telemetry (init: TelemetryInit = {}): (components: TelemetryComponents) => Telemetry {
  return (components) => new TelemetryClass(components, init)
}
