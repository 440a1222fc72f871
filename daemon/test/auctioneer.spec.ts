/**
 * The auctioneer alone (daemon/src/placement/auctioneer.ts), over a stub auction transport whose
 * every answer, delay and error the test decides: when the bid window closes, how it ranks, what
 * it hands back, and whom it holds responsible for what.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { expect } from 'chai'
import { Registry } from 'prom-client'
import { CID } from 'multiformats/cid'
import { Bid, type CallForBids } from '../../protocols/src/auction/index.js'
import { RpcBusyError, RpcChannelClosedError, RpcRemoteError, RpcTimeoutError } from '../../protocols/src/rpc/errors.js'
import { Auctioneer, type AuctionCall } from '../src/placement/auctioneer.js'
import { placementMetrics } from '../src/placement/metrics.js'
import { Reputation } from '../src/placement/reputation.js'
import { waitFor } from './support/wait.js'
import type { Bidder } from '../src/placement/bidder.js'
import type { BidRecord, Candidate } from '../src/placement/candidates.js'
import type { PeerId } from '@libp2p/interface'

const CID_BYTES = CID.parse('bafkreigo4p64ub4xtcr4lfifea4su4n4lbqijavygp6soaalwhab6jwgti').bytes
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const sleep = async (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** How a stub peer answers one call for bids. */
type Answer = (call: CallForBids, options: { timeoutMs?: number }) => Promise<Bid>

function bidOf (call: CallForBids, extra: Partial<Bid> = {}): Bid {
  return {
    status: Bid.Status.BID,
    auctionId: call.auctionId,
    estimatedMs: 10,
    price: 1,
    reservation: crypto.getRandomValues(new Uint8Array(16)),
    reservationTtlMs: 5000,
    code: Bid.Code.WARM,
    reason: Bid.Reason.NONE,
    ...extra
  }
}

/** Bids after `ms` (at once for 0, in the same tick as it was asked). */
const bidsAfter = (ms: number, extra: Partial<Bid> = {}): Answer => async (call) => {
  if (ms > 0) await sleep(ms)
  return bidOf(call, extra)
}

/** Never answers: the request times out as the rpc channel's would, after its `timeoutMs`. */
const silent: Answer = async (_call, options) => {
  await sleep(options.timeoutMs ?? 500)
  throw new RpcTimeoutError(`no answer within ${options.timeoutMs} ms`)
}

const failsWith = (err: Error, ms = 0): Answer => async () => {
  if (ms > 0) await sleep(ms)
  throw err
}

/** An error of a class that is not (yet) importable here: only its name matters. */
function named (name: string, message = 'stub'): Error {
  const err = new Error(message)
  err.name = name
  return err
}

/**
 * Runs `fn` with `setTimeout` watched: the delays of the timers set synchronously during the
 * call, in order (the auctioneer sets its patience, then its window, before any await). The
 * timers themselves run as usual.
 */
function timersSetBy<T> (fn: () => T): { result: T, delays: number[] } {
  const original = globalThis.setTimeout
  const delays: number[] = []
  globalThis.setTimeout = ((callback: (...args: any[]) => void, ms?: number, ...args: any[]) => {
    delays.push(ms ?? 0)
    return original(callback, ms, ...args)
  }) as typeof setTimeout
  try {
    return { result: fn(), delays }
  } finally {
    globalThis.setTimeout = original
  }
}

/** The auction transport: records every call, answers each peer as told. */
class StubAuction {
  readonly calls: Array<{ peer: string, call: CallForBids, timeoutMs?: number, at: number }> = []
  /** Tokens each peer granted, hex. */
  readonly granted = new Map<string, string[]>()
  readonly answers = new Map<string, Answer>()

  async requestBid (peerId: PeerId, call: CallForBids, options: { timeoutMs?: number } = {}): Promise<Bid> {
    const peer = peerId.toString()
    this.calls.push({ peer, call, timeoutMs: options.timeoutMs, at: performance.now() })
    if (call.cid.byteLength === 0) {
      return { status: Bid.Status.DECLINED, auctionId: '', estimatedMs: 0, price: 0, reservation: new Uint8Array(0), reservationTtlMs: 0, code: Bid.Code.ABSENT, reason: Bid.Reason.RELEASED }
    }
    const bid = await (this.answers.get(peer) ?? bidsAfter(0))(call, options)
    if (bid.reservation.byteLength > 0) this.granted.set(peer, [...this.granted.get(peer) ?? [], hex(bid.reservation)])
    return bid
  }

  /** Tokens handed back to `peer`, on any call. */
  releasedTo (peer: string): string[] {
    return this.calls.filter((c) => c.peer === peer).flatMap((c) => c.call.release.map(hex))
  }

  /** Calls to `peer` that only hand tokens back. */
  releaseOnly (peer: string): CallForBids[] {
    return this.calls.filter((c) => c.peer === peer && c.call.cid.byteLength === 0).map((c) => c.call)
  }
}

interface Setup {
  auctioneer: Auctioneer
  auction: StubAuction
  reputation: Reputation
  registry: Registry
  /** Calls this node's own bidder saw. */
  selfCalls: CallForBids[]
}

describe('auctioneer (stub auction transport)', function () {
  this.timeout(20_000)
  let peers: PeerId[]
  let setup: Setup | undefined

  before(async function () {
    peers = await Promise.all(Array.from({ length: 5 }, async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
  })

  afterEach(function () {
    setup?.auctioneer.stop()
    setup = undefined
  })

  function create (selfBid: (call: CallForBids) => Bid = (call) => bidOf(call)): Setup {
    const auction = new StubAuction()
    const reputation = new Reputation()
    const registry = new Registry()
    const selfCalls: CallForBids[] = []
    const bidder = { bid: (call: CallForBids) => { selfCalls.push(call); return selfBid(call) } } as unknown as Bidder
    const auctioneer = new Auctioneer({ auction, bidder, reputation, metrics: placementMetrics(registry), log: defaultLogger().forComponent('faasmesh:test:auctioneer') })
    setup = { auctioneer, auction, reputation, registry, selfCalls }
    return setup
  }

  const remote = (i: number): Candidate => ({ peer: peers[i]!.toString(), peerId: peers[i], self: false, slotsTotal: 1, slotsFree: 1, queueLength: 0, speed: 1, warm: true })
  const self: Candidate = { peer: 'self', self: true, slotsTotal: 1, slotsFree: 1, queueLength: 0, speed: 1, warm: true }
  const call = (extra: Partial<AuctionCall> = {}): AuctionCall => ({ cid: CID_BYTES, inputBytes: 1, deadlineMs: 0, windowMs: 2000, priceWeight: 1, ...extra })
  const byEstimate = (r: BidRecord): number => r.estimatedMs ?? 0
  const outcomes = (bids: BidRecord[]): Record<string, string> => Object.fromEntries(bids.map((b) => [b.peer, b.outcome]))
  const offenceOf = (s: Setup, peer: string): string | undefined => s.reputation.list().find((r) => r.peer === peer)?.last

  /** Runs an auction and times it. */
  async function timed (s: Setup, candidates: Candidate[], c: AuctionCall): Promise<{ plan: Awaited<ReturnType<Auctioneer['run']>>, ms: number }> {
    const started = performance.now()
    const plan = await s.auctioneer.run(candidates, c, byEstimate)
    return { plan, ms: performance.now() - started }
  }

  // Timers scheduled in one tick fire in the order of their delays, whatever the load: a bid due
  // at 250 ms is in before a window of 300 ms closes, on any machine. Elapsed times are only
  // bounded from above (Node's timers start from a cached clock, so they may look early).
  describe('the bid window', function () {
    it('closes as soon as every candidate has answered, long before windowMs', async function () {
      const s = create()
      for (const i of [0, 1, 2]) s.auction.answers.set(remote(i).peer, bidsAfter(20))
      const { plan, ms } = await timed(s, [self, remote(0), remote(1), remote(2)], call({ windowMs: 5000 }))
      expect(ms).to.be.lessThan(2500)
      expect(plan.bids.map((b) => b.outcome)).to.deep.equal(['bid', 'bid', 'bid', 'bid'])
      expect(plan.asked).to.equal(4)
      expect(plan.targets).to.have.length(4)
      expect(s.selfCalls.map((c) => c.auctionId)).to.deep.equal([s.auction.calls[0]!.call.auctionId])
    })

    it('waits out windowMs for a peer it never asked before, then closes with the bids in hand', async function () {
      const s = create()
      s.auction.answers.set(remote(0).peer, bidsAfter(5))
      s.auction.answers.set(remote(1).peer, bidsAfter(250))
      s.auction.answers.set(remote(2).peer, silent)
      const { plan, ms } = await timed(s, [remote(0), remote(1), remote(2)], call({ windowMs: 300 }))
      expect(ms).to.be.lessThan(1500)
      expect(outcomes(plan.bids)).to.deep.equal({ [remote(0).peer]: 'bid', [remote(1).peer]: 'bid', [remote(2).peer]: 'late' })
      expect(plan.targets.map((t) => t.candidate.peer)).to.deep.equal([remote(0).peer, remote(1).peer])
      // the request itself is waited for beyond the window (window + 500 ms), so a late bid can be handed back
      expect(s.auction.calls.find((c) => c.peer === remote(2).peer)?.timeoutMs).to.equal(800)
    })

    it('once bids are in, waits for a straggler about 3 of its usual round trips, not the whole window', async function () {
      const s = create()
      s.auction.answers.set(remote(0).peer, bidsAfter(5))
      s.auction.answers.set(remote(1).peer, bidsAfter(60))
      // the first auction teaches it both round trips
      const first = await timed(s, [remote(0), remote(1)], call())
      const rtt = Math.max(...first.plan.bids.map((b) => b.rttMs!))
      // a straggler within 3 of its round trips is waited for...
      s.auction.answers.set(remote(1).peer, bidsAfter(Math.round(1.5 * rtt)))
      const { result, delays } = timersSetBy(async () => s.auctioneer.run([remote(0), remote(1)], call({ windowMs: 60_000 }), byEstimate))
      expect(delays.slice(0, 2), 'patience, then the window').to.deep.equal([3 * rtt, 60_000])
      expect(outcomes((await result).bids), `round trip ${rtt.toFixed(1)} ms`).to.deep.equal({ [remote(0).peer]: 'bid', [remote(1).peer]: 'bid' })
      // ...one that does not answer is not: the window closes about 3 round trips (as learned by now) in
      const learned = rtt + 0.2 * ((await result).bids.find((b) => b.peer === remote(1).peer)!.rttMs! - rtt)
      s.auction.answers.set(remote(1).peer, silent)
      const { plan, ms } = await timed(s, [remote(0), remote(1)], call({ windowMs: 5000 }))
      expect(ms, `patience for a ${learned.toFixed(1)} ms peer`).to.be.lessThan(3 * learned + 1000)
      expect(outcomes(plan.bids)).to.deep.equal({ [remote(0).peer]: 'bid', [remote(1).peer]: 'late' })
    })

    it('waits at least 3 ms for a straggler whose round trip is tiny', async function () {
      const s = create()
      s.auction.answers.set(remote(0).peer, bidsAfter(0))
      s.auction.answers.set(remote(1).peer, bidsAfter(0))
      const first = await timed(s, [remote(0), remote(1)], call())
      const rtt = Math.max(...first.plan.bids.map((b) => b.rttMs!))
      s.auction.answers.set(remote(1).peer, silent)
      const { result, delays } = timersSetBy(async () => s.auctioneer.run([remote(0), remote(1)], call({ windowMs: 1500 }), byEstimate))
      expect(delays[0], `patience for peers answering in ${rtt.toFixed(2)} ms`).to.equal(Math.max(3, 3 * rtt)).and.be.at.least(3)
      const started = performance.now()
      const plan = await result
      expect(performance.now() - started, 'a silent one is not waited for long').to.be.lessThan(1000)
      expect(outcomes(plan.bids)).to.deep.equal({ [remote(0).peer]: 'bid', [remote(1).peer]: 'late' })
    })

    it('waits the whole window for a peer it never asked before, whatever the others\' round trips', async function () {
      const s = create()
      s.auction.answers.set(remote(0).peer, bidsAfter(0))
      await timed(s, [remote(0)], call())
      s.auction.answers.set(remote(2).peer, bidsAfter(250))
      const { result, delays } = timersSetBy(async () => s.auctioneer.run([remote(0), remote(2)], call({ windowMs: 2000 }), byEstimate))
      expect(delays.slice(0, 2), 'patience, then the window').to.deep.equal([2000, 2000])
      expect(outcomes((await result).bids)).to.deep.equal({ [remote(0).peer]: 'bid', [remote(2).peer]: 'bid' })
    })
  })

  describe('ranking', function () {
    it('ranks by score, the rank over the peer\'s reputation, lowest first; on a tie this node first', async function () {
      const s = create((c) => bidOf(c, { estimatedMs: 20 }))
      s.auction.answers.set(remote(0).peer, bidsAfter(0, { estimatedMs: 10 }))
      s.auction.answers.set(remote(1).peer, bidsAfter(0, { estimatedMs: 20 }))
      s.auction.answers.set(remote(2).peer, bidsAfter(0, { estimatedMs: 30 }))
      let { plan } = await timed(s, [remote(2), remote(1), self, remote(0)], call())
      expect(plan.targets.map((t) => t.candidate.peer)).to.deep.equal([remote(0).peer, self.peer, remote(1).peer, remote(2).peer])
      // a 'slow' (x0.7) keeps the best estimate first, a ban-worthy offence (x0.25) sends it last
      s.reputation.penalise(remote(0).peer, 'slow')
      ;({ plan } = await timed(s, [remote(2), remote(1), self, remote(0)], call()))
      expect(plan.targets[0]!.candidate.peer).to.equal(remote(0).peer)
      expect(plan.bids.find((b) => b.peer === remote(0).peer)!.score).to.be.closeTo(10 / s.reputation.score(remote(0).peer), 0.5)
      s.reputation.penalise(remote(0).peer, 'garbage')
      ;({ plan } = await timed(s, [remote(2), remote(1), self, remote(0)], call()))
      expect(plan.targets.map((t) => t.candidate.peer)).to.deep.equal([self.peer, remote(1).peer, remote(2).peer, remote(0).peer])
      expect(plan.secondPrice).to.equal(1)
    })
  })

  describe('handing reservations back', function () {
    it('keeps the winner\'s and the runner-up\'s, flushes the other losers\' within ~10 ms as release-only calls', async function () {
      const s = create()
      for (const i of [0, 1, 2, 3]) s.auction.answers.set(remote(i).peer, bidsAfter(0, { estimatedMs: 10 * (i + 1) }))
      const { plan } = await timed(s, [remote(0), remote(1), remote(2), remote(3)], call())
      expect(plan.targets.map((t) => t.candidate.peer)).to.deep.equal([0, 1, 2, 3].map((i) => remote(i).peer))
      expect(plan.targets.map((t) => t.reservation == null ? null : hex(t.reservation))).to.deep.equal([
        s.auction.granted.get(remote(0).peer)![0], s.auction.granted.get(remote(1).peer)![0], null, null
      ])
      expect(plan.held.map((t) => t.candidate.peer)).to.deep.equal([remote(1).peer])
      // ~10 ms, with room for a busy host (a flush left to a later call would take far longer)
      const flushedBy = performance.now() + 400
      await waitFor(() => [2, 3].every((i) => s.auction.releaseOnly(remote(i).peer).length === 1), 2000, 'release-only calls')
      expect(performance.now(), 'flushed within ~10 ms (plus a busy host)').to.be.lessThan(flushedBy)
      for (const i of [2, 3]) expect(s.auction.releasedTo(remote(i).peer)).to.deep.equal(s.auction.granted.get(remote(i).peer))
      for (const i of [0, 1]) expect(s.auction.releasedTo(remote(i).peer), 'winner and runner-up keep theirs').to.deep.equal([])
    })

    it('lets a loser\'s token ride on the next call to the same peer instead', async function () {
      const s = create()
      for (const i of [0, 1, 2]) s.auction.answers.set(remote(i).peer, bidsAfter(0, { estimatedMs: 10 * (i + 1) }))
      await timed(s, [remote(0), remote(1), remote(2)], call())
      // the next auction starts before the 10 ms flush timer can fire
      const next = s.auctioneer.run([remote(2)], call(), byEstimate)
      const toLoser = s.auction.calls.filter((c) => c.peer === remote(2).peer)
      expect(toLoser).to.have.length(2)
      expect(toLoser[1]!.call.release.map(hex)).to.deep.equal([s.auction.granted.get(remote(2).peer)![0]])
      await next
      await sleep(50)
      expect(s.auction.releaseOnly(remote(2).peer), 'nothing left to flush').to.deep.equal([])
    })

    it('hands back a bid that arrives after the window closed', async function () {
      const s = create()
      s.auction.answers.set(remote(0).peer, bidsAfter(0))
      s.auction.answers.set(remote(1).peer, bidsAfter(300))
      const { plan } = await timed(s, [remote(0), remote(1)], call({ windowMs: 100 }))
      expect(outcomes(plan.bids)).to.deep.equal({ [remote(0).peer]: 'bid', [remote(1).peer]: 'late' })
      await waitFor(() => s.auction.granted.has(remote(1).peer), 2000, 'the late bid')
      await waitFor(() => s.auction.releaseOnly(remote(1).peer).length === 1, 500, 'the late bid\'s reservation handed back')
      expect(s.auction.releasedTo(remote(1).peer)).to.deep.equal(s.auction.granted.get(remote(1).peer))
      expect(plan.bids.find((b) => b.peer === remote(1).peer)!.outcome, 'still late once it came').to.equal('late')
      expect(s.reputation.list(), 'a late bid costs nothing').to.deep.equal([])
    })

    it('closes the window when the caller aborts, hands back the bids still on their way, blames nobody', async function () {
      const s = create()
      for (const i of [0, 1]) s.auction.answers.set(remote(i).peer, bidsAfter(150))
      const controller = new AbortController()
      setTimeout(() => { controller.abort() }, 20)
      const { plan, ms } = await timed(s, [remote(0), remote(1)], call({ signal: controller.signal }))
      // closed by the abort: neither bid, due at 150 ms, made it into the 2 s window
      expect(ms).to.be.lessThan(1000)
      expect(plan.bids.map((b) => b.outcome)).to.deep.equal(['late', 'late'])
      expect(plan.targets).to.deep.equal([])
      await waitFor(() => [0, 1].every((i) => s.auction.releaseOnly(remote(i).peer).length === 1), 2000, 'both reservations handed back')
      for (const i of [0, 1]) expect(s.auction.releasedTo(remote(i).peer)).to.deep.equal(s.auction.granted.get(remote(i).peer))
      expect(s.reputation.list()).to.deep.equal([])
    })

    it('closes at once for a caller that aborted before the call, and asks nobody', async function () {
      const s = create()
      const { plan, ms } = await timed(s, [remote(0), remote(1)], call({ signal: AbortSignal.abort() }))
      expect(ms).to.be.lessThan(100)
      expect(plan.targets).to.deep.equal([])
      expect(s.auction.calls).to.deep.equal([])
    })
  })

  describe('bids that cannot be used', function () {
    const cases: Array<[string, string, () => Partial<Bid>]> = [
      ['a wrong auction id', 'answered another auction', () => ({ auctionId: 'not-this-one' })],
      ['a NaN price', 'price NaN', () => ({ price: Number.NaN })],
      ['a negative price', 'price -1', () => ({ price: -1 })],
      ['an infinite price', 'price Infinity', () => ({ price: Infinity })],
      ['an empty reservation', 'no usable reservation', () => ({ reservation: new Uint8Array(0) })],
      ['an oversized reservation', 'no usable reservation', () => ({ reservation: new Uint8Array(65) })],
      ['an unknown status', 'status UNKNOWN', () => ({ status: Bid.Status.UNKNOWN })]
    ]
    for (const [what, reason, bad] of cases) {
      it(`${what}: an error, penalised as garbage, never a target`, async function () {
        const s = create()
        s.auction.answers.set(remote(0).peer, bidsAfter(0, { estimatedMs: 50 }))
        s.auction.answers.set(remote(1).peer, async (c) => bidOf(c, { estimatedMs: 1, ...bad() }))
        const { plan } = await timed(s, [remote(0), remote(1)], call())
        expect(plan.targets.map((t) => t.candidate.peer)).to.deep.equal([remote(0).peer])
        const record = plan.bids.find((b) => b.peer === remote(1).peer)!
        expect(record.outcome).to.equal('error')
        expect(record.reason).to.equal(reason)
        expect(offenceOf(s, remote(1).peer)).to.equal('garbage')
        expect(offenceOf(s, remote(0).peer)).to.equal(undefined)
        expect(await s.registry.getSingleMetricAsString('faasmesh_auction_bids_total')).to.include('faasmesh_auction_bids_total{outcome="invalid"} 1')
      })
    }

    it('a decline is no offence', async function () {
      const s = create()
      s.auction.answers.set(remote(0).peer, async (c) => bidOf(c, { status: Bid.Status.DECLINED, reason: Bid.Reason.FULL, reservation: new Uint8Array(0) }))
      const { plan } = await timed(s, [remote(0)], call())
      expect(plan.bids[0]).to.deep.include({ outcome: 'declined', reason: 'full' })
      expect(s.reputation.list()).to.deep.equal([])
    })
  })

  describe('errors: only the peer\'s own failings count against it', function () {
    const cases: Array<[string, () => Error, string | undefined, BidRecord['outcome']]> = [
      ['RpcTimeoutError', () => new RpcTimeoutError(), 'slow', 'timeout'],
      ['RpcRemoteError', () => new RpcRemoteError(), 'garbage', 'error'],
      ['RpcProtocolError (an undecodable answer)', () => named('RpcProtocolError'), 'garbage', 'error'],
      ['RpcUnreachableError', () => named('RpcUnreachableError'), 'unreachable', 'error'],
      ['RpcChannelClosedError', () => new RpcChannelClosedError(), 'unreachable', 'error'],
      ['RpcBusyError', () => new RpcBusyError(), undefined, 'error'],
      ['RpcCancelledError (this side gave up)', () => named('RpcCancelledError'), undefined, 'error'],
      ['an AbortError from this node', () => new DOMException('aborted', 'AbortError'), undefined, 'error'],
      ['a local bug (TypeError)', () => new TypeError('cannot read properties of undefined'), undefined, 'error'],
      // matched by name, never by message text
      ['a plain Error whose message says timeout and unreachable', () => new Error('RpcTimeoutError: peer unreachable, channel closed'), undefined, 'error'],
      ['an error whose name is an Object.prototype key', () => named('constructor'), undefined, 'error']
    ]
    for (const [what, error, offence, outcome] of cases) {
      it(`${what} -> ${offence ?? 'no penalty'}`, async function () {
        const s = create()
        s.auction.answers.set(remote(0).peer, bidsAfter(0))
        s.auction.answers.set(remote(1).peer, failsWith(error(), 2))
        const { plan } = await timed(s, [remote(0), remote(1)], call())
        const record = plan.bids.find((b) => b.peer === remote(1).peer)!
        expect(record.outcome).to.equal(outcome)
        expect(record.reason).to.equal(error().name)
        expect(offenceOf(s, remote(1).peer)).to.equal(offence)
        expect(s.reputation.isExcluded(remote(1).peer)).to.equal(offence != null && offence !== 'slow')
        expect(plan.targets.map((t) => t.candidate.peer)).to.deep.equal([remote(0).peer])
      })
    }

    it('an error after the caller aborted costs the peer nothing, whatever its name', async function () {
      const s = create()
      s.auction.answers.set(remote(0).peer, failsWith(new RpcRemoteError(), 50))
      const controller = new AbortController()
      setTimeout(() => { controller.abort() }, 5)
      await timed(s, [remote(0)], call({ signal: controller.signal }))
      await sleep(100)
      expect(s.reputation.list()).to.deep.equal([])
    })

    it('a timeout after the window closed still counts as slow', async function () {
      const s = create()
      s.auction.answers.set(remote(0).peer, bidsAfter(0))
      s.auction.answers.set(remote(1).peer, silent)
      await timed(s, [remote(0), remote(1)], call({ windowMs: 50 }))
      expect(offenceOf(s, remote(1).peer), 'not yet: the request is still waited for').to.equal(undefined)
      await waitFor(() => offenceOf(s, remote(1).peer) === 'slow', 2000, 'the timeout to count')
    })
  })
})
