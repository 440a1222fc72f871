import type { SpanKind, SpanStatusCode } from '@opentelemetry/api'

/** The `service.name` of a node's spans unless `telemetry.serviceName` says otherwise. */
export const DEFAULT_SERVICE_NAME = 'faasmesh'
/** The instrumentation scope of every span. */
export const TRACER_NAME = 'faasmesh'
/** A W3C traceparent is 55 characters: anything much longer is not one, and is not parsed. */
export const MAX_TRACEPARENT_CHARS = 128
// The API's enum values, as constants: span code imports them from here, so that a node that
// traces nothing never loads `@opentelemetry/api` (docs/performance.md, "A lighter daemon").
/** `SpanKind.SERVER` */
export const SPAN_KIND_SERVER = 1 as SpanKind.SERVER
/** `SpanKind.CLIENT` */
export const SPAN_KIND_CLIENT = 2 as SpanKind.CLIENT
/** `SpanStatusCode.ERROR` */
export const SPAN_STATUS_ERROR = 2 as SpanStatusCode.ERROR
