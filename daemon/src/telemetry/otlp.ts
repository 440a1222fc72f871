/**
 * The OpenTelemetry SDK, loaded only when tracing is on: a tracer provider of the node's own with
 * a batch span processor and the OTLP/HTTP (JSON) exporter.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
import type { Tracer } from '@opentelemetry/api'

export interface Exporting {
  tracer: Tracer
  /** Flushes batched spans and stops exporting. */
  shutdown(): Promise<void>
}

export interface ExportingInit {
  url: string
  serviceName: string
  peerId: string
  tracerName: string
}

export function startExporting (init: ExportingInit): Exporting {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': init.serviceName, 'service.instance.id': init.peerId, 'faasmesh.peer_id': init.peerId }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: init.url }))]
  })
  return {
    tracer: provider.getTracer(init.tracerName),
    shutdown: async () => { await provider.shutdown() }
  }
}
