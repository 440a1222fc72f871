/**
 * A tiny OTLP/HTTP trace receiver for tests: listens on 127.0.0.1, answers every POST with `{}`
 * and keeps the spans of each JSON body (`ExportTraceServiceRequest`) with their resource.
 */
import { createServer, type Server } from 'node:http'

export interface ReceivedSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  attributes: Record<string, unknown>
  /** The resource's attributes (`service.name`, `service.instance.id`). */
  resource: Record<string, unknown>
}

export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>/v1/traces` */
  url: string
  spans: ReceivedSpan[]
  /** Requests received, whatever their body. */
  requests: number
  close(): Promise<void>
}

interface OtlpAttribute { key: string, value: Record<string, unknown> }

function attributes (list: OtlpAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map(({ key, value }) => [key, Object.values(value)[0]]))
}

export async function otlpReceiver (): Promise<OtlpReceiver> {
  const receiver = { url: '', spans: [] as ReceivedSpan[], requests: 0, close: async () => {} }
  const server: Server = createServer((req, res) => {
    receiver.requests++
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
        for (const rs of body.resourceSpans ?? []) {
          const resource = attributes(rs.resource?.attributes)
          for (const ss of rs.scopeSpans ?? []) {
            for (const span of ss.spans ?? []) receiver.spans.push({ ...span, attributes: attributes(span.attributes), resource })
          }
        }
      } catch {}
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as { port: number }
  receiver.url = `http://127.0.0.1:${address.port}/v1/traces`
  receiver.close = async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => { resolve() }))
  }
  return receiver
}
