/**
 * `/faasmesh/chain-data/1.0.0` between two real libp2p nodes over TCP on 127.0.0.1: a step's
 * output fetched from the node that holds it, every refusal a named error, hostile requests
 * answered or cut off without reaching the source, and the testbed's link shaping applied.
 */
import { identify } from '@libp2p/identify'
import { expect } from 'chai'
import { createLibp2p } from 'libp2p'
import {
  CHAIN_DATA_PROTOCOL, chainData, ChainDataRequest, ChainDataResponse, MAX_CHAIN_DATA_BYTES, MAX_CHAIN_DATA_FRAME_BYTES,
  type ChainData, type ChainDataInit
} from '../src/chain-data/index.js'
import { MAX_INVOKE_PAYLOAD_BYTES } from '../src/invoke/index.js'
import { base } from './support/nodes.js'
import { channelStreams, outcome, plainNode, rpcNode, stopRpcNodes } from './support/rpc-nodes.js'
import { waitFor } from './support/wait.js'
import { trafficMeter } from '../src/traffic.js'
import type { LinkShaper } from '../src/links.js'
import type { Libp2p, PeerId } from '@libp2p/interface'

type Node = Libp2p<{ chainData: ChainData }>

const started: Node[] = []

async function node (init: ChainDataInit = {}): Promise<Node> {
  const n = await createLibp2p({ ...base, services: { identify: identify(), chainData: chainData(init) } }) as unknown as Node
  started.push(n)
  return n
}

/** Bytes that differ from one position to the next, so a shifted or truncated copy shows. */
function output (length: number): Uint8Array {
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + 7) & 0xff
  return bytes
}

/** A shaper whose delay the test sets, telling what it was asked. */
function recordingShaper (): LinkShaper & { ms: number, asked: Array<{ peer: string, bytes: number }> } {
  const shaper = {
    ms: 0,
    asked: [] as Array<{ peer: string, bytes: number }>,
    delayMs (peer: PeerId, bytes: number): number {
      shaper.asked.push({ peer: peer.toString(), bytes })
      return shaper.ms
    }
  }
  return shaper
}

describe('chain-data protocol', function () {
  this.timeout(30_000)
  let server: Node
  let client: Node
  let held: Map<string, Uint8Array>
  let asked: Array<{ ref: string, peer: string }>

  beforeEach(async function () {
    ;[server, client] = await Promise.all([node(), node()])
    await client.dial(server.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
    held = new Map()
    asked = []
    server.services.chainData.setSource((ref, { peer }) => {
      asked.push({ ref, peer: peer.toString() })
      return held.get(ref)
    })
  })

  afterEach(async function () {
    await Promise.all(started.splice(0).map(async (n) => { await n.stop() }))
    await stopRpcNodes()
  })

  it('carries one step output as large as an invocation\'s, byte for byte', async function () {
    expect(MAX_CHAIN_DATA_BYTES, 'the invoke protocol\'s payload cap').to.equal(MAX_INVOKE_PAYLOAD_BYTES)
    expect(client.services.chainData.protocol).to.equal('/faasmesh/chain-data/1.0.0')
    for (const [ref, length] of [['inv-1', 1], ['inv.2:b_c-d', 256 * 1024], ['inv-3', MAX_CHAIN_DATA_BYTES]] as const) {
      held.set(ref, output(length))
      const got = await client.services.chainData.fetch(server.peerId, ref)
      expect(got.byteLength, ref).to.equal(length)
      expect(Buffer.from(got).equals(output(length)), `${ref}: the same bytes`).to.equal(true)
    }
    expect(asked.map((a) => a.ref)).to.deep.equal(['inv-1', 'inv.2:b_c-d', 'inv-3'])
    expect(new Set(asked.map((a) => a.peer)), 'the source is told who asks').to.deep.equal(new Set([client.peerId.toString()]))
  })

  it('fails with ChainDataNotFoundError for a ref the peer does not hold, or when it serves nothing', async function () {
    const missing = await outcome(client.services.chainData.fetch(server.peerId, 'inv-gone'))
    expect(missing.name).to.equal('ChainDataNotFoundError')
    expect(asked.map((a) => a.ref)).to.deep.equal(['inv-gone'])
    // a node whose daemon set no source holds nothing
    const bare = await node()
    await client.dial(bare.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
    expect((await outcome(client.services.chainData.fetch(bare.peerId, 'inv-1'))).name).to.equal('ChainDataNotFoundError')
  })

  it('answers TOO_LARGE rather than send an output above the cap (ChainDataTooLargeError)', async function () {
    held.set('inv-big', new Uint8Array(MAX_CHAIN_DATA_BYTES + 1))
    const result = await outcome(client.services.chainData.fetch(server.peerId, 'inv-big'))
    expect(result.name).to.equal('ChainDataTooLargeError')
    // and the channel goes on
    held.set('inv-1', output(10))
    expect((await client.services.chainData.fetch(server.peerId, 'inv-1')).byteLength).to.equal(10)
  })

  it('refuses a bad ref INVALID without asking the source; the requester refuses it before sending', async function () {
    const raw = await rpcNode({ protocol: CHAIN_DATA_PROTOCOL, maxFrameBytes: MAX_CHAIN_DATA_FRAME_BYTES })
    await raw.dial(server.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
    for (const ref of ['', 'a'.repeat(65), '../etc/passwd', 'inv 1', 'inv-\u00e9', 'inv\n1']) {
      held.set(ref, output(4))
      const answer = ChainDataResponse.decode(await raw.services.rpc.request(server.peerId, ChainDataRequest.encode({ ref })))
      expect(answer.status, JSON.stringify(ref)).to.equal(ChainDataResponse.Status.INVALID)
      expect(answer.data.byteLength).to.equal(0)
      const local = await outcome(client.services.chainData.fetch(server.peerId, ref))
      expect(local.name, JSON.stringify(ref)).to.equal('InvalidParametersError')
    }
    expect(asked, 'the source never saw them').to.have.length(0)
    // the longest legal ref is served
    held.set('a'.repeat(64), output(4))
    expect((await client.services.chainData.fetch(server.peerId, 'a'.repeat(64))).byteLength).to.equal(4)
  })

  it('answers garbage INVALID, cuts off a stream of garbage frames, and goes on serving', async function () {
    const raw = await rpcNode({ protocol: CHAIN_DATA_PROTOCOL, maxFrameBytes: MAX_CHAIN_DATA_FRAME_BYTES })
    await raw.dial(server.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
    // a length-delimited field that claims 5 bytes and carries one; a wire type that does not exist
    for (const body of [Uint8Array.of(0x0a, 0x05, 0x61), Uint8Array.of(0x0f, 0x01)]) {
      const answer = ChainDataResponse.decode(await raw.services.rpc.request(server.peerId, body))
      expect(answer.status).to.equal(ChainDataResponse.Status.INVALID)
      expect(answer.message).to.match(/undecodable/)
    }

    // below the rpc framing: bytes that are no frame at all, on raw streams of the protocol
    const hostile = await plainNode()
    await hostile.dial(server.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
    const garbage = [
      Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), // a length prefix longer than any frame's
      Uint8Array.of(0x03, 0x0a, 0x05, 0x61), // a frame of three bytes that is no RpcFrame
      Uint8Array.from([0x84, 0x80, 0x80, 0x03, ...output(64)]) // a frame above the cap, announced
    ]
    for (const bytes of garbage) {
      const stream = await hostile.dialProtocol(server.peerId, CHAIN_DATA_PROTOCOL, { signal: AbortSignal.timeout(5000) })
      stream.send(bytes)
      await waitFor(() => stream.status !== 'open', 5000, 'the server to close the garbage stream')
    }
    expect(asked, 'the source saw none of it').to.have.length(0)
    expect(server.status).to.equal('started')
    held.set('inv-1', output(100))
    expect((await client.services.chainData.fetch(server.peerId, 'inv-1')).byteLength).to.equal(100)
    expect((await raw.services.rpc.request(server.peerId, ChainDataRequest.encode({ ref: 'inv-1' })))).to.satisfy((b: Uint8Array) => ChainDataResponse.decode(b).status === ChainDataResponse.Status.OK)
  })

  it('fails with RpcProtocolError on an answer that does not decode, refuses a valid ref, or is out of protocol', async function () {
    const rogue = await rpcNode({ protocol: CHAIN_DATA_PROTOCOL, maxFrameBytes: MAX_CHAIN_DATA_FRAME_BYTES })
    await client.dial(rogue.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
    const answers = [
      Uint8Array.of(0x12, 0x05, 0x61), // truncated
      Uint8Array.of(0x08, 0x63), // a status this version does not know
      ChainDataResponse.encode({ status: ChainDataResponse.Status.INVALID, data: new Uint8Array(0), message: 'no' }),
      ChainDataResponse.encode({ status: ChainDataResponse.Status.UNKNOWN, data: new Uint8Array(0), message: '' }),
      ChainDataResponse.encode({ status: ChainDataResponse.Status.OK, data: new Uint8Array(MAX_CHAIN_DATA_BYTES + 1), message: '' })
    ]
    for (const [i, body] of answers.entries()) {
      rogue.services.rpc.setHandler(async () => body)
      const result = await outcome(client.services.chainData.fetch(rogue.peerId, 'inv-1'))
      expect(result.name, `answer ${i}`).to.equal('RpcProtocolError')
    }
    // a source that throws is the rpc layer's remote failure
    server.services.chainData.setSource(() => { throw new Error('boom') })
    expect((await outcome(client.services.chainData.fetch(server.peerId, 'inv-1'))).name).to.equal('RpcRemoteError')
  })

  it('fetches again on a fresh channel, once, when the channel dies under a fetch', async function () {
    held.set('inv-1', output(1000))
    await client.services.chainData.fetch(server.peerId, 'inv-1')
    asked = []
    let cut = false
    server.services.chainData.setSource((ref, { peer }) => {
      asked.push({ ref, peer: peer.toString() })
      if (!cut) {
        cut = true
        // the server drops the channel mid-request: as a peer restarting would
        for (const s of channelStreams(server, client, CHAIN_DATA_PROTOCOL)) s.abort(new Error('cut'))
      }
      return held.get(ref)
    })
    const got = await client.services.chainData.fetch(server.peerId, 'inv-1', { timeoutMs: 5000 })
    expect(Buffer.from(got).equals(output(1000))).to.equal(true)
    expect(asked.map((a) => a.ref), 'asked twice').to.deep.equal(['inv-1', 'inv-1'])

    // a channel that dies under the retry too fails by the rpc's name, with no third attempt
    asked = []
    server.services.chainData.setSource((ref, { peer }) => {
      asked.push({ ref, peer: peer.toString() })
      for (const s of channelStreams(server, client, CHAIN_DATA_PROTOCOL)) s.abort(new Error('cut'))
      return held.get(ref)
    })
    const result = await outcome(client.services.chainData.fetch(server.peerId, 'inv-1', { timeoutMs: 5000 }))
    expect(result.name).to.equal('RpcChannelClosedError')
    expect(asked).to.have.length(2)
  })

  it('passes the rpc layer\'s errors through: unreachable, the caller\'s time', async function () {
    const other = await plainNode()
    await client.dial(other.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
    expect((await outcome(client.services.chainData.fetch(other.peerId, 'inv-1'))).name, 'a peer without the protocol').to.equal('RpcUnreachableError')
    // a source is synchronous: a slow link is what makes a fetch late
    const slow = recordingShaper()
    slow.ms = 2000
    const shaped = await node({ shaper: slow })
    await shaped.dial(server.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
    held.set('inv-1', output(1))
    const result = await outcome(shaped.services.chainData.fetch(server.peerId, 'inv-1', { signal: AbortSignal.timeout(100) }))
    expect(result.name).to.equal('TimeoutError')
  })

  it('counts its frames as chain-data traffic on both ends', async function () {
    const [sent, received] = [trafficMeter(), trafficMeter()]
    const [a, b] = await Promise.all([node({ traffic: sent }), node({ traffic: received })])
    await b.dial(a.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
    a.services.chainData.setSource(() => output(1000))
    await b.services.chainData.fetch(a.peerId, 'inv-1')
    const [out, got] = [sent.snapshot()['chain-data'], received.snapshot()['chain-data']]
    // a frame is its body and rpc framing around it: the output's 1000 bytes and a little more
    expect(out?.out).to.be.within(1000, 1100)
    expect(got?.in).to.equal(out?.out)
    expect(got?.out).to.be.within(1, 100)
    expect(out?.in).to.equal(got?.out)
  })

  it('waits out an emulated link both ways, as long as the shaper says', async function () {
    const clientLink = recordingShaper()
    const serverLink = recordingShaper()
    const [a, b] = await Promise.all([node({ shaper: serverLink }), node({ shaper: clientLink })])
    await b.dial(a.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
    const data = output(256 * 1024)
    a.services.chainData.setSource((ref) => ref === 'inv-1' ? data : undefined)
    // warm: the channel is open, so the times below are the exchange alone
    await b.services.chainData.fetch(a.peerId, 'inv-1')
    let t = performance.now()
    await b.services.chainData.fetch(a.peerId, 'inv-1')
    const unshaped = performance.now() - t

    clientLink.ms = 50
    serverLink.ms = 50
    clientLink.asked = []
    serverLink.asked = []
    t = performance.now()
    const got = await b.services.chainData.fetch(a.peerId, 'inv-1')
    const shaped = performance.now() - t
    expect(got.byteLength).to.equal(data.byteLength)
    // 50 ms each way; a timer may fire up to a millisecond early by performance.now()
    expect(shaped, `ms shaped (${unshaped.toFixed(1)} ms unshaped)`).to.be.at.least(98)
    expect(shaped - unshaped, 'ms more than unshaped').to.be.at.least(50)
    // the request to the server, the answer (the whole output) to the client
    expect(clientLink.asked).to.have.length(1)
    expect(clientLink.asked[0]?.peer).to.equal(a.peerId.toString())
    expect(clientLink.asked[0]?.bytes).to.equal(ChainDataRequest.encode({ ref: 'inv-1' }).byteLength)
    expect(serverLink.asked).to.have.length(1)
    expect(serverLink.asked[0]?.peer).to.equal(b.peerId.toString())
    expect(serverLink.asked[0]?.bytes).to.be.at.least(data.byteLength)
  })
})
