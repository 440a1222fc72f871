/**
 * The parts of placement that decide on their own: bids from the node's state, reservations,
 * reputation, sampling and prices. The auction across real nodes is in placement.e2e.ts.
 */
import { expect } from 'chai'
import { CID } from 'multiformats/cid'
import { Bid, type CallForBids } from '../../protocols/src/auction/index.js'
import { Bidder } from '../src/placement/bidder.js'
import { RunTimeEstimates } from '../src/placement/estimates.js'
import { PeerLedger } from '../src/placement/peer-ledger.js'
import { pricing } from '../src/placement/pricing.js'
import { Reputation } from '../src/placement/reputation.js'
import { Reservations } from '../src/placement/reservations.js'
import { weightedSample } from '../src/placement/sampling.js'
import { waitFor } from './support/wait.js'

const CID_TEXT = 'bafkreigo4p64ub4xtcr4lfifea4su4n4lbqijavygp6soaalwhab6jwgti'
const CID_BYTES = CID.parse(CID_TEXT).bytes as Uint8Array<ArrayBuffer>

function call (deadlineMs = 0, auctionId = 'a'): CallForBids {
  return { auctionId, cid: CID_BYTES, inputBytes: 10, deadlineMs, release: [], inputs: [], nameRecord: new Uint8Array(0) }
}

/** A seeded generator, so the sampling test cannot flake. */
function seeded (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

interface Node {
  bidder: Bidder
  reservations: Reservations
  estimates: RunTimeEstimates
  state: { running: number, slots: number, code: Bid.Code }
}

function node (init: { slots?: number, queuePerSlot?: number, speed?: number, ttlMs?: number } = {}): Node {
  const state = { running: 0, slots: init.slots ?? 1, code: Bid.Code.WARM }
  const ledger = new PeerLedger()
  const reservations = new Reservations(init.ttlMs ?? 5000, (owner, how) => { if (owner !== 'self') ledger.settle(owner, how) })
  const estimates = new RunTimeEstimates()
  const bidder = new Bidder({
    running: () => state.running,
    slots: () => state.slots,
    codeState: () => state.code,
    estimates,
    reservations,
    ledger,
    price: pricing({ basePrice: 1, factors: [], tags: {} })
  }, { queuePerSlot: init.queuePerSlot ?? 0, speed: init.speed ?? 1 })
  return { bidder, reservations, estimates, state }
}

describe('placement: bids', function () {
  const nodes: Node[] = []
  const make = (init?: Parameters<typeof node>[0]): Node => { const n = node(init); nodes.push(n); return n }
  afterEach(function () { for (const n of nodes.splice(0)) n.reservations.clear() })

  it('reserves the last slot for one auction only: the second call for bids is declined as full', function () {
    const n = make({ slots: 1, queuePerSlot: 0 })
    const first = n.bidder.bid(call(0, 'one'))
    const second = n.bidder.bid(call(0, 'two'))
    expect(first.status).to.equal(Bid.Status.BID)
    expect(first.reservation.byteLength).to.equal(16)
    expect(second).to.deep.include({ status: Bid.Status.DECLINED, auctionId: 'two', reason: Bid.Reason.FULL })
  })

  it('never lets one auctioneer hold more than half of what the node admits', function () {
    const n = make({ slots: 2, queuePerSlot: 1 })
    // a peer that has claimed here (a stranger holds one at a time: placement-hoarding.spec.ts)
    expect(n.reservations.claim(n.bidder.bid(call(), 'greedy-peer').reservation, 'greedy-peer', CID_TEXT)).to.equal(true)
    const bids = [0, 1, 2].map(() => n.bidder.bid(call(), 'greedy-peer'))
    expect(bids.map((b) => b.status)).to.deep.equal([Bid.Status.BID, Bid.Status.BID, Bid.Status.DECLINED])
    expect(n.bidder.bid(call(), 'another-peer').status, 'others still get bids').to.equal(Bid.Status.BID)
    n.reservations.release(bids[0]!.reservation, 'greedy-peer')
    expect(n.bidder.bid(call(), 'greedy-peer').status).to.equal(Bid.Status.BID)
  })

  it('frees a reserved slot when the reservation is claimed and run, released, or left to lapse', async function () {
    const n = make({ slots: 1, ttlMs: 100 })
    const claimed = n.bidder.bid(call())
    expect(n.reservations.claim(claimed.reservation, 'self', CID_TEXT)).to.equal(true)
    expect(n.reservations.claim(claimed.reservation, 'self', CID_TEXT), 'a reservation is claimed once').to.equal(false)
    const released = n.bidder.bid(call())
    expect(n.bidder.bid({ ...call(), cid: new Uint8Array(0), release: [released.reservation] }).reason).to.equal(Bid.Reason.RELEASED)
    expect(n.reservations.active).to.equal(0)
    // a release riding on the next call frees the slot that call then gets
    const held = n.bidder.bid(call())
    const next = n.bidder.bid({ ...call(), release: [held.reservation] })
    expect(next.status).to.equal(Bid.Status.BID)
    expect(n.reservations.claim(next.reservation, 'self', CID_TEXT)).to.equal(true)
    n.bidder.bid(call())
    expect(n.bidder.bid(call()).status).to.equal(Bid.Status.DECLINED)
    await waitFor(async () => n.reservations.active === 0, 2000, 'reservation to lapse')
    expect(n.bidder.bid(call()).status).to.equal(Bid.Status.BID)
  })

  it('bids a longer completion as the queue grows, and declines past its queue allowance', function () {
    const n = make({ slots: 2, queuePerSlot: 1 })
    n.estimates.record(CID_TEXT, 10)
    const estimates = [0, 1, 2, 3].map(() => n.bidder.bid(call()))
    expect(estimates.map((b) => b.estimatedMs)).to.deep.equal([10, 10, 20, 20])
    expect(estimates.map((b) => b.price)).to.deep.equal([1, 1.5, 2, 2.5])
    expect(n.bidder.bid(call()).reason).to.equal(Bid.Reason.FULL)
  })

  it('counts the code it holds: warm costs nothing, stored a compile, absent a fetch', function () {
    const n = make({ slots: 4 })
    n.estimates.record(CID_TEXT, 10)
    const bidWith = (code: Bid.Code): Bid => { n.state.code = code; return n.bidder.bid(call()) }
    const warm = bidWith(Bid.Code.WARM)
    const stored = bidWith(Bid.Code.STORED)
    const absent = bidWith(Bid.Code.ABSENT)
    expect(warm).to.deep.include({ code: Bid.Code.WARM, estimatedMs: 10 })
    expect(stored.estimatedMs).to.be.greaterThan(warm.estimatedMs)
    expect(absent.estimatedMs).to.be.greaterThan(stored.estimatedMs)
  })

  it('learns run time per function (median of the latest runs) and scales unknown ones by its speed', function () {
    const slow = make({ slots: 4, speed: 0.25 })
    const fast = make({ slots: 4, speed: 2 })
    expect(slow.bidder.bid(call()).estimatedMs).to.be.greaterThan(fast.bidder.bid(call()).estimatedMs * 4)
    // one slow first run does not stick
    for (const ms of [900, 40, 44, 42]) fast.estimates.record(CID_TEXT, ms)
    expect(fast.estimates.get(CID_TEXT)).to.equal(43)
    for (let i = 0; i < 8; i++) fast.estimates.record(CID_TEXT, 10)
    expect(fast.estimates.get(CID_TEXT), 'only the latest eight count').to.equal(10)
  })

  it('declines when it cannot finish within the deadline', function () {
    const n = make({ slots: 1 })
    n.estimates.record(CID_TEXT, 50)
    expect(n.bidder.bid(call(20)).reason).to.equal(Bid.Reason.DEADLINE)
    expect(n.reservations.active, 'a declined bid reserves nothing').to.equal(0)
    expect(n.bidder.bid(call(60)).status).to.equal(Bid.Status.BID)
  })

  it('refuses a call for bids without a valid CID', function () {
    expect(() => make().bidder.bid({ ...call(), cid: new Uint8Array([1, 2, 3]) })).to.throw().with.property('name', 'InvalidParametersError')
  })
})

describe('placement: prices, reputation, sampling', function () {
  it('prices by load and by the operator\'s tag rules', function () {
    const battery = pricing({ basePrice: 2, factors: [{ key: 'power', value: 'battery', factor: 4 }], tags: { power: 'battery' } })
    const mains = pricing({ basePrice: 2, factors: [{ key: 'power', value: 'battery', factor: 4 }], tags: { power: 'mains' } })
    expect(mains(0)).to.equal(2)
    expect(mains(1)).to.equal(4)
    expect(battery(0)).to.equal(8)
  })

  it('bans a peer after a dishonoured bid, lets it back with time, and twice as late when it offends again', function () {
    let now = 0
    const reputation = new Reputation({ banMs: 1000, recoveryMs: 1000, now: () => now })
    expect(reputation.isExcluded('p')).to.equal(false)
    reputation.penalise('p', 'dishonoured')
    expect(reputation.isExcluded('p')).to.equal(true)
    now = 999
    expect(reputation.isExcluded('p')).to.equal(true)
    now = 1000
    expect(reputation.isExcluded('p')).to.equal(false)
    expect(reputation.score('p'), 'back, but ranked lower until it recovers').to.equal(0.25)
    now = 1500
    expect(reputation.score('p')).to.equal(0.75)
    reputation.penalise('p', 'dishonoured')
    now = 3499
    expect(reputation.isExcluded('p'), 'a second offence bans for 2 s').to.equal(true)
    now = 3500
    expect(reputation.isExcluded('p')).to.equal(false)
    reputation.penalise('q', 'slow')
    expect(reputation.isExcluded('q'), 'a slow bid lowers the rank, it does not ban').to.equal(false)
    expect(reputation.score('q')).to.equal(0.7)
    reputation.penalise('p', 'dishonoured')
    reputation.penalise('p', 'slow')
    expect(reputation.isExcluded('p'), 'a late answer to an earlier call does not lift a ban').to.equal(true)
  })

  it('samples in proportion to weight, never the same item twice, never weight 0', function () {
    const random = seeded(42)
    const counts = new Map<string, number>()
    const items = [{ id: 'idle', w: 8 }, { id: 'busy', w: 1 }, { id: 'mid', w: 3 }, { id: 'dead', w: 0 }]
    for (let i = 0; i < 2000; i++) {
      const picked = weightedSample(items, 2, (x) => x.w, random)
      expect(new Set(picked).size).to.equal(picked.length)
      for (const p of picked) counts.set(p.id, (counts.get(p.id) ?? 0) + 1)
    }
    expect(counts.get('dead') ?? 0).to.equal(0)
    expect(counts.get('idle')!).to.be.greaterThan(counts.get('mid')!)
    expect(counts.get('mid')!).to.be.greaterThan(counts.get('busy')!)
  })

  it('still samples by weight when every weight is tiny', function () {
    const random = seeded(9)
    const items = [{ id: 'a', w: 2e-4 }, { id: 'b', w: 1e-5 }]
    let a = 0
    for (let i = 0; i < 500; i++) if (weightedSample(items, 1, (x) => x.w, random)[0]!.id === 'a') a++
    expect(a, 'a is twenty times as likely as b').to.be.greaterThan(450)
  })
})
