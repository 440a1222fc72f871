/**
 * @packageDocumentation
 *
 * Capacity adverts: every node publishes a small signed `CapacityAdvert` on the gossipsub topic
 * `/faasmesh/adverts/1.0.0`, periodically and promptly on change, and keeps a TTL-expiring view
 * of every other node's latest advert. A topic validator rejects undecodable, oversized, stale,
 * skewed, inconsistent or forged adverts. What to advertise is the daemon's business
 * (`setSource`); this module only moves and checks the bytes. Spec: docs/protocols.md.
 *
 * @example
 * ```ts
 * const node = await createLibp2p({
 *   services: { identify: identify(), pubsub: gossipsub({ globalSignaturePolicy: 'StrictSign' }), adverts: capacityAdverts() }
 * })
 * node.services.adverts.setSource(() => ({ slotsTotal: 2, slotsFree: 2, ... }))
 * node.services.adverts.addEventListener('peer:join', (evt) => { ... })
 * ```
 */
import { CapacityAdverts as CapacityAdvertsClass } from './adverts.js'
import type { CapacityAdvert } from './pb/advert.js'
import type { PeerEntry } from './peer-view.js'
import type { RejectReason } from './validate.js'
import type { GossipSub } from '@libp2p/gossipsub'
import type { ComponentLogger, Libp2pEvents, PeerId, TypedEventTarget } from '@libp2p/interface'

export { ADVERTS_TOPIC, DEFAULT_INTERVAL_MS, MAX_ADVERT_BYTES, TTL_INTERVALS, gossipScoreParams } from './constants.js'
export { CapacityAdvert, Tag } from './pb/advert.js'
export { validateAdvert, type RejectReason, type ValidationResult } from './validate.js'
export type { PeerEntry } from './peer-view.js'

/** What the daemon advertises; the protocol adds `seq` and `timestamp`. */
export type AdvertFields = Omit<CapacityAdvert, 'seq' | 'timestamp'>

export interface CapacityAdvertsInit {
  /** How often an advert is published. @default 2000 */
  intervalMs?: number
  /** A peer with no advert for this long leaves the view. @default 3 * intervalMs */
  ttlMs?: number
}

export interface CapacityAdvertsComponents {
  /** The gossipsub service, registered under the key `pubsub`. */
  pubsub: GossipSub
  peerId: PeerId
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

export interface CapacityAdvertsEvents {
  'peer:join': CustomEvent<PeerEntry>
  'peer:update': CustomEvent<PeerEntry>
  'peer:leave': CustomEvent<{ peerId: PeerId, reason: 'expired' | 'disconnected' }>
  'advert:sent': CustomEvent<{ bytes: number, trigger: 'interval' | 'change' }>
  'advert:received': CustomEvent<{ from: PeerId, advert: CapacityAdvert, delayMs: number }>
  'advert:rejected': CustomEvent<{ from: PeerId, reason: RejectReason }>
}

export interface CapacityAdverts extends TypedEventTarget<CapacityAdvertsEvents> {
  readonly topic: string
  readonly intervalMs: number
  readonly ttlMs: number
  /** The function called for the fields of every advert this node publishes. */
  setSource(source: () => AdvertFields): void
  /** Publishes promptly (rate-limited), for significant changes such as slots freed or exhausted. */
  publishSoon(): void
  /** Every peer heard from within the TTL, with its latest advert. */
  peers(): PeerEntry[]
}

export function capacityAdverts (init: CapacityAdvertsInit = {}): (components: CapacityAdvertsComponents) => CapacityAdverts {
  return (components) => new CapacityAdvertsClass(components, init)
}
