import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { expect } from 'chai'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import { auction, Bid, type Auction } from '../src/auction/index.js'
import { invokeProtocol, InvokeResponse, type Invoke } from '../src/invoke/index.js'
import type { Libp2p } from '@libp2p/interface'

type Node = Libp2p<{ auction: Auction, invoke: Invoke }>
const CID_BYTES = CID.parse('bafkreicged763fcw4ppkikhtvshxdcvfjdtg5htik6xyekf652todjb33u').bytes as Uint8Array<ArrayBuffer>

async function node (): Promise<Node> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), auction: auction({ bidTimeoutMs: 300 }), invoke: invokeProtocol({ maxPayloadBytes: 1000 }) }
  }) as unknown as Promise<Node>
}

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
    const bid = await auctioneer.services.auction.requestBid(bidder.peerId, { auctionId: 'a1', cid: CID_BYTES, inputBytes: 5, deadlineMs: 1000, release: [] })
    expect(bid).to.deep.include({ status: Bid.Status.BID, auctionId: 'a1', estimatedMs: 12, price: 1.5, reservationTtlMs: 250, code: Bid.Code.WARM })
    expect([...bid.reservation]).to.deep.equal([7])
    const declined = await auctioneer.services.auction.requestBid(bidder.peerId, { auctionId: 'a2', cid: CID_BYTES, inputBytes: 5, deadlineMs: 5, release: [] })
    expect(declined.status).to.equal(Bid.Status.DECLINED)
  })

  it('times out a bidder that does not answer within the bid timeout', async function () {
    bidder.services.auction.setBidder(async () => new Promise<Bid>(() => {}))
    const started = Date.now()
    try {
      await auctioneer.services.auction.requestBid(bidder.peerId, { auctionId: 'slow', cid: CID_BYTES, inputBytes: 0, deadlineMs: 1000, release: [] }, { timeoutMs: 150 })
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
      message: ''
    }))
    const response = await auctioneer.services.invoke.invoke(bidder.peerId, { cid: CID_BYTES, input: new TextEncoder().encode('x') as Uint8Array<ArrayBuffer>, deadlineMs: 1000, reservation: new Uint8Array(0) })
    expect(response).to.deep.include({ status: InvokeResponse.Status.OK, durationUs: 850, fuel: 4512, cold: true })
    expect(new TextDecoder().decode(response.output)).to.equal('ran x')
  })

  it('refuses an input above the payload cap before sending it', async function () {
    bidder.services.invoke.setHandler(async () => ({ status: InvokeResponse.Status.OK, output: new Uint8Array(0), durationUs: 0, fuel: 0, cold: false, fetched: false, message: '' }))
    try {
      await auctioneer.services.invoke.invoke(bidder.peerId, { cid: CID_BYTES, input: new Uint8Array(5000), deadlineMs: 1000, reservation: new Uint8Array(0) })
      expect.fail('expected a refusal')
    } catch (err: any) {
      expect(err.name).to.equal('InvalidParametersError')
    }
  })
})
