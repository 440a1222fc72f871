import { randomBytes } from 'node:crypto'
import { Bid, type Auction, type CallForBids } from '../../../protocols/src/auction/index.js'
import type { Bidder } from './bidder.js'
import type { BidRecord, Candidate, Plan, Target } from './candidates.js'
import type { PlacementMetrics } from './metrics.js'
import type { Reputation } from './reputation.js'
import type { Logger } from '@libp2p/interface'

export interface AuctioneerComponents {
  auction: Pick<Auction, 'requestBid'>
  bidder: Bidder
  reputation: Reputation
  metrics?: PlacementMetrics
  log: Logger
}

export interface AuctionCall {
  cid: Uint8Array
  inputBytes: number
  /** Time left for the whole invocation, 0 when the caller set no deadline. */
  deadlineMs: number
  windowMs: number
  /** Ms of estimated completion one unit of price is worth. */
  priceWeight: number
  signal?: AbortSignal
}

interface Received {
  candidate: Candidate
  record: BidRecord
  bid?: Bid
}

/**
 * Runs one sealed-bid round: a call for bids to every candidate at once (this node answers
 * itself without the network), a window that closes when all have answered or at
 * `windowMs`, and the bids ranked by score. Peers that answer late or with nonsense lose
 * reputation. Losing reservations are handed back at once, except the runner-up's, which the
 * caller holds for a retry.
 */
export class Auctioneer {
  constructor (private readonly components: AuctioneerComponents) {}

  async run (candidates: Candidate[], call: AuctionCall, rank: (r: BidRecord) => number): Promise<Plan> {
    const auctionId = randomBytes(8).toString('hex')
    const request: CallForBids = { auctionId, cid: call.cid as Uint8Array<ArrayBuffer>, inputBytes: call.inputBytes, deadlineMs: Math.max(0, Math.floor(call.deadlineMs)), release: new Uint8Array(0) }
    const opened = performance.now()
    const received = await Promise.all(candidates.map(async (candidate) => this.ask(candidate, request, call)))
    const windowMs = performance.now() - opened
    this.components.metrics?.window.observe(windowMs / 1000)

    const bids = received.filter((r): r is Received & { bid: Bid } => r.bid != null)
    for (const r of bids) {
      r.record.score = rank(r.record) / Math.max(0.05, this.components.reputation.score(r.record.peer))
    }
    // lowest score first; on a tie this node (no network in the way)
    bids.sort((a, b) => (a.record.score ?? 0) - (b.record.score ?? 0) || Number(b.candidate.self) - Number(a.candidate.self))
    const targets: Target[] = bids.map((r) => ({
      candidate: r.candidate,
      reservation: r.bid.reservation,
      reservedUntil: opened + (r.record.rttMs ?? 0) + r.bid.reservationTtlMs,
      estimatedMs: r.record.estimatedMs! + (r.record.rttMs ?? 0)
    }))
    for (const loser of targets.slice(2)) {
      this.release(loser)
      loser.reservation = undefined
    }
    const secondPrice = bids[1]?.record.price
    const winnerPrice = bids[0]?.record.price
    if (secondPrice != null && winnerPrice != null) this.components.metrics?.spread.observe(secondPrice - winnerPrice)
    return { targets, bids: received.map((r) => r.record), asked: candidates.length, held: targets.slice(1, 2), windowMs, secondPrice }
  }

  /** Hands a reservation back (fire and forget: it lapses at its TTL anyway). */
  release (target: Target): void {
    const token = target.reservation
    if (token == null || token.byteLength === 0) return
    const call: CallForBids = { auctionId: '', cid: new Uint8Array(0), inputBytes: 0, deadlineMs: 0, release: token as Uint8Array<ArrayBuffer> }
    if (target.candidate.self || target.candidate.peerId == null) {
      this.components.bidder.bid(call)
      return
    }
    this.components.auction.requestBid(target.candidate.peerId, call, { timeoutMs: 1000 }).catch(() => {})
  }

  private async ask (candidate: Candidate, request: CallForBids, call: AuctionCall): Promise<Received> {
    const { metrics, reputation } = this.components
    const record: BidRecord = { peer: candidate.peer, self: candidate.self, outcome: 'error' }
    const started = performance.now()
    try {
      const bid = candidate.self || candidate.peerId == null
        ? this.components.bidder.bid(request)
        : await this.components.auction.requestBid(candidate.peerId, request, { timeoutMs: call.windowMs, signal: call.signal })
      record.rttMs = candidate.self ? 0 : performance.now() - started
      const problem = invalid(bid, request.auctionId)
      if (problem != null) {
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
      record.outcome = 'bid'
      record.estimatedMs = bid.estimatedMs
      record.price = bid.price
      record.code = bid.code
      metrics?.bids.inc({ outcome: 'bid' })
      return { candidate, record, bid }
    } catch (err: any) {
      record.rttMs = performance.now() - started
      record.reason = String(err?.name ?? 'Error')
      if (call.signal?.aborted === true) return { candidate, record }
      if (err?.name === 'RpcTimeoutError') {
        record.outcome = 'timeout'
        reputation.penalise(candidate.peer, 'slow')
      } else if (err?.name !== 'RpcBusyError') {
        reputation.penalise(candidate.peer, err?.name === 'RpcRemoteError' ? 'garbage' : 'unreachable')
      }
      this.components.log('no bid from %s: %s', candidate.peer, err?.message ?? err)
      metrics?.bids.inc({ outcome: record.outcome })
      return { candidate, record }
    }
  }
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
