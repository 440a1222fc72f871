/**
 * Issue 11, item 5: reservations cannot be hoarded. The per-peer ledger, the caps on what remote
 * auctioneers may hold, invocations without a reservation, and the auctioneer handing back what
 * it holds, each with stubs. Real attackers against real daemons: hoarding.e2e.ts.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { expect } from 'chai'
import { CID } from 'multiformats/cid'
import { Bid, type CallForBids } from '../../protocols/src/auction/index.js'
import { InvokeResponse, type InvokeRequest } from '../../protocols/src/invoke/index.js'
import { FunctionNotFoundError } from '../src/errors.js'
import { InvocationTable } from '../src/invocations/index.js'
import { Auctioneer } from '../src/placement/auctioneer.js'
import { Bidder } from '../src/placement/bidder.js'
import { RunTimeEstimates } from '../src/placement/estimates.js'
import { placement } from '../src/placement/index.js'
import { invokeHandler } from '../src/placement/invoke-handler.js'
import { LocalRunner } from '../src/placement/local-runner.js'
import { PeerLedger, type PeerLedgerInit } from '../src/placement/peer-ledger.js'
import { pricing } from '../src/placement/pricing.js'
import { Reputation } from '../src/placement/reputation.js'
import { Reservations } from '../src/placement/reservations.js'
import { FAILURE_BACKOFF_MS, MAX_FETCHES_PER_PEER, UnreservedFetches } from '../src/placement/unreserved-fetches.js'
import { waitFor } from './support/wait.js'
import type { BidRecord, Candidate } from '../src/placement/candidates.js'
import type { AbortOptions, PeerId } from '@libp2p/interface'

const CID_TEXT = 'bafkreigo4p64ub4xtcr4lfifea4su4n4lbqijavygp6soaalwhab6jwgti'
const OTHER_CID = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku'
const CID_BYTES = CID.parse(CID_TEXT).bytes as Uint8Array<ArrayBuffer>

function call (auctionId = 'a'): CallForBids {
  return { auctionId, cid: CID_BYTES, inputBytes: 10, deadlineMs: 0, release: [], inputs: [], nameRecord: new Uint8Array(0) }
}

interface Node {
  bidder: Bidder
  reservations: Reservations
  ledger: PeerLedger
}

function node (init: { slots: number, queuePerSlot: number, ttlMs?: number, ledger?: PeerLedgerInit }): Node {
  const ledger = new PeerLedger(init.ledger)
  const reservations = new Reservations(init.ttlMs ?? 5000, (owner, how) => { if (owner !== 'self') ledger.settle(owner, how) })
  const bidder = new Bidder({
    running: () => 0,
    slots: () => init.slots,
    codeState: () => Bid.Code.WARM,
    estimates: new RunTimeEstimates(),
    reservations,
    ledger,
    price: pricing({ basePrice: 1, factors: [], tags: {} })
  }, { queuePerSlot: init.queuePerSlot, speed: 1 })
  return { bidder, reservations, ledger }
}

/** Makes `peer` one that has claimed a reservation here. */
function known (n: Node, peer: string): void {
  expect(n.reservations.claim(n.bidder.bid(call(), peer).reservation, peer, CID_TEXT)).to.equal(true)
}

const statuses = (bids: Bid[]): string[] => bids.map((b) => b.status === Bid.Status.BID ? 'BID' : b.reason)

describe('placement: reservations cannot be hoarded', function () {
  const nodes: Node[] = []
  const make = (init: Parameters<typeof node>[0]): Node => { const n = node(init); nodes.push(n); return n }
  afterEach(function () { for (const n of nodes.splice(0)) n.reservations.clear() })

  it('gives strangers a shared pool that never makes the node look full to others', function () {
    // admits 3: each peer may hold 2, all strangers together 2
    const n = make({ slots: 1, queuePerSlot: 2 })
    known(n, 'honest')
    expect(statuses(['x1', 'x1', 'x1', 'x2'].map((peer) => n.bidder.bid(call(), peer)))).to.deep.equal(['BID', 'BID', 'FULL', 'FULL'])
    // price = 1 + load / slots: the honest peer's bid sees no load, this node's own sees the honest reservation only
    expect(n.bidder.bid(call(), 'honest')).to.deep.include({ status: Bid.Status.BID, price: 1 })
    expect(n.bidder.bid(call())).to.deep.include({ status: Bid.Status.BID, price: 2 })
    expect(n.bidder.bid(call(), 'x3'), 'a stranger sees everything: 2 strangers\' + 2 others of 3').to.deep.include({ status: Bid.Status.DECLINED, reason: Bid.Reason.FULL })
  })

  it('lets no number of identities that never claim make the node decline its own or a known peer\'s auctions', function () {
    const n = make({ slots: 2, queuePerSlot: 2 })
    known(n, 'honest')
    let granted = 0
    for (let id = 0; id < 50; id++) {
      for (let i = 0; i < 10; i++) if (n.bidder.bid(call(), `sybil-${id}`).status === Bid.Status.BID) granted++
    }
    expect(granted, 'all strangers together: half of the 6 admitted').to.equal(3)
    expect(n.bidder.bid(call(), 'honest')).to.deep.include({ status: Bid.Status.BID, estimatedMs: 5, price: 1 })
    expect(n.bidder.bid(call())).to.deep.include({ status: Bid.Status.BID, estimatedMs: 5, price: 1.5 })
  })

  it('excludes a stranger at its third lapse, declining EXCLUDED, and twice as long when it lapses again', async function () {
    let now = 0
    const n = make({ slots: 1, queuePerSlot: 2, ttlMs: 20, ledger: { now: () => now } })
    for (let lapses = 1; lapses <= 3; lapses++) {
      expect(n.bidder.bid(call(), 'hoarder').status, `bid ${lapses}`).to.equal(Bid.Status.BID)
      await waitFor(async () => n.reservations.active === 0, 2000, 'the reservation to lapse')
    }
    expect(n.bidder.bid(call(), 'hoarder')).to.deep.include({ status: Bid.Status.DECLINED, reason: Bid.Reason.EXCLUDED })
    expect(n.ledger.list()).to.deep.equal([{ peer: 'hoarder', known: false, claims: 0, releases: 0, lapses: 3, claimRatio: 0.25, exclusions: 1, excluded: true }])
    expect(n.bidder.bid(call(), 'bystander').status, 'others are not concerned').to.equal(Bid.Status.BID)
    n.reservations.clear()
    now = 30_000
    expect(n.bidder.bid(call(), 'hoarder').status, 'back after 30 s').to.equal(Bid.Status.BID)
    await waitFor(async () => n.reservations.active === 0, 2000, 'the reservation to lapse')
    now = 30_000 + 59_999
    expect(n.bidder.bid(call(), 'hoarder').reason, 'a repeat: 60 s').to.equal(Bid.Reason.EXCLUDED)
    now = 30_000 + 60_000
    expect(n.bidder.bid(call(), 'hoarder').status).to.equal(Bid.Status.BID)
  })

  it('shrinks a known peer\'s cap with its claim ratio; releases neither count against it nor make up for lapses', function () {
    // admits 6: half is 3; no time passes, so nothing decays
    const n = make({ slots: 2, queuePerSlot: 2, ledger: { now: () => 0 } })
    for (let i = 0; i < 3; i++) n.ledger.settle('peer', 'claimed')
    expect(statuses([0, 1, 2, 3].map(() => n.bidder.bid(call(), 'peer')))).to.deep.equal(['BID', 'BID', 'BID', 'FULL'])
    n.reservations.clear()
    n.ledger.settle('peer', 'lapsed')
    n.ledger.settle('peer', 'lapsed')
    expect(n.ledger.claimRatio('peer')).to.equal(4 / 6)
    for (let i = 0; i < 100; i++) n.ledger.settle('peer', 'released')
    expect(n.ledger.claimRatio('peer'), 'releases are free to make: they do not buy lapses back').to.equal(4 / 6)
    expect(statuses([0, 1, 2].map(() => n.bidder.bid(call(), 'peer')))).to.deep.equal(['BID', 'BID', 'FULL'])
    for (let i = 0; i < 3; i++) n.ledger.settle('peer', 'lapsed')
    expect(n.ledger.isExcluded('peer'), 'five lapses, three claims: two forgiven').to.equal(false)
    n.ledger.settle('peer', 'lapsed')
    expect(n.ledger.isExcluded('peer'), 'six lapses, three claims').to.equal(true)
  })

  it('keeps a quarter of what the node admits for its own auctions when known peers call at once', function () {
    // admits 8: each known peer may hold 4, all of them 6
    const n = make({ slots: 2, queuePerSlot: 3 })
    for (const peer of ['k1', 'k2', 'k3']) known(n, peer)
    const bids = ['k1', 'k1', 'k1', 'k1', 'k1', 'k2', 'k2', 'k2', 'k3'].map((peer) => n.bidder.bid(call(), peer))
    expect(statuses(bids)).to.deep.equal(['BID', 'BID', 'BID', 'BID', 'FULL', 'BID', 'BID', 'FULL', 'FULL'])
    expect(statuses([n.bidder.bid(call()), n.bidder.bid(call()), n.bidder.bid(call())])).to.deep.equal(['BID', 'BID', 'FULL'])
  })

  it('lets only the owner claim or release a reservation, and only for the function it was bid for', function () {
    const n = make({ slots: 2, queuePerSlot: 0 })
    const { reservation } = n.bidder.bid(call(), 'owner')
    expect(n.reservations.claim(reservation, 'owner', OTHER_CID), 'another function').to.equal(false)
    expect(n.reservations.claim(reservation, 'thief', CID_TEXT), 'another peer').to.equal(false)
    expect(n.reservations.release(reservation, 'thief')).to.equal(false)
    expect(n.reservations.heldBy('owner')).to.equal(1)
    expect(n.reservations.claim(reservation, 'owner', CID_TEXT)).to.equal(true)
    expect(n.ledger.isKnown('owner')).to.equal(true)
  })

  it('remembers a bounded number of peers, forgetting strangers before peers that claim', function () {
    const ledger = new PeerLedger({ maxPeers: 4, now: () => 0 })
    ledger.settle('old-friend', 'claimed')
    for (let i = 0; i < 100; i++) ledger.settle(`stranger-${i}`, 'released')
    expect(ledger.list().map((e) => e.peer)).to.deep.equal(['old-friend', 'stranger-97', 'stranger-98', 'stranger-99'])
  })
})

describe('placement: invocations without a reservation', function () {
  const peer = { toString: () => 'caller' } as unknown as PeerId

  /** An invoke handler over stubs; `fetch` stands in for the resolver. */
  function handler (options: { room?: boolean, fetch: (cid: string) => Promise<void> }): { serve: ReturnType<typeof invokeHandler>, runner: LocalRunner, reservations: Reservations, stored: Set<string> } {
    const stored = new Set<string>()
    const resolver = {
      resolve: async (cid: string) => {
        const fetched = !stored.has(cid)
        if (fetched) { await options.fetch(cid); stored.add(cid) }
        return { cid, fetched }
      }
    }
    const executor = { invoke: async () => ({ output: new Uint8Array([1]), durationMs: 1, runMs: 1, fuelUsed: 1, cold: false, logs: [] }) }
    const runner = new LocalRunner({ resolver, executor: executor as any, estimates: new RunTimeEstimates() })
    const reservations = new Reservations(5000)
    const serve = invokeHandler({
      runner,
      reservations,
      invocations: new InvocationTable(),
      stopping: () => false,
      hasRoom: () => (options.room ?? true) && runner.running < 1,
      hasCode: (cid) => stored.has(cid),
      fetches: new UnreservedFetches({ fetch: async (cid) => resolver.resolve(cid) }),
      log: Object.assign(() => {}, { enabled: false, trace: () => {}, error: () => {} }) as any
    })
    return { serve, runner, reservations, stored }
  }

  const request = (cid: string, reservation: Uint8Array = new Uint8Array(0)): InvokeRequest => ({
    cid: CID.parse(cid).bytes as Uint8Array<ArrayBuffer>, input: new Uint8Array(0), deadlineMs: 0, reservation: reservation as Uint8Array<ArrayBuffer>, invocationId: '', inputs: [], keepOutput: false, nameRecord: new Uint8Array(0), price: 0
  })
  const context = { peer, signal: new AbortController().signal }

  it('fetches code it does not hold before admitting the invocation: the fetch holds no slot', async function () {
    let arrive!: () => void
    const { serve, runner } = handler({ fetch: async () => new Promise<void>((resolve) => { arrive = resolve }) })
    const answer = serve(request(CID_TEXT), context)
    await waitFor(async () => arrive != null, 2000, 'the fetch to start')
    expect(runner.running, 'nothing admitted while the code is fetched').to.equal(0)
    arrive()
    expect((await answer).status).to.equal(InvokeResponse.Status.OK)
    expect(runner.running).to.equal(0)
  })

  it('answers a chain step with malformed input references INPUT_INVALID, running and fetching nothing', async function () {
    let fetched = 0
    const { serve, runner } = handler({ fetch: async () => { fetched++ } })
    const ref = { peer: '12D3KooWJ7VjKpi7yFnNL9fNB5HHHu1vRmUNfHJ2PWSMrKjeCJui', ref: 'r1', step: 'a', bytes: 1 }
    for (const bad of [{ ...ref, ref: 'no spaces allowed' }, { ...ref, ref: '' }, { ...ref, step: 'UPPER' }, { ...ref, peer: '' }, { ...ref, peer: 'x'.repeat(200) }]) {
      const answer = await serve({ ...request(CID_TEXT), invocationId: 'step-1', inputs: [bad], keepOutput: true }, context)
      expect(answer.status, JSON.stringify(bad)).to.equal(InvokeResponse.Status.INPUT_INVALID)
    }
    expect(fetched).to.equal(0)
    expect(runner.running).to.equal(0)
    // a well-formed reference this node cannot follow (no chain data here) is the input's failure, by name
    const gone = await serve({ ...request(CID_TEXT), invocationId: 'step-2', inputs: [ref], keepOutput: true }, context)
    expect(gone.status).to.equal(InvokeResponse.Status.INPUT_UNAVAILABLE)
  })

  it('refuses a chain CID sent by a peer as an invocation, fetching and storing nothing', async function () {
    let fetched = 0
    const { serve } = handler({ fetch: async () => { fetched++ } })
    const chainCid = 'bagaaierambl3ojqeojmmzojt27eli4hlm4aqsccpjp344soh6shkw7cstbmq'
    const answer = await serve({ ...request(CID_TEXT), cid: CID.parse(chainCid).bytes as Uint8Array<ArrayBuffer> }, context)
    expect(answer.status).to.equal(InvokeResponse.Status.NOT_FOUND)
    expect(fetched).to.equal(0)
  })

  it('refuses a peer\'s third unknown CID at once; invocations of one CID share its fetch', async function () {
    const pending: Array<() => void> = []
    let hold = true
    const fetches = new UnreservedFetches({ fetch: async () => { if (hold) await new Promise<void>((resolve) => { pending.push(resolve) }) } })
    const started = [CID_TEXT, OTHER_CID, CID_TEXT].map(async (cid) => fetches.fetch('peer', cid))
    expect(MAX_FETCHES_PER_PEER).to.equal(2)
    const third = 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq'
    // at once: a fetch let through would wait for its code, so it gets a bounded look only
    const refused: any = await Promise.race([fetches.fetch('peer', third).then(() => 'fetched', (err) => err), new Promise((resolve) => setTimeout(() => { resolve('still fetching') }, 1000))])
    expect(refused?.name, String(refused)).to.equal('NoCapacityError')
    const other = fetches.fetch('another-peer', third)
    await waitFor(async () => pending.length === 4, 2000, 'the fetches to start')
    hold = false
    for (const arrive of pending) arrive()
    await Promise.all([...started, other])
    await fetches.fetch('peer', third)
    await fetches.fetch('peer', OTHER_CID)
  })

  it('makes a peer whose fetch found nothing wait before its next, twice as long for each failure in a row', async function () {
    let now = 0
    const exists = new Set([CID_TEXT])
    const fetches = new UnreservedFetches({ now: () => now, fetch: async (cid) => { if (!exists.has(cid)) throw new FunctionNotFoundError(cid) } })
    const outcome = async (peer: string, cid: string): Promise<string> => fetches.fetch(peer, cid).then(() => 'fetched', (err) => err.name)
    expect(await outcome('prober', OTHER_CID)).to.equal('FunctionNotFoundError')
    expect(await outcome('prober', CID_TEXT), 'at once').to.equal('NoCapacityError')
    expect(await outcome('honest', CID_TEXT), 'others are not concerned').to.equal('fetched')
    now = FAILURE_BACKOFF_MS
    expect(await outcome('prober', OTHER_CID)).to.equal('FunctionNotFoundError')
    now += 2 * FAILURE_BACKOFF_MS - 1
    expect(await outcome('prober', CID_TEXT), 'the second failure in a row: twice as long').to.equal('NoCapacityError')
    now += 1
    expect(await outcome('prober', CID_TEXT)).to.equal('fetched')
    expect(await outcome('prober', OTHER_CID), 'a success starts the count again').to.equal('FunctionNotFoundError')
    now += FAILURE_BACKOFF_MS
    expect(await outcome('prober', CID_TEXT)).to.equal('fetched')
  })

  it('admits a claimed reservation when the node has no room, and refuses a claim for another function', async function () {
    const { serve, reservations, stored } = handler({ room: false, fetch: async () => {} })
    stored.add(CID_TEXT)
    const good = reservations.reserve('caller', CID_TEXT).token
    const wrong = reservations.reserve('caller', OTHER_CID).token
    expect((await serve(request(CID_TEXT, good), context)).status).to.equal(InvokeResponse.Status.OK)
    expect((await serve(request(CID_TEXT, wrong), context)).status).to.equal(InvokeResponse.Status.REFUSED)
    reservations.clear()
  })
})

describe('placement: the auctioneer hands back what it holds', function () {
  /** An auctioneer over a stub auction whose answers can be held back and let go together. */
  async function auctioneerWithStubs (): Promise<{ auctioneer: Auctioneer, candidates: Candidate[], released: string[], granted: string[], hold: (on: boolean) => void, letGo: () => void }> {
    const peers = await Promise.all([0, 1].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
    const released: string[] = []
    const granted: string[] = []
    let held: Array<() => void> | undefined
    const auction = {
      requestBid: async (to: PeerId, c: CallForBids, options: AbortOptions = {}): Promise<Bid> => {
        released.push(...c.release.map((t) => Buffer.from(t).toString('hex')))
        if (c.cid.byteLength === 0) return { status: Bid.Status.DECLINED, auctionId: '', estimatedMs: 0, price: 0, reservation: new Uint8Array(0), reservationTtlMs: 0, code: Bid.Code.ABSENT, reason: Bid.Reason.RELEASED }
        // the bidder has reserved the slot by the time the caller could give up
        const reservation = crypto.getRandomValues(new Uint8Array(16))
        granted.push(Buffer.from(reservation).toString('hex'))
        // held answers all come back in one tick, as frames read from one chunk do; like the
        // rpc channel, a request stops waiting when its signal aborts
        if (held != null) {
          await new Promise<void>((resolve, reject) => {
            held!.push(resolve)
            options.signal?.addEventListener('abort', () => { reject(new DOMException('aborted', 'AbortError')) }, { once: true })
          })
        }
        return { status: Bid.Status.BID, auctionId: c.auctionId, estimatedMs: 1, price: 1, reservation, reservationTtlMs: 500, code: Bid.Code.WARM, reason: Bid.Reason.NONE }
      }
    }
    const auctioneer = new Auctioneer({ auction, bidder: undefined as any, reputation: new Reputation(), log: Object.assign(() => {}, { enabled: false }) as any })
    const candidates = peers.map((peerId) => ({ peer: peerId.toString(), peerId, self: false, slotsTotal: 1, slotsFree: 1, queueLength: 0, speed: 1, warm: true }))
    return { auctioneer, candidates, released, granted, hold: (on) => { held = on ? [] : undefined }, letGo: () => { for (const resolve of held ?? []) resolve() } }
  }

  const auctionCall = { cid: CID_BYTES, inputBytes: 1, deadlineMs: 0, windowMs: 1000, priceWeight: 2 }
  const byEstimate = (r: BidRecord): number => r.estimatedMs ?? 0
  const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

  it('hands back a bid that came in the same tick as the answer that closed the window', async function () {
    const { auctioneer, candidates, released, granted, hold, letGo } = await auctioneerWithStubs()
    // a first auction teaches it both peers' round trips: its patience drops to a few ms
    await auctioneer.run(candidates, auctionCall, byEstimate)
    granted.length = 0
    hold(true)
    setTimeout(letGo, 50)
    const plan = await auctioneer.run(candidates, auctionCall, byEstimate)
    expect(plan.bids.map((b) => b.outcome).sort()).to.deep.equal(['bid', 'late'])
    const late = granted.find((token) => !plan.targets.some((t) => t.reservation != null && hex(t.reservation) === token))
    await waitFor(async () => released.includes(late!), 2000, `the closed-out bid's reservation to be released (released: ${released.join(', ')})`)
    auctioneer.stop()
  })

  it('closes the window when the caller gives up, and hands back the bids still on their way', async function () {
    const { auctioneer, candidates, released, granted, hold, letGo } = await auctioneerWithStubs()
    hold(true)
    const controller = new AbortController()
    setTimeout(() => { controller.abort() }, 20)
    const started = performance.now()
    const plan = await auctioneer.run(candidates, { ...auctionCall, signal: controller.signal }, byEstimate)
    expect(performance.now() - started, 'closed by the abort, not by the 1000 ms window').to.be.lessThan(500)
    expect(plan.targets).to.have.length(0)
    letGo()
    await waitFor(async () => granted.length === 2 && granted.every((token) => released.includes(token)), 2000, `both reservations to be released (granted ${granted.join(', ')}, released ${released.join(', ')})`)
    auctioneer.stop()
  })

  it('releases the runner-up\'s reservation before it lapses while the winner still runs', async function () {
    const ttlMs = 200
    const [self, fast, second] = await Promise.all([0, 1, 2].map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519')))) as [PeerId, PeerId, PeerId]
    const released: Array<{ peer: string, token: string, at: number }> = []
    let answeredAt = Infinity
    const tokens = new Map<string, string>()
    const started = performance.now()
    const auction = {
      protocol: '/faasmesh/auction/1.0.0',
      setBidder: () => {},
      requestBid: async (to: PeerId, c: CallForBids): Promise<Bid> => {
        for (const t of c.release) released.push({ peer: to.toString(), token: Buffer.from(t).toString('hex'), at: performance.now() - started })
        if (c.cid.byteLength === 0) return { status: Bid.Status.DECLINED, auctionId: '', estimatedMs: 0, price: 0, reservation: new Uint8Array(0), reservationTtlMs: 0, code: Bid.Code.ABSENT, reason: Bid.Reason.RELEASED }
        const reservation = crypto.getRandomValues(new Uint8Array(16))
        tokens.set(to.toString(), Buffer.from(reservation).toString('hex'))
        // far apart, so that no round trip on a busy machine changes the order
        return { status: Bid.Status.BID, auctionId: c.auctionId, estimatedMs: to.equals(fast) ? 1 : 60, price: 1, reservation, reservationTtlMs: ttlMs, code: Bid.Code.WARM, reason: Bid.Reason.NONE }
      }
    }
    const invoke = {
      protocol: '/faasmesh/invoke/1.0.0',
      setHandler: () => {},
      // the winner runs three reservation lifetimes
      invoke: async (): Promise<InvokeResponse> => {
        await new Promise((resolve) => setTimeout(resolve, 3 * ttlMs))
        answeredAt = performance.now() - started
        return { status: InvokeResponse.Status.OK, output: new Uint8Array([7]), durationUs: 1, fuel: 1, cold: false, fetched: false, message: '', stateVersion: 0, stateBytes: 0, clientState: new Uint8Array(0), outputBytes: 0, inputBytesMoved: 0, logs: [] }
      }
    }
    const advert = { slotsTotal: 4, slotsFree: 4, queueLength: 0, speed: 1, memoryFreeBytes: 0, warmCids: [], tags: [], multiaddrs: [], httpAddrs: [] }
    const p = placement({ reservationTtlMs: ttlMs })({
      peerId: self,
      executor: { invoke: async () => { throw new Error('not here') }, isWarm: () => false, stats: () => ({ slots: 1 }) } as any,
      store: { has: () => false },
      resolver: { resolve: async (cid: string) => ({ cid, fetched: false }) },
      auction: auction as any,
      invoke: invoke as any,
      peers: () => [fast, second].map((peerId) => ({ peerId, advert, receivedAt: Date.now() })) as any,
      logger: defaultLogger()
    })
    await p.start()
    try {
      const placed = await p.place(CID_TEXT, new Uint8Array(0), { policy: 'auction' })
      expect(placed.executor).to.equal(fast.toString())
      const runnerUp = released.find((r) => r.peer === second.toString())
      expect(runnerUp?.token, `releases: ${JSON.stringify(released)}`).to.equal(tokens.get(second.toString()))
      // scheduled just before its TTL (a timing this test leaves alone on a busy machine), and
      // in any case not held until the winner answered, three TTLs later
      expect(runnerUp!.at, 'handed back while the winner ran').to.be.lessThan(answeredAt)
    } finally {
      await p.stop()
    }
  })
})
