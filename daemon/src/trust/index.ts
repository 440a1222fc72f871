/**
 * @packageDocumentation
 *
 * Publisher trust (DESIGN.md section 12): whose code this node fetches, bids for and runs. In
 * `open` mode, anyone's. In `allowlist` mode, a CID only when this node deployed it itself, or
 * when a valid name record of this node or a trusted publisher (`trust.publishers`, and the trust
 * list in `<dataDir>/trust.json` that `faasmesh trust add` writes) names it: the record sent with
 * the call (CallForBids.name_record, InvokeRequest.name_record) or one this node has seen. A
 * chain is code too: its CID and every step's function pass the same rule.
 *
 * @example
 * ```ts
 * const t = trust({ mode: 'allowlist', publishers: [b], dataDir })({ peerId, isOwn, logger, registry })
 * await t.check(cid, 'gateway', record)          // throws UntrustedPublisherError, counted
 * if (!await t.allows(cid, 'bid', call.nameRecord)) return decline(UNTRUSTED)
 * ```
 */
import { TrustPolicy } from './policy.js'
import type { VerifiedNameRecord } from '../../../protocols/src/names/index.js'
import type { AbortOptions, ComponentLogger, PeerId } from '@libp2p/interface'
import type { Registry } from 'prom-client'

export { TRUST_FILE } from './constants.js'
export { TrustList } from './trust-list.js'
export { trustedPublishers } from './publishers.js'
export { verifyRecordFor } from './wire-record.js'
export { TRUST_STAGES } from './metrics.js'

export type TrustMode = 'open' | 'allowlist'

/** Where a refusal happened, for `faasmesh_trust_refused_total{stage}`. */
export type TrustStage = 'gateway' | 'bid' | 'invoke' | 'fetch'

/** A publisher in the trust list file. */
export interface ListedPublisher {
  peer: string
  label?: string
  addedAt?: string
}

/** A trusted publisher and where it was named: config (`trust.publishers`) or cli (the trust list). */
export interface TrustedPublisher {
  peer: string
  label?: string
  source: 'config' | 'cli'
}

/** A name record that passed verification, with its bytes to send along. */
export interface KnownRecord extends VerifiedNameRecord {
  bytes: Uint8Array
}

/** Why a CID is vouched for or not. */
export type VerdictReason = 'open' | 'own' | 'trusted-publisher' | 'no-record' | 'invalid-record' | 'untrusted-publisher'

export interface Verdict {
  trusted: boolean
  reason: VerdictReason
  /** The publisher whose record vouched for it (or the untrusted one that named it). */
  publisher?: string
  /** For a person: what was wrong with the record sent, when one was. */
  detail?: string
}

export interface TrustInit {
  /** @default 'open' */
  mode?: TrustMode
  /** Trusted publishers (peer ids) from the config. @default [] */
  publishers?: string[]
  /** The data dir holding the trust list; without one, only `publishers` are trusted. */
  dataDir?: string
}

export interface TrustComponents {
  peerId: PeerId
  /** True for a CID this node deployed itself (a function or chain bound to a name here). */
  isOwn(cid: string): boolean
  logger: ComponentLogger
  registry?: Registry
}

export interface Trust {
  readonly mode: TrustMode
  /** Whether this node may fetch and run `cid`, given the record sent with it (empty: none). Counts nothing. */
  vouch(cid: string, nameRecord?: Uint8Array, options?: AbortOptions): Promise<Verdict>
  /** `vouch`, with a refusal counted under `stage` and logged. */
  allows(cid: string, stage: TrustStage, nameRecord?: Uint8Array, options?: AbortOptions): Promise<boolean>
  /** `allows`, throwing `UntrustedPublisherError` on a refusal. */
  check(cid: string, stage: TrustStage, nameRecord?: Uint8Array, options?: AbortOptions): Promise<void>
  /** A record this node verified or signed itself (the resolver's), remembered to vouch and to send along. */
  remember(record: KnownRecord): void
  /** The record to send with `cid` to a peer: this node's own, a trusted publisher's, or any known; empty when none. */
  recordFor(cid: string): Uint8Array
  /** Trusted publishers now, config's then the trust list's. Throws `TrustListError` for a bad trust list. */
  publishers(options?: AbortOptions): Promise<TrustedPublisher[]>
}

export function trust (init: TrustInit = {}): (components: TrustComponents) => Trust {
  return (components) => new TrustPolicy(components, init)
}
