import { NoCapacityError } from '../errors.js'
import type { AbortOptions } from '@libp2p/interface'

// an invoke without a reservation costs its sender nothing, and a CID nobody has keeps the
// resolver busy up to its timeout: two distinct CIDs at once per peer cover an honest
// auctioneer's cold start (invocations of one CID share its fetch), sixteen bound them all
/** Distinct CIDs one peer may have fetched here at once for invocations without a reservation. */
export const MAX_FETCHES_PER_PEER = 2
/** Distinct CIDs fetched at once for all peers' invocations without a reservation. */
export const MAX_FETCHES = 16
// a fetch that finds nothing is the resolver's whole search (DHT queries to the mesh) for free:
// a fresh CID per invoke would make it a loop; an honest auctioneer names code that exists
/** After a failed fetch, the peer's next waits this long; doubled per failure in a row... */
export const FAILURE_BACKOFF_MS = 1000
/** ...up to this. */
export const MAX_FAILURE_BACKOFF_MS = 60_000
/** Peers whose failures are remembered at most (peer ids are free to make). */
const MAX_REMEMBERED = 1024

export interface UnreservedFetchesComponents {
  /** Gets the code into the store (the resolver: verified against the CID, one fetch per CID). */
  fetch(cid: string, options: AbortOptions): Promise<unknown>
  now?(): number
}

/**
 * Fetches the code of an invocation that came without a reservation before it is admitted, so
 * that it holds no slot meanwhile: only a bid's winner may hold a slot while its code comes in
 * (the bid said ABSENT and priced the fetch in). Invocations of the same CID share one fetch;
 * a peer whose fetch failed waits 1 s before its next (doubled per failure in a row, at most
 * 60 s). Beyond these bounds the invocation is refused (NoCapacityError, REFUSED on the wire:
 * it never started, so the auctioneer tries elsewhere).
 */
export class UnreservedFetches {
  /** CID -> invocations waiting on its fetch, per peer. */
  private readonly inFlight = new Map<string, Map<string, number>>()
  /** Peer -> distinct CIDs it waits on. */
  private readonly byPeer = new Map<string, number>()
  /** Peer -> failed fetches in a row, and when it may fetch again. */
  private readonly failures = new Map<string, { count: number, until: number }>()
  private readonly now: () => number

  constructor (private readonly components: UnreservedFetchesComponents) {
    this.now = components.now ?? Date.now
  }

  /** Resolves with what `components.fetch` answered (the resolver's `Resolved`, with the fetch's phases). */
  async fetch (peer: string, cid: string, options: AbortOptions = {}): Promise<unknown> {
    const failed = this.failures.get(peer)
    if (failed != null && this.now() < failed.until) {
      throw new NoCapacityError(`this peer's last ${failed.count} code fetches here failed: no fetch for it until ${Math.ceil(failed.until - this.now())} ms from now`)
    }
    const waiting = this.inFlight.get(cid)
    if (waiting == null && this.inFlight.size >= MAX_FETCHES) {
      throw new NoCapacityError(`${MAX_FETCHES} code fetches in flight for invocations without a reservation`)
    }
    if (waiting?.has(peer) !== true && (this.byPeer.get(peer) ?? 0) >= MAX_FETCHES_PER_PEER) {
      throw new NoCapacityError(`this peer already has ${MAX_FETCHES_PER_PEER} code fetches in flight here without a reservation`)
    }
    this.enter(peer, cid)
    try {
      const fetched = await this.components.fetch(cid, options)
      this.failures.delete(peer)
      return fetched
    } catch (err) {
      this.failed(peer)
      throw err
    } finally {
      this.leave(peer, cid)
    }
  }

  private failed (peer: string): void {
    const count = (this.failures.get(peer)?.count ?? 0) + 1
    this.failures.delete(peer)
    this.failures.set(peer, { count, until: this.now() + Math.min(MAX_FAILURE_BACKOFF_MS, FAILURE_BACKOFF_MS * 2 ** (count - 1)) })
    // the peer that failed longest ago is forgotten first
    if (this.failures.size > MAX_REMEMBERED) this.failures.delete(this.failures.keys().next().value as string)
  }

  private enter (peer: string, cid: string): void {
    const waiting = this.inFlight.get(cid) ?? new Map<string, number>()
    this.inFlight.set(cid, waiting)
    const mine = waiting.get(peer) ?? 0
    if (mine === 0) this.byPeer.set(peer, (this.byPeer.get(peer) ?? 0) + 1)
    waiting.set(peer, mine + 1)
  }

  private leave (peer: string, cid: string): void {
    const waiting = this.inFlight.get(cid)
    if (waiting == null) return
    const mine = (waiting.get(peer) ?? 1) - 1
    if (mine > 0) {
      waiting.set(peer, mine)
      return
    }
    waiting.delete(peer)
    if (waiting.size === 0) this.inFlight.delete(cid)
    const distinct = (this.byPeer.get(peer) ?? 1) - 1
    if (distinct > 0) this.byPeer.set(peer, distinct)
    else this.byPeer.delete(peer)
  }
}
