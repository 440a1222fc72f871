/** The `service.name` of a node's spans unless `telemetry.serviceName` says otherwise. */
export const DEFAULT_SERVICE_NAME = 'faasmesh'
/** The instrumentation scope of every span. */
export const TRACER_NAME = 'faasmesh'
/** A W3C traceparent is 55 characters: anything much longer is not one, and is not parsed. */
export const MAX_TRACEPARENT_CHARS = 128
