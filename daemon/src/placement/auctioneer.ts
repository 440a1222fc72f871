import { randomBytes } from 'node:crypto'
import { Bid, type Auction, type CallForBids, type InputLocation } from '../../../protocols/src/auction/index.js'
import { wallClock, type Clock, type ClockTimer } from '../utils/clock.js'
import type { Bidder } from './bidder.js'
import type { BidRecord, Candidate, Plan, Target } from './candidates.js'
import type { PlacementMetrics } from './metrics.js'
import type { Offence, Reputation } from './reputation.js'
import type { Logger, PeerId } from '@libp2p/interface'

export interface AuctioneerComponents {
  auction: Pick<Auction, 'requestBid'>
  bidder: Bidder
  reputation: Reputation
  metrics?: PlacementMetrics
  log: Logger
  /** The window's timers and round trips; the simulator's virtual clock in testbed/src/sim. @default wallClock */
  clock?: Clock
}

export interface AuctionCall {
  cid: Uint8Array
  inputBytes: number
  /** A chain step's input, where it already is (peer id bytes and size): bidders add its transfer to their estimate. */
  inputs?: InputLocation[]
  /** Time left for the whole invocation, 0 when the caller set no deadline. */
  deadlineMs: number
  windowMs: number
  /** Ms of estimated completion one unit of price is worth. */
  priceWeight: number
  /** The signed name record that names the CID, when this node knows one: bidders in allowlist mode need it. */
  nameRecord?: Uint8Array
  signal?: AbortSignal
}

interface Received {
  candidate: Candidate
  record: BidRecord
  bid?: Bid
}

/** A candidate is waited for this many times its usual bid round trip, once other bids are in... */
const PATIENCE_RTTS = 3
/** ...and at least this long. */
const MIN_PATIENCE_MS = 3
/** How long after the window a late bid is still awaited, so its reservation can be released. */
const LATE_BID_MS = 500
/** Released reservations wait this long for a call to ride on before they are sent on their own. */
const RELEASE_FLUSH_MS = 10
/** The protocol's limit of releases per call. */
const MAX_RELEASES = 64
/**
 * The errors of a call for bids that are the peer's doing, by name, and what each costs it.
 * Anything else (RpcBusyError: it said so politely; RpcCancelledError, a bug or an abort on
 * this side) costs it nothing.
 */
const OFFENCE_BY_ERROR: ReadonlyMap<string, Offence> = new Map([
  // it answered, but with a failure or bytes that do not decode
  ['RpcRemoteError', 'garbage'],
  ['RpcProtocolError', 'garbage'],
  // it went away, or was never reachable
  ['RpcUnreachableError', 'unreachable'],
  ['RpcChannelClosedError', 'unreachable'],
  // no answer within the window and the grace after it
  ['RpcTimeoutError', 'slow']
])

/**
 * Runs one sealed-bid round: a call for bids to every candidate at once (this node answers
 * itself without the network), a window that closes when all have answered, or with the bids in
 * hand once the slowest candidate has had three of its usual round trips (at least 3 ms), or at
 * `windowMs` whatever happens, and the bids ranked by score. Peers that miss the whole window or answer nonsense lose reputation; a failure of this side's own (an abort, a bug) costs nobody any. Reservations that
 * lose are handed back, riding on the next call to the same peer when one comes soon (a late
 * bid's too), except the runner-up's, which the caller holds for a retry.
 */
export class Auctioneer {
  private readonly releases = new Map<string, { peerId: PeerId, tokens: Uint8Array[] }>()
  /** Usual bid round trip per peer (EWMA), for the patience of the window. */
  private readonly rtts = new Map<string, number>()
  private flushTimer?: ClockTimer
  private readonly clock: Clock

  constructor (private readonly components: AuctioneerComponents) {
    this.clock = components.clock ?? wallClock
  }

  async run (candidates: Candidate[], call: AuctionCall, rank: (r: BidRecord) => number): Promise<Plan> {
    const auctionId = randomBytes(8).toString('hex')
    const opened = this.clock.now()
    const records: BidRecord[] = candidates.map((c) => ({ peer: c.peer, self: c.self, outcome: 'late' }))
    const received: Received[] = []
    let closed = false
    await new Promise<void>((resolve) => {
      let waiting = candidates.length
      const close = (): void => {
        if (closed) return
        closed = true
        this.clock.clearTimeout(window)
        this.clock.clearTimeout(patience)
        call.signal?.removeEventListener('abort', close)
        resolve()
      }
      // a caller that gives up closes the window; the bids still on their way are handed back
      call.signal?.addEventListener('abort', close, { once: true })
      // stragglers: once bids are in hand, nobody is waited for much longer than its usual round trip
      let patient = true
      const patience = this.clock.setTimeout(() => {
        patient = false
        if (received.some((r) => r.bid != null)) close()
      }, this.patienceMs(candidates, call.windowMs))
      const window = this.clock.setTimeout(close, call.windowMs)
      if (waiting === 0 || call.signal?.aborted === true) close()
      if (closed) return
      candidates.forEach((candidate, i) => {
        void this.ask(candidate, auctionId, call, records[i]!, () => closed).then((r) => {
          if (closed) {
            // in before the window closed, but after another answer in the same tick closed it:
            // its slot goes back, or it lapses at the bidder and counts against this node there
            if (r.bid != null) {
              r.record.outcome = 'late'
              this.release({ candidate, reservation: r.bid.reservation })
            }
            return
          }
          received.push(r)
          if (--waiting === 0 || (!patient && r.bid != null)) close()
        })
      })
    })
    const windowMs = this.clock.now() - opened
    this.components.metrics?.window.observe(windowMs / 1000)
    this.components.metrics?.asked.inc(candidates.length)

    const bids = received.filter((r): r is Received & { bid: Bid } => r.bid != null)
    for (const r of bids) {
      r.record.score = rank(r.record) / Math.max(0.05, this.components.reputation.score(r.record.peer))
    }
    // lowest score first; on a tie this node (no network in the way)
    bids.sort((a, b) => (a.record.score ?? 0) - (b.record.score ?? 0) || Number(b.candidate.self) - Number(a.candidate.self))
    const targets: Target[] = bids.map((r) => ({
      candidate: r.candidate,
      reservation: r.bid.reservation,
      // conservative: the bidder started its clock up to a round trip before we heard of it,
      // and a claim takes one more trip to arrive
      reservedUntil: opened + r.bid.reservationTtlMs - 2 * (r.record.rttMs ?? 0),
      estimatedMs: r.record.estimatedMs! + (r.record.rttMs ?? 0)
    }))
    for (const loser of targets.slice(2)) this.release(loser)
    const secondPrice = bids[1]?.record.price
    const winnerPrice = bids[0]?.record.price
    if (secondPrice != null && winnerPrice != null) this.components.metrics?.spread.observe(secondPrice - winnerPrice)
    return { targets, bids: records, asked: candidates.length, held: targets.slice(1, 2), windowMs, secondPrice }
  }

  /**
   * How long to wait before closing with the bids in hand: a few usual round trips of the
   * slowest candidate asked, at least MIN_PATIENCE_MS; the whole window for a peer never asked
   * before.
   */
  private patienceMs (candidates: Candidate[], windowMs: number): number {
    let slowest = 0
    for (const c of candidates) {
      if (c.self) continue
      const rtt = this.rtts.get(c.peer)
      if (rtt == null) return windowMs
      slowest = Math.max(slowest, rtt)
    }
    return Math.min(windowMs, Math.max(MIN_PATIENCE_MS, PATIENCE_RTTS * slowest))
  }

  private learnRtt (peer: string, rttMs: number): void {
    const previous = this.rtts.get(peer)
    this.rtts.delete(peer)
    this.rtts.set(peer, previous == null ? rttMs : previous + 0.2 * (rttMs - previous))
    if (this.rtts.size > 4096) this.rtts.delete(this.rtts.keys().next().value as string)
  }

  /** Hands a target's reservation back (this node's at once; a peer's with its next call, or soon). */
  release (target: Target): void {
    const token = target.reservation
    target.reservation = undefined
    if (token == null || token.byteLength === 0) return
    if (target.candidate.self || target.candidate.peerId == null) {
      this.components.bidder.bid(releaseCall([token]))
      return
    }
    this.queueRelease(target.candidate.peerId, token)
  }

  /** Sends what is still queued and stops the flush timer. */
  stop (): void {
    this.clock.clearTimeout(this.flushTimer)
    this.flushTimer = undefined
    this.flush()
  }

  private queueRelease (peerId: PeerId, token: Uint8Array): void {
    const key = peerId.toString()
    const queued = this.releases.get(key) ?? { peerId, tokens: [] }
    queued.tokens.push(token)
    this.releases.set(key, queued)
    this.flushTimer ??= this.clock.setTimeout(() => { this.flushTimer = undefined; this.flush() }, RELEASE_FLUSH_MS)
    this.flushTimer.unref?.()
  }

  private flush (): void {
    for (const [key, { peerId, tokens }] of this.releases) {
      this.releases.delete(key)
      for (let i = 0; i < tokens.length; i += MAX_RELEASES) {
        this.components.auction.requestBid(peerId, releaseCall(tokens.slice(i, i + MAX_RELEASES)), { timeoutMs: 1000 }).catch(() => {})
      }
    }
  }

  /** Releases queued for `peer`, taken off the queue to ride on a call. */
  private takeReleases (peer: string): Uint8Array[] {
    const queued = this.releases.get(peer)
    if (queued == null) return []
    const tokens = queued.tokens.splice(0, MAX_RELEASES)
    if (queued.tokens.length === 0) this.releases.delete(peer)
    return tokens
  }

  private async ask (candidate: Candidate, auctionId: string, call: AuctionCall, record: BidRecord, isClosed: () => boolean): Promise<Received> {
    const { metrics, reputation } = this.components
    const request: CallForBids = {
      auctionId,
      cid: call.cid as Uint8Array<ArrayBuffer>,
      inputBytes: call.inputBytes,
      deadlineMs: Math.max(0, Math.floor(call.deadlineMs)),
      release: (candidate.self ? [] : this.takeReleases(candidate.peer)) as Array<Uint8Array<ArrayBuffer>>,
      inputs: (call.inputs ?? []) as CallForBids['inputs'],
      nameRecord: (call.nameRecord ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>
    }
    const started = this.clock.now()
    try {
      const bid = candidate.self || candidate.peerId == null
        ? this.components.bidder.bid(request)
        // waited for beyond the window, and beyond the caller (whose leaving closes the window):
        // a bid that arrives late still has its slot handed back, or it lapses at the bidder and
        // counts against this node there
        : await this.components.auction.requestBid(candidate.peerId, request, { timeoutMs: call.windowMs + LATE_BID_MS })
      record.rttMs = candidate.self ? 0 : this.clock.now() - started
      if (!candidate.self) this.learnRtt(candidate.peer, record.rttMs)
      const problem = invalid(bid, auctionId)
      if (problem != null) {
        record.outcome = 'error'
        record.reason = problem
        reputation.penalise(candidate.peer, 'garbage')
        metrics?.bids.inc({ outcome: 'invalid' })
        return { candidate, record }
      }
      if (bid.status === Bid.Status.DECLINED) {
        record.outcome = 'declined'
        record.reason = bid.reason.toLowerCase()
        metrics?.bids.inc({ outcome: 'declined' })
        return { candidate, record }
      }
      record.estimatedMs = bid.estimatedMs
      record.price = bid.price
      record.code = bid.code
      if (isClosed()) {
        // in time for the window, not for the auction: the slot goes back
        record.outcome = 'late'
        this.release({ candidate, reservation: bid.reservation })
        metrics?.bids.inc({ outcome: 'late' })
        return { candidate, record }
      }
      record.outcome = 'bid'
      metrics?.bids.inc({ outcome: 'bid' })
      return { candidate, record, bid }
    } catch (err: any) {
      record.rttMs = this.clock.now() - started
      record.reason = String(err?.name ?? 'Error')
      record.outcome = 'error'
      if (call.signal?.aborted === true) return { candidate, record }
      const offence = OFFENCE_BY_ERROR.get(record.reason)
      if (offence === 'slow') record.outcome = 'timeout'
      // only the peer's own failings cost it reputation: a local bug or abort bans nobody
      if (offence != null) reputation.penalise(candidate.peer, offence)
      this.components.log('no bid from %s: %s%s', candidate.peer, err?.message ?? err, offence == null ? ' (not held against it)' : '')
      metrics?.bids.inc({ outcome: record.outcome })
      return { candidate, record }
    }
  }
}

/** A call that only hands reservations back. */
export function releaseCall (tokens: Uint8Array[]): CallForBids {
  return { auctionId: '', cid: new Uint8Array(0), inputBytes: 0, deadlineMs: 0, release: tokens as Array<Uint8Array<ArrayBuffer>>, inputs: [], nameRecord: new Uint8Array(0) }
}

/** Why a bid cannot be used, or undefined when it can. */
function invalid (bid: Bid, auctionId: string): string | undefined {
  if (bid.auctionId !== auctionId) return 'answered another auction'
  if (bid.status === Bid.Status.DECLINED) return undefined
  if (bid.status !== Bid.Status.BID) return `status ${bid.status}`
  if (!Number.isFinite(bid.price) || bid.price < 0) return `price ${bid.price}`
  if (bid.reservation.byteLength === 0 || bid.reservation.byteLength > 64) return 'no usable reservation'
  return undefined
}
