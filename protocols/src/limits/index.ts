/**
 * @packageDocumentation
 *
 * Per-peer fairness in the protocol handlers (DESIGN.md section 12): token buckets per remote
 * peer and protocol, for requests (rate and burst) and bytes, in a bounded table. Mechanism only:
 * a protocol asks `admit` before it decodes or handles a request and answers BUSY (rpc) or a
 * refusal (code) when it says no; the numbers and what happens to a peer that keeps hitting
 * them (metrics, reputation, a ban) are the daemon's, through `onLimited` (daemon/src/fairness).
 *
 * @example
 * ```ts
 * const limiter = peerLimiter('auction', { requestsPerSecond: 500, burst: 1000, onLimited: (peer, protocol) => count(peer, protocol) })
 * if (!limiter.admit(peer, frame.byteLength)) return busy()
 * ```
 */
import { PeerLimiter } from './peer-limiter.js'
import type { PeerId } from '@libp2p/interface'

export { PeerTable } from './peer-table.js'
export { TokenBucket } from './token-bucket.js'
export { DEFAULT_BURST, DEFAULT_BYTES_PER_SECOND, DEFAULT_MAX_PEERS, DEFAULT_REQUESTS_PER_SECOND } from './constants.js'

export interface PeerLimitsInit {
  /** Requests per second each remote peer may make of the protocol. @default 100 */
  requestsPerSecond?: number
  /** Requests a peer may make at once beyond its rate (the bucket's size). @default 200 */
  burst?: number
  /** Bytes per second per peer: requests received plus answers sent. @default 67108864 */
  bytesPerSecond?: number
  /** Peers remembered per protocol; the least recently heard goes first. @default 4096 */
  maxPeers?: number
  /** Told each request refused, with the protocol's short name (`auction`, `code`...). Must not throw. */
  onLimited?(peer: PeerId, protocol: string): void
  /** The clock, in ms. @default performance.now */
  now?(): number
}

export interface PeerLimits {
  readonly protocol: string
  /**
   * Spends one request and `bytes` from `peer`'s buckets, or refuses (false, and `onLimited`
   * is told) when it has no request token left or is in byte debt.
   */
  admit(peer: PeerId, bytes: number): boolean
  /** Spends `bytes` already sent or received (an answer's), possibly into debt. */
  charge(peer: PeerId, bytes: number): void
}

/** Limits for the protocol named `protocol` (its short name, for `onLimited` and metrics). */
export function peerLimiter (protocol: string, init: PeerLimitsInit = {}): PeerLimits {
  return new PeerLimiter(protocol, init)
}
