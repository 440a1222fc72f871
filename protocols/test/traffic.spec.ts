import { identify } from '@libp2p/identify'
import { expect } from 'chai'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { Registry } from 'prom-client'
import { meteredTraffic } from '../../daemon/src/node/traffic.js'
import { auction, type Auction } from '../src/auction/index.js'
import { codeTransfer, type CodeTransfer } from '../src/code/index.js'
import { invokeProtocol, InvokeRequest, InvokeResponse, type Invoke } from '../src/invoke/index.js'
import { stateProtocol, type StateService } from '../src/state/index.js'
import { framedBytes, protocolName, trafficMeter, type TrafficSnapshot } from '../src/traffic.js'
import { base } from './support/nodes.js'
import { outcome, rpcNode, stopRpcNodes } from './support/rpc-nodes.js'
import { waitFor } from './support/wait.js'
import type { Libp2p } from '@libp2p/interface'

type Node = Libp2p<{ auction: Auction, invoke: Invoke, state: StateService, code: CodeTransfer }>
type Meter = ReturnType<typeof trafficMeter>

const started: Libp2p[] = []

/** A node running every metered protocol that has no daemon behind it, all on one meter. */
async function node (traffic: Meter): Promise<Node> {
  const n = await createLibp2p({
    ...base,
    services: {
      identify: identify(),
      auction: auction({ traffic }),
      invoke: invokeProtocol({ traffic }),
      state: stateProtocol({ traffic }),
      code: codeTransfer({ traffic })
    }
  }) as unknown as Node
  started.push(n)
  return n
}

// every field at its default, whatever fields the messages gain: what decoding nothing gives
const invocation = (input: Uint8Array): InvokeRequest => ({
  ...InvokeRequest.decode(new Uint8Array(0)),
  cid: CID.parse('bafkreicged763fcw4ppkikhtvshxdcvfjdtg5htik6xyekf652todjb33u').bytes as Uint8Array<ArrayBuffer>,
  input: input as Uint8Array<ArrayBuffer>,
  deadlineMs: 5000
})
const answer = (output: Uint8Array): InvokeResponse => ({ ...InvokeResponse.decode(new Uint8Array(0)), status: InvokeResponse.Status.OK, output: output as Uint8Array<ArrayBuffer> })

describe('traffic accounting', function () {
  this.timeout(30_000)
  let serverMeter: Meter
  let clientMeter: Meter
  let server: Node
  let client: Node

  beforeEach(async function () {
    serverMeter = trafficMeter()
    clientMeter = trafficMeter()
    ;[server, client] = await Promise.all([node(serverMeter), node(clientMeter)])
    await client.dial(server.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
  })

  afterEach(async function () {
    await Promise.all(started.splice(0).map(async (n) => { await n.stop() }))
    await stopRpcNodes()
  })

  it('counts an invocation under invoke, the same frames at both ends, and nothing else', async function () {
    const inputBytes = 100_000
    const outputBytes = 30_000
    server.services.invoke.setHandler(async (request) => answer(new Uint8Array(outputBytes).fill(request.input.byteLength % 251)))
    const response = await client.services.invoke.invoke(server.peerId, invocation(new Uint8Array(inputBytes).fill(7)), { timeoutMs: 10_000 })
    expect(response.output.byteLength).to.equal(outputBytes)

    const sent = clientMeter.snapshot()
    const received = serverMeter.snapshot()
    expect(Object.keys(sent)).to.deep.equal(['invoke'])
    expect(Object.keys(received)).to.deep.equal(['invoke'])
    // the request: its input plus a few dozen bytes of message, rpc frame and prefix, once
    expect(sent.invoke?.out).to.be.within(inputBytes, inputBytes + 200)
    expect(received.invoke?.in).to.equal(sent.invoke?.out)
    // the answer, counted as sent before it left and as received before the call returned
    expect(received.invoke?.out).to.be.within(outputBytes, outputBytes + 200)
    expect(sent.invoke?.in).to.equal(received.invoke?.out)
  })

  it('counts a code fetch under code, both ends', async function () {
    const module = new Uint8Array(50_000).map((_, i) => i % 251)
    const cid = CID.createV1(raw.code, await sha256.digest(module)).toString()
    server.services.code.setLookup(async (wanted) => wanted === cid ? module : undefined)
    const bytes = await client.services.code.fetch(server.peerId, cid)
    expect(bytes.byteLength).to.equal(module.byteLength)

    // the server counts its answer once its write returned: it may trail the client by a turn
    await waitFor(() => (serverMeter.snapshot().code?.out ?? 0) > 0, 5000, 'the server to count its answer')
    const fetched = clientMeter.snapshot()
    const served = serverMeter.snapshot()
    expect(Object.keys(fetched)).to.deep.equal(['code'])
    expect(Object.keys(served)).to.deep.equal(['code'])
    // a request is one binary CID in a protobuf field, with its length prefix
    expect(fetched.code?.out).to.equal(framedBytes(2 + CID.parse(cid).bytes.byteLength))
    expect(served.code?.in).to.equal(fetched.code?.out)
    expect(fetched.code?.in).to.be.within(module.byteLength, module.byteLength + 64)
    expect(served.code?.out).to.equal(fetched.code?.in)
  })

  it('counts any rpc protocol under its short name, cancellations included', async function () {
    const protocol = '/faasmesh/chain-data/1.0.0'
    const responderMeter = trafficMeter()
    const requesterMeter = trafficMeter()
    const [responder, requester] = await Promise.all([rpcNode({ protocol, traffic: responderMeter }), rpcNode({ protocol, traffic: requesterMeter })])
    responder.services.rpc.setHandler(async (body, { signal }) => {
      if (body[0] === 1) return body
      // never answers: the requester gives up and cancels it on the wire
      return new Promise((resolve, reject) => { signal.addEventListener('abort', () => { reject(signal.reason) }) })
    })
    await requester.dial(responder.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
    await requester.services.rpc.request(responder.peerId, new Uint8Array(1000).fill(1), { timeoutMs: 5000 })
    const before = requesterMeter.snapshot()['chain-data']?.out ?? 0
    expect((await outcome(requester.services.rpc.request(responder.peerId, new Uint8Array(10).fill(2), { timeoutMs: 300 }))).name).to.equal('RpcTimeoutError')
    // the second request and its CANCEL went out; the responder counts them as it reads them
    await waitFor(() => responderMeter.snapshot()['chain-data']?.in === requesterMeter.snapshot()['chain-data']?.out, 5000, 'the CANCEL to be read')
    const requested = requesterMeter.snapshot()
    const answered = responderMeter.snapshot()
    expect(Object.keys(requested)).to.deep.equal(['chain-data'])
    expect(requested['chain-data']?.out).to.be.greaterThan(before + 10)
    expect(answered['chain-data']?.out).to.equal(requested['chain-data']?.in)
    expect(answered['chain-data']?.out).to.be.within(1000, 1100)
  })
})

describe('traffic meters', function () {
  it('names a protocol id by the segment before its version', function () {
    expect(['/faasmesh/auction/1.0.0', '/faasmesh/invoke/1.0.0', '/faasmesh/state/1.0.0', '/faasmesh/chain-data/1.0.0', '/faasmesh/code/1.0.0'].map(protocolName))
      .to.deep.equal(['auction', 'invoke', 'state', 'chain-data', 'code'])
    expect(protocolName('odd')).to.equal('odd')
  })

  it('counts a frame with its varint length prefix', function () {
    expect([0, 127, 128, 16_383, 16_384].map(framedBytes)).to.deep.equal([1, 128, 130, 16_385, 16_387])
  })

  it('meteredTraffic: faasmesh_traffic_bytes_total matches the snapshot', async function () {
    const registry = new Registry()
    const meter = meteredTraffic(registry)
    meter.add('invoke', 'out', 100)
    meter.add('invoke', 'out', 23)
    meter.add('invoke', 'in', 7)
    meter.add('code', 'in', 5000)
    meter.add('chain-data', 'out', 1)
    const snapshot: TrafficSnapshot = meter.snapshot()
    expect(snapshot).to.deep.equal({ invoke: { in: 7, out: 123 }, code: { in: 5000, out: 0 }, 'chain-data': { in: 0, out: 1 } })

    const metric = registry.getSingleMetric('faasmesh_traffic_bytes_total')
    const counted: TrafficSnapshot = {}
    for (const { labels, value } of (await metric?.get())?.values ?? []) {
      const entry = (counted[String(labels.protocol)] ??= { in: 0, out: 0 })
      entry[labels.direction as 'in' | 'out'] = value
    }
    expect(counted).to.deep.equal(snapshot)
    expect(await registry.metrics()).to.include('faasmesh_traffic_bytes_total{protocol="invoke",direction="out"} 123')
  })

  it('meteredTraffic without a registry still counts in memory', function () {
    const meter = meteredTraffic()
    meter.add('state', 'in', 3)
    expect(meter.snapshot()).to.deep.equal({ state: { in: 3, out: 0 } })
  })
})
