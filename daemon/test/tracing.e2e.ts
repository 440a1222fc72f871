/**
 * OpenTelemetry tracing (docs/observability.md) on two daemon processes and a test OTLP/HTTP
 * receiver: one invocation placed on the other node is one trace, its spans from both nodes,
 * the executing node's span a child of the entry node's remote-invoke span through the
 * `traceparent` the invoke request carries. With no `telemetry.otlpUrl`, nothing is exported.
 */
import { randomBytes } from 'node:crypto'
import { expect } from 'chai'
import { otlpReceiver, type OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver.js'
import { tempDir } from './support/paths.js'
import { killAll, runCli, startDaemon, waitForMesh, type DaemonProcess } from './support/processes.js'
import { waitFor } from './support/wait.js'
import type { PlacementRecord } from '../src/placement/index.js'

const ENV = { FAASMESH_ADVERTS_INTERVAL_MS: '500', FAASMESH_PLACEMENT_BID_WINDOW_MS: '1500' }
const SERVER = 2
const CLIENT = 3

/** Two nodes, A a thousand times slower (B wins its auctions), fib deployed on A. */
async function mesh (dir: () => Promise<string>, argsA: string[], envB: Record<string, string>, envA: Record<string, string> = {}): Promise<[DaemonProcess, DaemonProcess]> {
  const a = await startDaemon(await dir(), ['--slots', '1', '--slowdown', '1000', ...argsA], { ...ENV, ...envA })
  const b = await startDaemon(await dir(), ['--bootstrap', a.multiaddr, '--slots', '1'], { ...ENV, ...envB })
  await waitForMesh([a, b])
  const deployed = await runCli(['deploy', 'fib', 'build/fib.wasm', '--api', a.url])
  expect(deployed.code, deployed.stderr).to.equal(0)
  return [a, b]
}

/** A caller's own span context, as a W3C traceparent: the invocation joins its trace. */
function callerContext (): { traceId: string, spanId: string, traceparent: string } {
  const traceId = randomBytes(16).toString('hex')
  const spanId = randomBytes(8).toString('hex')
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` }
}

async function invokeAt (node: DaemonProcess, traceparent: string): Promise<Response> {
  const res = await fetch(`${node.url}/v1/invoke/fib`, { method: 'POST', body: '20', headers: { 'x-faasmesh-policy': 'auction', traceparent }, signal: AbortSignal.timeout(30_000) })
  expect(res.status, await res.clone().text()).to.equal(200)
  return res
}

describe('tracing with OpenTelemetry (daemon processes)', function () {
  this.timeout(120_000)
  const dirs: Array<{ cleanup(): Promise<void> }> = []
  const dir = async (): Promise<string> => { const d = await tempDir(); dirs.push(d); return d.path }
  const receivers: OtlpReceiver[] = []

  after(async function () {
    killAll()
    await Promise.all(receivers.map(async (r) => { await r.close() }))
    await Promise.all(dirs.map(async (d) => { await d.cleanup() }))
  })

  it('one invocation placed on the other node is one trace, with spans from both nodes', async function () {
    const receiver = await otlpReceiver()
    receivers.push(receiver)
    // A by its flag, B by the environment (and a service name of its own)
    const [a, b] = await mesh(dir, ['--otlp-url', receiver.url], { FAASMESH_TELEMETRY_OTLP_URL: receiver.url, FAASMESH_TELEMETRY_SERVICE_NAME: 'faasmesh-b' })
    const caller = callerContext()
    const res = await invokeAt(a, caller.traceparent)
    expect(res.headers.get('x-faasmesh-executor'), 'B won the auction').to.equal(b.peerId)
    expect(res.headers.get('x-faasmesh-trace-id'), 'the caller\'s trace').to.equal(caller.traceId)
    const record = await (await fetch(`${a.url}/v1/placements/${res.headers.get('x-faasmesh-placement-id')!}`)).json() as PlacementRecord
    expect(record.traceId).to.equal(caller.traceId)

    // a stop flushes what is still batched
    await Promise.all([a.stop(), b.stop()])
    const inTrace = (): ReceivedSpan[] => receiver.spans.filter((s) => s.traceId === caller.traceId)
    await waitFor(() => inTrace().some((s) => s.name === 'execute'), 10_000, 'the executing node\'s span')
    const spans = inTrace()
    const one = (name: string): ReceivedSpan => {
      const found = spans.filter((s) => s.name === name)
      expect(found, `${name} spans: ${spans.map((s) => s.name).join(', ')}`).to.have.length(1)
      return found[0]!
    }
    const request = one('POST invoke')
    const invoker = one('invoker')
    const placement = one('placement')
    const remote = one('invoke')
    const execute = one('execute')
    // gateway -> invoker -> placement -> remote invoke (client) -> execute (server, on B)
    expect(request.parentSpanId).to.equal(caller.spanId)
    expect(request.kind).to.equal(SERVER)
    expect(invoker.parentSpanId).to.equal(request.spanId)
    expect(placement.parentSpanId).to.equal(invoker.spanId)
    expect(remote.parentSpanId).to.equal(placement.spanId)
    expect(remote.kind).to.equal(CLIENT)
    expect(execute.parentSpanId, 'the remote run is a child of the remote-invoke span').to.equal(remote.spanId)
    expect(execute.kind).to.equal(SERVER)
    for (const span of [request, invoker, placement, remote]) expect(span.resource).to.include({ 'service.name': 'faasmesh', 'service.instance.id': a.peerId })
    expect(execute.resource).to.include({ 'service.name': 'faasmesh-b', 'service.instance.id': b.peerId })
    expect(placement.attributes).to.include({ 'faasmesh.placement.policy': 'auction', 'faasmesh.placement.winner': b.peerId })
    expect(placement.attributes['faasmesh.placement.bids']).to.be.greaterThan(0)
    expect(execute.attributes).to.include({ 'faasmesh.invoke.status': 'OK', 'faasmesh.fetched': true })
  })

  it('without telemetry.otlpUrl nothing is exported', async function () {
    const receiver = await otlpReceiver()
    receivers.push(receiver)
    // OpenTelemetry's own variables point at the receiver: only telemetry.otlpUrl turns tracing on
    const otelEnv = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url.replace(/\/v1\/traces$/, ''), OTEL_TRACES_EXPORTER: 'otlp' }
    const [a, b] = await mesh(dir, [], otelEnv, otelEnv)
    const res = await invokeAt(a, callerContext().traceparent)
    expect(res.headers.get('x-faasmesh-executor')).to.equal(b.peerId)
    expect(res.headers.get('x-faasmesh-trace-id')).to.equal(null)
    await Promise.all([a.stop(), b.stop()])
    expect(receiver.requests).to.equal(0)
  })
})
