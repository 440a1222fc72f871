/**
 * Issue 18: the local fast path. An auction whose outcome is known before it is held (this
 * node has a free slot, the function compiled, and no peer in the view has bid a lower score
 * for it lately) is skipped; every other case still asks the peers. Stub transports, as in
 * placement-attempt.spec.ts.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { expect } from 'chai'
import { Bid, type CallForBids } from '../../protocols/src/auction/index.js'
import { InvokeResponse, type InvokeRequest } from '../../protocols/src/invoke/index.js'
import { BidFloors, FLOOR_TTL_MS } from '../src/placement/bid-floors.js'
import { placement, type Placement } from '../src/placement/index.js'
import type { PeerEntry } from '../../protocols/src/adverts/index.js'
import type { Clock } from '../src/utils/clock.js'
import type { AbortOptions, PeerId } from '@libp2p/interface'

const CID_TEXT = 'bafkreigo4p64ub4xtcr4lfifea4su4n4lbqijavygp6soaalwhab6jwgti'
const OUTPUT = new TextEncoder().encode('42')

interface Stub {
  placement: Placement
  peers: PeerId[]
  /** Calls for bids each peer got (releases alone left out). */
  asked: number
  invoked: number
  localRuns: number
  /** `gate`: local runs wait for it (a run holding the only slot). */
  state: { warm: boolean, busy: number, gate?: Promise<void>, noSlot?: boolean }
}

/**
 * This node: 1 slot, speed 0.1 (an unknown function is estimated 50 ms, idle price 1: score 52,
 * far from the stub peers' bids, whatever their round trips on a busy host).
 * Each peer bids `estimatedMs` at `price`.
 */
async function stub (peerBids: Array<{ estimatedMs: number, price: number }>, init: { localFastPath?: boolean } = {}): Promise<Stub> {
  const self = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const peers = await Promise.all(peerBids.map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
  const s: Stub = { placement: undefined as unknown as Placement, peers, asked: 0, invoked: 0, localRuns: 0, state: { warm: true, busy: 0 } }
  let next = 1
  const auction = {
    protocol: '/stub/auction',
    setBidder () {},
    async requestBid (peer: PeerId, call: CallForBids): Promise<Bid> {
      if (call.cid.byteLength === 0) return { status: Bid.Status.DECLINED, auctionId: '', estimatedMs: 0, price: 0, reservation: new Uint8Array(0), reservationTtlMs: 0, code: Bid.Code.ABSENT, reason: Bid.Reason.RELEASED }
      s.asked++
      const { estimatedMs, price } = peerBids[peers.findIndex((p) => p.equals(peer))]!
      return { status: Bid.Status.BID, auctionId: call.auctionId, estimatedMs, price, reservation: new Uint8Array([0xee, next++]), reservationTtlMs: 5000, code: Bid.Code.WARM, reason: Bid.Reason.NONE }
    }
  }
  const invoke = {
    protocol: '/stub/invoke',
    setHandler () {},
    async invoke (_peer: PeerId, _request: InvokeRequest, _options: AbortOptions = {}): Promise<InvokeResponse> {
      s.invoked++
      return { status: InvokeResponse.Status.OK, output: OUTPUT, durationUs: 1000, fuel: 1, cold: false, fetched: false, message: '', stateVersion: 0, stateBytes: 0, clientState: new Uint8Array(0), outputBytes: 0, inputBytesMoved: 0, logs: [] }
    }
  }
  const entries = peers.map((peerId) => ({
    peerId,
    receivedAt: Date.now(),
    advert: { slotsTotal: 2, slotsFree: 2, queueLength: 0, speed: 1, memoryFreeBytes: 2 ** 30, warmCids: [], tags: [], multiaddrs: [], httpAddrs: [] }
  }) as unknown as PeerEntry)
  s.placement = placement({ candidates: peers.length + 1, bidWindowMs: 200, speed: 0.1, ...init })({
    peerId: self,
    executor: {
      stats: () => ({ slots: 1, busy: s.state.busy, idle: 1 - s.state.busy, spares: 0, queued: 0, replaced: 0 }),
      isWarm: () => s.state.warm,
      async invoke () {
        s.localRuns++
        await s.state.gate
        if (s.state.noSlot === true) throw Object.assign(new Error('stub: no slot after all'), { name: 'NoCapacityError' })
        return { output: OUTPUT, durationMs: 50, runMs: 50, fuelUsed: 1, cold: false, logs: [] }
      }
    },
    store: { has: () => true },
    resolver: { resolve: async (cid: string) => ({ cid, fetched: false }) },
    auction: auction as any,
    invoke: invoke as any,
    peers: () => entries,
    logger: defaultLogger()
  } as any)
  await s.placement.start()
  return s
}

describe('placement: the local fast path', function () {
  this.timeout(10_000)
  const placements: Placement[] = []
  afterEach(async () => { for (const p of placements.splice(0)) await p.stop() })
  const make = async (...args: Parameters<typeof stub>): Promise<Stub> => {
    const s = await stub(...args)
    placements.push(s.placement)
    return s
  }
  const place = async (s: Stub): Promise<{ executor: string, fastPath: boolean }> => {
    const placed = await s.placement.place(CID_TEXT, new Uint8Array([1]), { policy: 'auction' })
    return { executor: placed.executor, fastPath: s.placement.get(placed.id)?.fastPath === true }
  }

  it('asks the peers until each has bid, then skips the auction while its own bid cannot lose', async () => {
    // peers' best: 100 + 2 x 1 = 102 against this node's 50 + 2 x 1 = 52
    const s = await make([{ estimatedMs: 100, price: 1 }, { estimatedMs: 200, price: 1 }])
    const first = await place(s)
    expect(first).to.deep.equal({ executor: s.placement.recent(1)[0]!.executor, fastPath: false })
    expect(s.asked, 'the first call asks both peers').to.equal(2)
    for (let i = 0; i < 5; i++) {
      const next = await place(s)
      expect(next.fastPath).to.equal(true)
      expect(s.placement.get(s.placement.recent(1)[0]!.id)).to.deep.include({ asked: 1, windowMs: 0 })
    }
    expect(s.asked, 'no peer asked again').to.equal(2)
    expect(s.localRuns).to.equal(6)
    expect(s.invoked).to.equal(0)
    // the reservation it made for itself was claimed by the run: the slot is free again
    expect(s.placement.freeSlots()).to.equal(1)
  })

  it('holds the auction whenever a peer has bid better lately, and the peer wins it', async () => {
    const s = await make([{ estimatedMs: 1, price: 0 }, { estimatedMs: 200, price: 1 }])
    for (let i = 0; i < 4; i++) {
      const placed = await place(s)
      expect(placed.fastPath).to.equal(false)
      expect(placed.executor, JSON.stringify(s.placement.recent(1)[0])).to.equal(s.peers[0]!.toString())
    }
    expect(s.asked).to.equal(8)
    // the bid it made to compare was handed back
    expect(s.placement.freeSlots()).to.equal(1)
  })

  it('holds the auction when this node has no free slot, the function is not compiled here, or the fast path is off', async () => {
    // a peer so slow that even a queued run here scores better: only the rule about a free slot holds the auction
    const s = await make([{ estimatedMs: 1000, price: 1 }])
    await place(s)
    s.state.warm = false
    expect((await place(s)).fastPath, 'not warm').to.equal(false)
    s.state.warm = true
    expect((await place(s)).fastPath, 'warm again').to.equal(true)
    // a run holds the only slot: the next call asks the peers
    let open = (): void => {}
    s.state.gate = new Promise((resolve) => { open = resolve })
    const holding = place(s)
    const asked = s.asked
    const second = place(s)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(s.asked, 'no free slot').to.be.greaterThan(asked)
    open()
    expect((await holding).fastPath).to.equal(true)
    expect((await second).fastPath).to.equal(false)
    s.state.gate = undefined
    const off = await make([{ estimatedMs: 100, price: 1 }], { localFastPath: false })
    for (let i = 0; i < 3; i++) expect((await place(off)).fastPath).to.equal(false)
    expect(off.asked).to.equal(3)
  })

  it('retries by a real auction when the run here passes the call on (no slot after all): the peer answers', async function () {
    const s = await make([{ estimatedMs: 100, price: 1 }])
    await place(s)
    s.state.noSlot = true
    const asked = s.asked
    const placed = await s.placement.place(CID_TEXT, new Uint8Array([1]), { policy: 'auction' })
    expect(placed.executor).to.equal(s.peers[0]!.toString())
    expect(s.asked).to.equal(asked + 1)
    expect(s.invoked).to.equal(1)
  })

  it('takes no fast path for a call with a state model or a policy other than auction', async () => {
    const s = await make([{ estimatedMs: 100, price: 1 }])
    await place(s)
    const asked = s.asked
    const placed = await s.placement.place(CID_TEXT, new Uint8Array([1]), { policy: 'power-of-two' })
    expect(s.placement.get(placed.id)?.fastPath).to.equal(undefined)
    expect(s.asked).to.be.greaterThan(asked)
  })
})

describe('placement: bid floors', function () {
  const clock = (): Clock & { t: number } => {
    const c = { t: 0, now: () => c.t, setTimeout: () => ({}), clearTimeout: () => {} }
    return c
  }

  it('keeps each peer\'s lowest estimate, round trip and price for a function, and forgets them after the TTL', function () {
    const c = clock()
    const floors = new BidFloors(c)
    floors.learn('f', [
      { peer: 'a', self: false, outcome: 'bid', estimatedMs: 10, price: 2, rttMs: 1 },
      { peer: 'b', self: false, outcome: 'declined' },
      { peer: 'me', self: true, outcome: 'bid', estimatedMs: 1, price: 0, rttMs: 0 }
    ])
    floors.learn('f', [{ peer: 'a', self: false, outcome: 'bid', estimatedMs: 30, price: 1, rttMs: 3 }])
    expect(floors.floor('a', 'f', 2)).to.equal(10 + 1 + 2 * 1)
    expect(floors.floor('b', 'f', 2), 'a decline teaches nothing').to.equal(undefined)
    expect(floors.floor('me', 'f', 2), 'nor does this node\'s own bid').to.equal(undefined)
    expect(floors.floor('a', 'g', 2), 'per function').to.equal(undefined)
    c.t = FLOOR_TTL_MS + 1
    expect(floors.floor('a', 'f', 2)).to.equal(undefined)
  })
})
