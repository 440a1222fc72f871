/**
 * @packageDocumentation
 *
 * Per-peer fairness, the daemon's policy (DESIGN.md section 12, issue 15 item 4). The protocols
 * own the mechanism (`protocols/src/limits`: buckets per peer, BUSY or a refusal beyond them);
 * this module gives them the numbers from `fairness.*` and decides what a limited request costs
 * the peer that made it:
 * - `faasmesh_peer_limited_total{peer,protocol}` counts it (peer labels bounded);
 * - the first one in a window costs the peer reputation in placement (once per window: a flood
 *   of BUSY answers is one offence, not thousands);
 * - a peer limited `banAfter` (2 x burst) times within `windowMs` is far over its limits: its connections
 *   are closed and the connection gater refuses it for `banMs` (logged once per ban, listed by
 *   `GET /v1/bans`).
 * It also holds the cap on invocations per remote peer (`invocations`) and the fair queue used
 * where invocations wait for a slot (`fair-queue.ts`).
 */
import { Fairness as FairnessClass } from './fairness.js'
import type { PeerLimitsInit } from '../../../protocols/src/limits/index.js'
import type { BanEntry } from './ban-list.js'
import type { PeerInvocations } from './peer-invocations.js'
import type { ComponentLogger } from '@libp2p/interface'
import type { Registry } from 'prom-client'

export { FairQueue } from './fair-queue.js'
export { BanList, type BanEntry } from './ban-list.js'
export { PeerInvocations } from './peer-invocations.js'
export { refusingGater, type PeerRefusal } from './gater.js'
export { HandshakeThrottle, hostOf } from './handshake-throttle.js'

/** Where the node's own callers queue, as one source among the remote peers. */
export const LOCAL_SOURCE = 'local'

export interface FairnessInit {
  /** Requests per second per remote peer and protocol. @default 100 */
  requestsPerSecond?: number
  /** Requests a peer may make at once beyond its rate. @default 200 */
  burst?: number
  /** Bytes per second per remote peer and protocol. @default 67108864 */
  bytesPerSecond?: number
  /** Invocations one remote peer may have running or queued here. @default 16 */
  maxConcurrentInvocations?: number
  /** How long a peer far over its limits is refused; 0: never banned. @default 60000 */
  banMs?: number
  /**
   * Limited requests within `windowMs` that make a peer "far over" its limits. An honest peer
   * past its burst for a moment is refused a few; twice its burst in 10 s is a peer that keeps
   * asking well beyond its rate after being told BUSY. @default 2 x burst (400)
   */
  banAfter?: number
  /**
   * New inbound connections a second accepted from an address a banned peer was connected from,
   * for as long as its ban lasts (refused before any handshake). @default 2
   */
  bannedHostHandshakesPerSecond?: number
  /** The window limited requests are counted in. @default 10000 */
  windowMs?: number
  /** Peers with a `peer` label of their own in the metric; the rest count as `other`. @default 32 */
  maxPeerLabels?: number
  now?(): number
}

export interface FairnessComponents {
  logger: ComponentLogger
  registry?: Registry
  /** Closes every connection to `peer` (a fresh ban). */
  hangUp(peer: string): Promise<void>
  /** Lowers `peer`'s reputation in placement (once per window of limited requests). */
  penalise(peer: string): void
  /** The addresses (IPs) `peer` is connected from, remembered with its ban. */
  hostsOf?(peer: string): string[]
}

export interface Fairness {
  /** What each protocol hands its `limits` init: the numbers, and the hook to `limited`. */
  readonly limits: PeerLimitsInit
  /** The cap on invocations per remote peer, for the invoke handler. */
  readonly invocations: PeerInvocations
  /** A request of `peer` on `protocol` was refused: counts it, and penalises or bans. */
  limited(peer: string, protocol: string): void
  isBanned(peer: string): boolean
  /** False when a new inbound connection from `host` is to be refused before its handshake (a banned peer's address). */
  admitsHandshake(host: string): boolean
  /** Bans in force. */
  bans(): BanEntry[]
}

export function fairness (init: FairnessInit = {}): (components: FairnessComponents) => Fairness {
  return (components) => new FairnessClass(components, init)
}
