import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { expect } from 'chai'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import { AUCTION_PROTOCOL, auction, Bid, type Auction, type CallForBids } from '../src/auction/index.js'
import { INVOKE_PROTOCOL, invokeProtocol, InvokeResponse, MAX_INVOKE_PAYLOAD_BYTES, type Invoke, type InvokeInit, type InvokeRequest } from '../src/invoke/index.js'
import { channelStreams, outcome, rpcNode, stopRpcNodes } from './support/rpc-nodes.js'
import { waitFor } from './support/wait.js'
import type { Libp2p } from '@libp2p/interface'

type Node = Libp2p<{ auction: Auction, invoke: Invoke }>
const CID_BYTES = CID.parse('bafkreicged763fcw4ppkikhtvshxdcvfjdtg5htik6xyekf652todjb33u').bytes as Uint8Array<ArrayBuffer>

/** `invokeInit` may carry options of older versions (`maxPayloadBytes`): they must change nothing. */
async function node (invokeInit: Record<string, unknown> = {}): Promise<Node> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), auction: auction({ bidTimeoutMs: 300 }), invoke: invokeProtocol(invokeInit as InvokeInit) }
  }) as unknown as Promise<Node>
}

const ok = (output: Uint8Array): InvokeResponse => ({ status: InvokeResponse.Status.OK, output: output as Uint8Array<ArrayBuffer>, durationUs: 0, fuel: 0, cold: false, fetched: false, message: '', stateVersion: 0, stateBytes: 0, clientState: new Uint8Array(0), outputBytes: 0, inputBytesMoved: 0, logs: [] })
const invocation = (input: Uint8Array, invocationId = ''): InvokeRequest => ({ cid: CID_BYTES, input: input as Uint8Array<ArrayBuffer>, deadlineMs: 5000, reservation: new Uint8Array(0), invocationId, inputs: [], keepOutput: false, nameRecord: new Uint8Array(0), price: 0 })
const call = (auctionId: string): CallForBids => ({ auctionId, cid: CID_BYTES, inputBytes: 1, deadlineMs: 1000, release: [], inputs: [], nameRecord: new Uint8Array(0) })

describe('auction and invoke protocols', function () {
  this.timeout(20_000)
  let bidder: Node
  let auctioneer: Node

  beforeEach(async function () {
    ;[bidder, auctioneer] = await Promise.all([node(), node()])
    await auctioneer.dial(bidder.getMultiaddrs())
  })

  afterEach(async function () {
    await Promise.all([bidder.stop(), auctioneer.stop()])
  })

  it('carries a call for bids to the bidder and its bid back', async function () {
    bidder.services.auction.setBidder(async (call, { peer }) => {
      expect(peer.equals(auctioneer.peerId)).to.equal(true)
      return call.deadlineMs < 10
        ? { status: Bid.Status.DECLINED, auctionId: call.auctionId, estimatedMs: 0, price: 0, reservation: new Uint8Array(0), reservationTtlMs: 0, code: Bid.Code.ABSENT, reason: Bid.Reason.DEADLINE }
        : { status: Bid.Status.BID, auctionId: call.auctionId, estimatedMs: 12, price: 1.5, reservation: new Uint8Array([7]), reservationTtlMs: 250, code: Bid.Code.WARM, reason: Bid.Reason.NONE }
    })
    // the bid timeout (300 ms) covers opening the channel too: more room on a loaded machine
    const bid = await auctioneer.services.auction.requestBid(bidder.peerId, { auctionId: 'a1', cid: CID_BYTES, inputBytes: 5, deadlineMs: 1000, release: [], inputs: [], nameRecord: new Uint8Array(0) }, { timeoutMs: 2000 })
    expect(bid).to.deep.include({ status: Bid.Status.BID, auctionId: 'a1', estimatedMs: 12, price: 1.5, reservationTtlMs: 250, code: Bid.Code.WARM })
    expect([...bid.reservation]).to.deep.equal([7])
    const declined = await auctioneer.services.auction.requestBid(bidder.peerId, { auctionId: 'a2', cid: CID_BYTES, inputBytes: 5, deadlineMs: 5, release: [], inputs: [], nameRecord: new Uint8Array(0) })
    expect(declined.status).to.equal(Bid.Status.DECLINED)
  })

  it('times out a bidder that does not answer within the bid timeout', async function () {
    bidder.services.auction.setBidder(async () => new Promise<Bid>(() => {}))
    const started = Date.now()
    try {
      await auctioneer.services.auction.requestBid(bidder.peerId, { auctionId: 'slow', cid: CID_BYTES, inputBytes: 0, deadlineMs: 1000, release: [], inputs: [], nameRecord: new Uint8Array(0) }, { timeoutMs: 150 })
      expect.fail('expected a timeout')
    } catch (err: any) {
      expect(err.name).to.equal('RpcTimeoutError')
    }
    expect(Date.now() - started).to.be.lessThan(1000)
  })

  it('carries an invocation and its response with status, output, duration, fuel and cold flag', async function () {
    bidder.services.invoke.setHandler(async (request) => ({
      status: InvokeResponse.Status.OK,
      output: new TextEncoder().encode(`ran ${new TextDecoder().decode(request.input)}`) as Uint8Array<ArrayBuffer>,
      durationUs: 850,
      fuel: 4512,
      cold: true,
      fetched: false,
      message: '',
      stateVersion: 0,
      stateBytes: 0,
      clientState: new Uint8Array(0),
      outputBytes: 0,
      inputBytesMoved: 0,
      logs: []
    }))
    const response = await auctioneer.services.invoke.invoke(bidder.peerId, { cid: CID_BYTES, input: new TextEncoder().encode('x') as Uint8Array<ArrayBuffer>, deadlineMs: 1000, reservation: new Uint8Array(0), invocationId: '', inputs: [], keepOutput: false, nameRecord: new Uint8Array(0), price: 0 })
    expect(response).to.deep.include({ status: InvokeResponse.Status.OK, durationUs: 850, fuel: 4512, cold: true })
    expect(new TextDecoder().decode(response.output)).to.equal('ran x')
  })

  it('refuses an input above the protocol\'s payload cap before sending it, and keeps the channel', async function () {
    let calls = 0
    bidder.services.invoke.setHandler(async () => { calls++; return ok(new Uint8Array(0)) })
    await auctioneer.services.invoke.invoke(bidder.peerId, invocation(new Uint8Array(1)))
    const before = channelStreams(auctioneer, bidder, INVOKE_PROTOCOL)
    expect((await outcome(auctioneer.services.invoke.invoke(bidder.peerId, invocation(new Uint8Array(MAX_INVOKE_PAYLOAD_BYTES + 1))))).name).to.equal('InvalidParametersError')
    expect(calls).to.equal(1)
    // and an output above it is answered TOO_LARGE rather than sent
    bidder.services.invoke.setHandler(async () => ok(new Uint8Array(MAX_INVOKE_PAYLOAD_BYTES + 1)))
    const response = await auctioneer.services.invoke.invoke(bidder.peerId, invocation(new Uint8Array(1)))
    expect([response.status, response.output.byteLength]).to.deep.equal([InvokeResponse.Status.TOO_LARGE, 0])
    expect(channelStreams(auctioneer, bidder, INVOKE_PROTOCOL), 'the same channel').to.deep.equal(before)
  })

  it('re-sends an invocation after a lost channel only when it has an invocation id, and a call for bids always', async function () {
    const started: string[] = []
    // the first run of each input holds until its channel is lost; a repeat answers
    bidder.services.invoke.setHandler(async (request, { signal }) => {
      const key = new TextDecoder().decode(request.input)
      started.push(key)
      if (started.filter((k) => k === key).length > 1) return ok(request.input)
      return new Promise<InvokeResponse>((resolve, reject) => { signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true }) })
    })
    const cut = async (key: string, protocol: string): Promise<void> => {
      await waitFor(() => started.includes(key), 2000, `${key} to start`)
      for (const s of channelStreams(bidder, auctioneer, protocol)) s.abort(new Error('cut'))
    }
    const anonymous = outcome(auctioneer.services.invoke.invoke(bidder.peerId, invocation(new TextEncoder().encode('anonymous'))))
    await cut('anonymous', INVOKE_PROTOCOL)
    const lost = await anonymous
    expect([lost.name, lost.err?.sent]).to.deep.equal(['RpcChannelClosedError', true])
    const named = outcome(auctioneer.services.invoke.invoke(bidder.peerId, invocation(new TextEncoder().encode('named'), 'inv-1')))
    await cut('named', INVOKE_PROTOCOL)
    expect((await named).name).to.equal('ok')
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(started).to.deep.equal(['anonymous', 'named', 'named'])

    let bids = 0
    bidder.services.auction.setBidder(async (c, { signal }) => {
      if (++bids > 1) return { status: Bid.Status.DECLINED, auctionId: c.auctionId, estimatedMs: 0, price: 0, reservation: new Uint8Array(0), reservationTtlMs: 0, code: Bid.Code.ABSENT, reason: Bid.Reason.STOPPING }
      started.push('bid')
      return new Promise<Bid>((resolve, reject) => { signal.addEventListener('abort', () => { reject(signal.reason) }, { once: true }) })
    })
    const bid = auctioneer.services.auction.requestBid(bidder.peerId, call('a3'), { timeoutMs: 2000 })
    await cut('bid', AUCTION_PROTOCOL)
    expect((await bid).reason).to.equal(Bid.Reason.STOPPING)
    expect(bids).to.equal(2)
  })

  it('fails with RpcProtocolError when the peer\'s answer is not a Bid', async function () {
    const rogue = await rpcNode({ protocol: AUCTION_PROTOCOL })
    try {
      // a length-delimited field (the auction id) that claims 5 bytes and carries one
      rogue.services.rpc.setHandler(async () => Uint8Array.of(0x12, 0x05, 0x61))
      await auctioneer.dial(rogue.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
      const result = await outcome(auctioneer.services.auction.requestBid(rogue.peerId, call('a4'), { timeoutMs: 2000 }))
      expect(result.name).to.equal('RpcProtocolError')
      expect(result.err.cause).to.be.instanceOf(Error)
    } finally {
      await stopRpcNodes()
    }
  })
})

describe('invoke frame cap', function () {
  this.timeout(30_000)
  const nodes: Node[] = []

  afterEach(async function () {
    await Promise.all(nodes.splice(0).map(async (n) => { await n.stop() }))
  })

  it('carries a 2 MiB input and output between nodes built with different payload configs', async function () {
    // what the daemon passed before the cap was the protocol's: 1 KiB here, 8 MiB there
    const [small, large] = await Promise.all([node({ maxPayloadBytes: 1024 }), node({ maxPayloadBytes: 8 << 20 })])
    nodes.push(small, large)
    for (const n of nodes) n.services.invoke.setHandler(async (request) => ok(request.input.slice().reverse()))
    await small.dial(large.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
    const input = new Uint8Array(2 << 20).map((_, i) => i % 251)
    for (const [from, to] of [[small, large], [large, small]] as const) {
      const response = await from.services.invoke.invoke(to.peerId, invocation(input), { timeoutMs: 10_000 })
      expect(response.status).to.equal(InvokeResponse.Status.OK)
      expect(response.output.byteLength).to.equal(input.byteLength)
      expect(response.output[0]).to.equal(input[input.byteLength - 1])
    }
  })
})
