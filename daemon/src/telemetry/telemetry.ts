import { otelApi, otelCore } from './api.js'
import { DEFAULT_SERVICE_NAME, MAX_TRACEPARENT_CHARS, TRACER_NAME } from './constants.js'
import type { TelemetryComponents, TelemetryInit, Telemetry as TelemetryInterface } from './index.js'
import type { Exporting } from './otlp.js'
import type { Logger } from '@libp2p/interface'
import type { Context, TextMapPropagator, Tracer } from '@opentelemetry/api'

// made at the first inject or extract (tracing on): the API is not loaded before
let w3c: TextMapPropagator | undefined
function propagator (): TextMapPropagator {
  w3c ??= new (otelCore().W3CTraceContextPropagator)()
  return w3c
}
const carrierSetter = { set: (carrier: Record<string, string>, key: string, value: string) => { carrier[key] = value } }
const carrierGetter = {
  keys: (carrier: Record<string, string>) => Object.keys(carrier),
  get: (carrier: Record<string, string>, key: string) => carrier[key]
}

/**
 * The node's tracing. Off (no `otlpUrl`): the API's no-op tracer, and neither the SDK nor the API
 * is loaded (callers create spans only when `enabled`).
 * On: the SDK is loaded in `start()`, a provider of the node's own (never registered globally)
 * batches spans to the OTLP/HTTP exporter, and `stop()` flushes them.
 */
export class Telemetry implements TelemetryInterface {
  private readonly components: TelemetryComponents
  private readonly init: TelemetryInit
  private readonly log: Logger
  private exporting?: Exporting
  private starting?: Promise<void>

  constructor (components: TelemetryComponents, init: TelemetryInit) {
    this.components = components
    this.init = init
    this.log = components.logger.forComponent('faasmesh:telemetry')
  }

  get enabled (): boolean {
    return this.exporting != null
  }

  get tracer (): Tracer {
    return this.exporting?.tracer ?? otelApi().trace.getTracer(TRACER_NAME)
  }

  async start (): Promise<void> {
    this.starting ??= this.doStart()
    await this.starting
  }

  private async doStart (): Promise<void> {
    const url = this.init.otlpUrl ?? ''
    if (url === '') return
    // loaded only when tracing is on: a node that traces nothing never loads the SDK
    const { startExporting } = await import('./otlp.js')
    this.exporting = startExporting({
      url,
      serviceName: this.init.serviceName ?? DEFAULT_SERVICE_NAME,
      peerId: this.components.peerId.toString(),
      tracerName: TRACER_NAME
    })
    this.log('exporting spans to %s', url)
  }

  async stop (): Promise<void> {
    await this.starting?.catch(() => {})
    const exporting = this.exporting
    this.exporting = undefined
    this.starting = undefined
    // what is still batched goes out now; a collector that is gone costs the stop nothing more
    await exporting?.shutdown().catch((err: any) => { this.log('could not flush spans: %s', err?.message ?? err) })
  }

  inject (context: Context): string | undefined {
    const carrier: Record<string, string> = {}
    propagator().inject(context, carrier, carrierSetter)
    return carrier.traceparent
  }

  extract (traceparent: string | undefined): Context {
    const root = otelApi().ROOT_CONTEXT
    if (traceparent == null || traceparent === '' || traceparent.length > MAX_TRACEPARENT_CHARS) return root
    return propagator().extract(root, { traceparent }, carrierGetter)
  }
}
