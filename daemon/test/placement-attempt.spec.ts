/**
 * Issue 12: `Placement.attempt` with stub transports. Which failures move an invocation to the
 * next target and which end it, who is penalised for what (never a peer for a local error),
 * the invocation id travelling unchanged to every target, every reservation going back on
 * every path, and a draining node taking nothing new. The auctioneer's own round is tested in
 * auctioneer.spec.ts; real daemons in invocation.e2e.ts.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { expect } from 'chai'
import { CID } from 'multiformats/cid'
import { Bid, type CallForBids } from '../../protocols/src/auction/index.js'
import { InvokeResponse, MAX_INVOKE_PAYLOAD_BYTES, type InvokeHandler, type InvokeRequest } from '../../protocols/src/invoke/index.js'
import { placement, type Placement } from '../src/placement/index.js'
import { waitFor } from './support/wait.js'
import type { PeerEntry } from '../../protocols/src/adverts/index.js'
import type { HomeDirectory } from '../src/state/index.js'
import type { AbortOptions, PeerId } from '@libp2p/interface'

const CID_TEXT = 'bafkreigo4p64ub4xtcr4lfifea4su4n4lbqijavygp6soaalwhab6jwgti'
const OUTPUT = new TextEncoder().encode('42')
const Status = InvokeResponse.Status

/** What a stub peer does with an invoke: answer a status, throw a named error, or never answer. */
type Behaviour = { status: InvokeResponse.Status } | { throws: string, sent?: boolean } | { hang: true }

interface Mesh {
  placement: Placement
  peers: PeerId[]
  /** Invoke requests each peer received, in order. */
  invokes: Map<string, InvokeRequest[]>
  /** Reservation tokens granted by each peer's bids, and those given back (released or claimed). */
  granted: Set<string>
  returned: Set<string>
  /** Runs on this node (the executor stub). */
  localRuns: { count: number, aborted: number }
  /** The handler this node serves invokes with. */
  serve(): InvokeHandler
}

function named (name: string, props: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`stub ${name}`), { name }, props)
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

async function mesh (behaviours: Behaviour[], init: { localMs?: number, candidates?: number, homes?: HomeDirectory } = {}): Promise<Mesh> {
  const self = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const peers = await Promise.all(behaviours.map(async () => peerIdFromPrivateKey(await generateKeyPair('Ed25519'))))
  const invokes = new Map<string, InvokeRequest[]>()
  const granted = new Set<string>()
  const returned = new Set<string>()
  const localRuns = { count: 0, aborted: 0 }
  let handler: InvokeHandler | undefined
  let next = 1
  const auction = {
    protocol: '/stub/auction',
    setBidder () {},
    async requestBid (peer: PeerId, call: CallForBids): Promise<Bid> {
      for (const token of call.release) returned.add(hex(token))
      if (call.cid.byteLength === 0) return { status: Bid.Status.DECLINED, auctionId: '', estimatedMs: 0, price: 0, reservation: new Uint8Array(0), reservationTtlMs: 0, code: Bid.Code.ABSENT, reason: Bid.Reason.RELEASED }
      const i = peers.findIndex((p) => p.equals(peer))
      const reservation = new Uint8Array([0xee, i, next++])
      granted.add(hex(reservation))
      // the first peer bids best, then the second...
      return { status: Bid.Status.BID, auctionId: call.auctionId, estimatedMs: 1 + i, price: 0, reservation, reservationTtlMs: 5000, code: Bid.Code.WARM, reason: Bid.Reason.NONE }
    }
  }
  const invoke = {
    protocol: '/stub/invoke',
    setHandler (h: InvokeHandler) { handler = h },
    async invoke (peer: PeerId, request: InvokeRequest, options: AbortOptions & { timeoutMs?: number } = {}): Promise<InvokeResponse> {
      const i = peers.findIndex((p) => p.equals(peer))
      const list = invokes.get(peer.toString()) ?? []
      list.push(request)
      invokes.set(peer.toString(), list)
      const behaviour = behaviours[i]!
      // a request that arrived claims its reservation there, unless it was refused unrun
      const claimed = !('throws' in behaviour) || (behaviour.sent !== false && behaviour.throws !== 'RpcBusyError' && behaviour.throws !== 'RpcUnreachableError')
      const unrun = 'status' in behaviour && (behaviour.status === Status.STOPPING || behaviour.status === Status.CONFLICT)
      if (request.reservation.byteLength > 0 && claimed && !unrun) returned.add(hex(request.reservation))
      if ('throws' in behaviour) throw named(behaviour.throws, { sent: behaviour.sent ?? true })
      if ('hang' in behaviour) {
        return new Promise((_resolve, reject) => {
          const fail = (): void => { reject(named('RpcTimeoutError')) }
          const timer = setTimeout(fail, options.timeoutMs ?? 1000)
          options.signal?.addEventListener('abort', () => { clearTimeout(timer); reject(options.signal?.reason) }, { once: true })
        })
      }
      const ok = behaviour.status === Status.OK
      return { status: behaviour.status, output: ok ? OUTPUT : new Uint8Array(0), durationUs: 1000, fuel: 1, cold: false, fetched: false, message: ok ? '' : 'stub', stateVersion: 0, stateBytes: 0, clientState: new Uint8Array(0), outputBytes: 0, inputBytesMoved: 0, logs: [] }
    }
  }
  const entries: PeerEntry[] = peers.map((peerId) => ({
    peerId,
    receivedAt: Date.now(),
    advert: { slotsTotal: 2, slotsFree: 2, queueLength: 0, speed: 1, memoryFreeBytes: 2 ** 30, warmCids: [], tags: [], multiaddrs: [], httpAddrs: [] }
  }) as unknown as PeerEntry)
  const p = placement({ candidates: init.candidates ?? peers.length + 1, bidWindowMs: 200, speed: 0.01 })({
    peerId: self,
    executor: {
      stats: () => ({ slots: 1, busy: 0, idle: 1, spares: 0, queued: 0, replaced: 0 }),
      isWarm: () => true,
      async invoke (_cid: string, _input: Uint8Array, options: AbortOptions = {}) {
        localRuns.count++
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, init.localMs ?? 1)
          options.signal?.addEventListener('abort', () => { clearTimeout(timer); localRuns.aborted++; reject(options.signal?.reason) }, { once: true })
        })
        return { output: OUTPUT, durationMs: 1, runMs: 1, fuelUsed: 1, cold: false, logs: [] }
      }
    },
    store: { has: () => true },
    resolver: { resolve: async (cid: string) => ({ cid, fetched: false }) },
    auction: auction as any,
    invoke: invoke as any,
    peers: () => entries,
    ...(init.homes != null ? { homes: init.homes } : {}),
    logger: defaultLogger()
  })
  await p.start()
  return { placement: p, peers, invokes, granted, returned, localRuns, serve: () => handler! }
}

/** Every reservation a bid granted is claimed or released (releases ride a call or leave within ~10 ms). */
async function expectAllReturned (m: Mesh): Promise<void> {
  await waitFor(() => [...m.granted].every((t) => m.returned.has(t)), 2000, `every granted reservation claimed or released: granted ${[...m.granted].join()}, returned ${[...m.returned].join()}`)
}

const reputations = (m: Mesh): Record<string, string> => Object.fromEntries(m.placement.reputations().map((r) => [r.peer, r.last]))

describe('placement: attempts', function () {
  this.timeout(10_000)
  const placements: Placement[] = []
  afterEach(async () => { for (const p of placements.splice(0)) await p.stop() })
  const make = async (behaviours: Behaviour[], init?: { localMs?: number, candidates?: number, homes?: HomeDirectory }): Promise<Mesh> => {
    const m = await mesh(behaviours, init)
    placements.push(m.placement)
    return m
  }

  it('sends one invocation id to every node it tries, and answers from the first that runs it', async () => {
    const m = await make([{ throws: 'RpcUnreachableError', sent: false }, { status: Status.OK }])
    const placed = await m.placement.place(CID_TEXT, new Uint8Array([1]), { policy: 'auction', invocationId: 'order-42' })
    expect(placed.executor).to.equal(m.peers[1]!.toString())
    expect(m.invokes.get(m.peers[0]!.toString())!.map((r) => r.invocationId)).to.deep.equal(['order-42'])
    expect(m.invokes.get(m.peers[1]!.toString())!.map((r) => r.invocationId)).to.deep.equal(['order-42'])
    expect(reputations(m)[m.peers[0]!.toString()], 'unreachable is the peer\'s').to.equal('unreachable')
    expect(reputations(m)[m.peers[1]!.toString()]).to.equal(undefined)
    await expectAllReturned(m)
  })

  it('passes on without blaming anyone when the peer is stopping, the id conflicts there, or it is busy', async () => {
    for (const behaviour of [{ status: Status.STOPPING }, { status: Status.CONFLICT }, { status: Status.TOO_LARGE }, { throws: 'RpcBusyError' }] as Behaviour[]) {
      const m = await make([behaviour, { status: Status.OK }])
      const placed = await m.placement.place(CID_TEXT, new Uint8Array([1]), { policy: 'auction' })
      expect(placed.executor, JSON.stringify(behaviour)).to.equal(m.peers[1]!.toString())
      expect(m.placement.reputations(), JSON.stringify(behaviour)).to.deep.equal([])
      await expectAllReturned(m)
    }
  })

  it('never penalises a peer for a local error, and still tries the next target', async () => {
    const m = await make([{ throws: 'TypeError' }, { status: Status.OK }])
    const placed = await m.placement.place(CID_TEXT, new Uint8Array([1]), { policy: 'auction' })
    expect(placed.executor).to.equal(m.peers[1]!.toString())
    expect(m.placement.reputations()).to.deep.equal([])
  })

  it('penalises by name: silence after sending dishonours, a channel that would not open in time is slow, an undecodable or failed answer is garbage', async () => {
    for (const [throws, offence, sent] of [['RpcTimeoutError', 'dishonoured', true], ['RpcTimeoutError', 'slow', false], ['RpcProtocolError', 'garbage', true], ['RpcRemoteError', 'garbage', true], ['RpcChannelClosedError', 'unreachable', true], ['RpcUnreachableError', 'unreachable', false]] as Array<[string, string, boolean]>) {
      const m = await make([{ throws, sent }, { status: Status.OK }])
      await m.placement.place(CID_TEXT, new Uint8Array([1]), { policy: 'auction' })
      expect(reputations(m)[m.peers[0]!.toString()], throws).to.equal(offence)
      await expectAllReturned(m)
    }
  })

  it('ends on the function\'s own outcome: a trap anywhere is the answer, not tried elsewhere', async () => {
    const m = await make([{ status: Status.TRAP }, { status: Status.OK }])
    let err: any
    try { await m.placement.place(CID_TEXT, new Uint8Array([1]), { policy: 'auction' }) } catch (e) { err = e }
    expect(err?.name).to.equal('GuestTrapError')
    expect(m.invokes.get(m.peers[1]!.toString()), 'the runner-up is not asked').to.equal(undefined)
    expect(m.localRuns.count).to.equal(0)
    await expectAllReturned(m)
  })

  it('hands back every reservation when the deadline cuts the attempts short', async () => {
    const m = await make([{ hang: true }, { hang: true }])
    let err: any
    try {
      await m.placement.place(CID_TEXT, new Uint8Array([1]), { policy: 'auction', deadlineAt: performance.now() + 300 })
    } catch (e) { err = e }
    expect(err?.name).to.equal('DeadlineExceededError')
    await expectAllReturned(m)
  })

  it('holds a second auction, among the peers that did not pass it on, when every target passed it on', async () => {
    // k = 2: one peer per auction, drawn at random; one of the two is stopping, this node is too
    // slow for the deadline. 16 invocations: the stopping peer is drawn first in some of them
    // (all but 1 in 65536 runs), and those must end at the other one in a second auction
    const m = await make([{ status: Status.STOPPING }, { status: Status.OK }], { candidates: 2 })
    let seconds = 0
    for (let i = 0; i < 16; i++) {
      const placed = await m.placement.place(CID_TEXT, new Uint8Array([1]), { policy: 'auction', deadlineAt: performance.now() + 400 })
      expect(placed.executor).to.equal(m.peers[1]!.toString())
      const outcomes = m.placement.get(placed.id)!.attempts.map((a) => a.outcome)
      if (outcomes[0] === 'stopping') {
        expect(outcomes).to.deep.equal(['stopping', 'skipped: deadline', 'ok'])
        seconds++
      }
    }
    expect(seconds, 'second auctions').to.be.greaterThan(0)
    await expectAllReturned(m)

    const none = await make([{ status: Status.STOPPING }, { status: Status.STOPPING }], { candidates: 3 })
    let err: any
    try { await none.placement.place(CID_TEXT, new Uint8Array([1]), { policy: 'auction', deadlineAt: performance.now() + 400 }) } catch (e) { err = e }
    expect(err?.name).to.equal('DeadlineExceededError')
    const invoked = [...none.invokes.values()].reduce((n, list) => n + list.length, 0)
    expect(invoked, 'each peer asked once: the second auction excludes the peers that passed it on').to.equal(2)
  })

  it('hands back every reservation when every target fails', async () => {
    const m = await make([{ status: Status.REFUSED }, { status: Status.NOT_FOUND }])
    const placed = await m.placement.place(CID_TEXT, new Uint8Array([1]), { policy: 'auction' })
    // this node was the last resort
    expect(m.localRuns.count).to.equal(1)
    expect(placed.executor).to.not.equal(m.peers[0]!.toString())
    await expectAllReturned(m)
  })

  it('runs an input larger than the invoke protocol carries here, and hands the peers\' reservations back', async () => {
    const m = await make([{ status: Status.OK }, { status: Status.OK }])
    const placed = await m.placement.place(CID_TEXT, new Uint8Array(MAX_INVOKE_PAYLOAD_BYTES + 1), { policy: 'auction' })
    expect(m.invokes.size, 'no peer was sent it').to.equal(0)
    expect(m.localRuns.count).to.equal(1)
    expect(placed.bids.asked).to.equal(3)
    await expectAllReturned(m)
  })
})

describe('placement: serving invokes', function () {
  this.timeout(10_000)
  const placements: Placement[] = []
  afterEach(async () => { for (const p of placements.splice(0)) await p.stop() })
  const request = (id: string, input = new Uint8Array([1])): InvokeRequest => ({ cid: CID.parse(CID_TEXT).bytes as Uint8Array<ArrayBuffer>, input: input as Uint8Array<ArrayBuffer>, deadlineMs: 5000, reservation: new Uint8Array(0), invocationId: id, inputs: [], keepOutput: false, nameRecord: new Uint8Array(0), price: 0 })

  it('runs one invocation id once, for repeats in sequence and at once, from any peer', async () => {
    const m = await mesh([], { localMs: 50 })
    placements.push(m.placement)
    const serve = m.serve()
    const [a, b] = m.peers.length === 0 ? await Promise.all([peerIdFromPrivateKey(await generateKeyPair('Ed25519')), peerIdFromPrivateKey(await generateKeyPair('Ed25519'))]) : []
    const context = (peer: PeerId): { peer: PeerId, signal: AbortSignal } => ({ peer, signal: new AbortController().signal })
    const answers = await Promise.all([serve(request('x-1'), context(a!)), serve(request('x-1'), context(b!))])
    answers.push(await serve(request('x-1'), context(a!)))
    expect(answers.map((r) => r.status)).to.deep.equal([Status.OK, Status.OK, Status.OK])
    expect(m.localRuns.count).to.equal(1)
    const conflict = await serve(request('x-1', new Uint8Array([2])), context(a!))
    expect(conflict.status).to.equal(Status.CONFLICT)
    expect(m.localRuns.count).to.equal(1)
    const bad = await serve(request('not valid!'), context(a!))
    expect(bad.status).to.equal(Status.ERROR)
  })

  it('shares one table between its own runs and its peers\': an id it ran for itself does not run again for a peer', async () => {
    const m = await mesh([], { localMs: 20 })
    placements.push(m.placement)
    const placed = await m.placement.place(CID_TEXT, new Uint8Array([1]), { policy: 'local', invocationId: 'both-ways' })
    expect(placed.output).to.deep.equal(OUTPUT)
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const answer = await m.serve()(request('both-ways'), { peer, signal: new AbortController().signal })
    expect(answer.status, answer.message).to.equal(Status.OK)
    expect(m.localRuns.count).to.equal(1)
  })

  it('drains: declines bids and invokes STOPPING, lets what runs finish, and stops what outlives the bound', async () => {
    const m = await mesh([], { localMs: 10_000 })
    placements.push(m.placement)
    const serve = m.serve()
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const running = serve(request('long'), { peer, signal: new AbortController().signal })
    await waitFor(() => m.localRuns.count === 1, 2000, 'the run started')
    const drained = m.placement.drain({ timeoutMs: 200 })
    // a repeat of what runs is still answered; anything new is refused as STOPPING
    expect((await serve(request('new'), { peer, signal: new AbortController().signal })).status).to.equal(Status.STOPPING)
    expect(m.placement.freeSlots()).to.equal(0)
    const started = performance.now()
    await drained
    const answer = await running
    expect(answer.status, answer.message).to.equal(Status.STOPPING)
    expect(m.localRuns.aborted).to.equal(1)
    expect(performance.now() - started).to.be.lessThan(5000)
  })
  describe('in-function calls go to their key\'s home and nowhere else', function () {
    /** A directory that knows `known` homes and records claims and releases. */
    function directory (known: Record<string, string> = {}): HomeDirectory & { claims: string[], released: string[], lookups: string[] } {
      const homes = { ...known }
      const claims: string[] = []
      const released: string[] = []
      const lookups: string[] = []
      return {
        claims,
        released,
        lookups,
        async lookup (key) { lookups.push(key); return homes[key] },
        async claim (key, peer) { claims.push(peer); homes[key] ??= peer; return homes[key] },
        async release (key) { released.push(key); const had = homes[key] != null; delete homes[key]; return had }
      }
    }
    const options = (key: string) => ({ policy: 'auction' as const, state: { model: 'in-function' as const, key } })
    const made: Placement[] = []
    afterEach(async () => { for (const p of made.splice(0)) await p.stop() })
    const make = async (behaviours: Behaviour[], init: { homes: HomeDirectory }): Promise<Mesh> => {
      const m = await mesh(behaviours, init)
      made.push(m.placement)
      return m
    }

    it('a known home runs it; when the home cannot be reached the call fails StateUnavailableError, nowhere else runs it, and the home stays', async function () {
      const homes = directory()
      const m = await make([{ throws: 'RpcUnreachableError', sent: false }, { status: Status.OK }], { homes })
      const home = m.peers[0]!.toString()
      await homes.claim('k', home)
      const err = await m.placement.place(CID_TEXT, new Uint8Array(0), options('k')).catch((e: any) => e)
      expect(err.name).to.equal('StateUnavailableError')
      expect(m.invokes.get(home)?.[0]?.state?.key).to.equal('k')
      expect(m.invokes.get(m.peers[1]!.toString()), 'the runner-up is never asked').to.equal(undefined)
      expect(m.localRuns.count, 'nor this node').to.equal(0)
      expect(homes.released, 'a home that may hold state is never given up').to.deep.equal([])
      await expectAllReturned(m)
    })

    it('remembers a home that answered, and asks the directory again once that node says the key lives elsewhere', async function () {
      const homes = directory()
      const behaviours: Behaviour[] = [{ status: Status.OK }]
      const m = await make(behaviours, { homes })
      await homes.claim('k', m.peers[0]!.toString())
      await m.placement.place(CID_TEXT, new Uint8Array(0), options('k'))
      await m.placement.place(CID_TEXT, new Uint8Array(0), options('k'))
      expect(homes.lookups, 'the second call used the remembered home').to.have.length(1)
      behaviours[0] = { status: Status.STATE_UNAVAILABLE }
      const err = await m.placement.place(CID_TEXT, new Uint8Array(0), options('k')).catch((e: any) => e)
      expect(err.name).to.equal('StateUnavailableError')
      await m.placement.place(CID_TEXT, new Uint8Array(0), options('k')).catch(() => {})
      expect(homes.lookups, 'looked up again').to.have.length(2)
    })

    it('a new key gets the auction winner as its home; a winner never reached is given up so that the next call chooses again', async function () {
      const homes = directory()
      const m = await make([{ throws: 'RpcUnreachableError', sent: false }, { status: Status.OK }], { homes })
      const err = await m.placement.place(CID_TEXT, new Uint8Array(0), options('fresh')).catch((e: any) => e)
      expect(err.name).to.equal('StateUnavailableError')
      expect(homes.claims).to.deep.equal([m.peers[0]!.toString()])
      await waitFor(() => homes.released.length === 1, 2000, 'the unreached home released')
      const placed = await m.placement.place(CID_TEXT, new Uint8Array(0), options('fresh'))
      expect(homes.claims).to.have.length(2)
      expect(await homes.lookup('fresh')).to.equal(placed.executor)
      await expectAllReturned(m)
    })
  })
})
