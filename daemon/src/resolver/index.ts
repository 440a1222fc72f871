/**
 * @packageDocumentation
 *
 * Function code found through the mesh. Turns what a caller names (`name`, `publisher/name` or a
 * CID) into a module this node holds: local bindings first, then signed name records (announced
 * here by their publisher, asked of the publisher directly over `/faasmesh/names/1.0.0`, else
 * found in the DHT), then the publisher or providers of the CID, fetched over
 * `/faasmesh/code/1.0.0`, verified against the CID, sanitized like a local deploy and cached. It
 * also announces what this node has: every local name gets a signed record, handed to the
 * connected peers before a deploy answers and put in the DHT, and every module is provided.
 * Answers are cached: positive ones for `nameCacheTtlMs`, negative ones for
 * `negativeCacheTtlMs`, both replaced as soon as a publisher announces the name.
 *
 * Name policy (docs/protocols.md): records live under `/faasmesh/fn/<publisher>/<name>`, so a
 * name can only ever be bound by the peer that published it. A plain `name` resolves to this
 * node's own binding, then to trusted publishers (this node's bootstrap peers and
 * `names.trusted`), then to the peers in the capacity view, and is refused as ambiguous when
 * several untrusted publishers disagree.
 *
 * A fetch of a CID and a lookup of a name run once however many callers want them, under the
 * node's lifetime and the resolve timeout, never under a caller's signal: each caller waits with
 * its own signal, so one giving up never fails the others, and finished work is kept for the next.
 */
import { Resolver as ResolverClass } from './resolver.js'
import type { FunctionStore } from '../store/index.js'
import type { AbortOptions, ComponentLogger, PeerId, PeerInfo, PrivateKey } from '@libp2p/interface'
import type { Registry } from 'prom-client'
import type { NameExchangeHandler, VerifiedNameRecord } from '../../../protocols/src/names/index.js'

export { MAX_ANNOUNCE_PEERS, MAX_CACHED_NAMES } from './constants.js'

export interface ResolverInit {
  /** Longest time a name lookup or a provider search may take. @default 5000 */
  resolveTimeoutMs?: number
  /** How long a name resolved through the DHT is remembered (at most MAX_CACHED_NAMES of them). @default 30000 */
  nameCacheTtlMs?: number
  /** Publishers whose records win for plain names, in order (peer ids). @default [] */
  trusted?: string[]
  /** At most this many publishers are asked about a plain name. @default 32 */
  maxPublishers?: number
  /** How long "nobody has this name" is remembered (an announcement of the name ends it sooner; 0: never). @default 1000 */
  negativeCacheTtlMs?: number
  /** How long a publisher asked directly may take before the DHT is asked instead. @default 1000 */
  queryTimeoutMs?: number
  /** How long a deploy's record may take to reach the connected peers (what a deploy waits for, at most). @default 2000 */
  announceTimeoutMs?: number
}

/** What the resolver needs of a store: the function store, or functions and chains together (daemon/src/chains/artifacts.ts). */
export type ResolverStore = Pick<FunctionStore, 'resolve' | 'touch' | 'has' | 'putCached' | 'bindings' | 'addEventListener' | 'removeEventListener'> & {
  /** Every CID held, to announce. */
  heldCids(): Promise<string[]>
}

export interface ResolverComponents {
  store: ResolverStore
  peerId: PeerId
  privateKey: PrivateKey
  logger: ComponentLogger
  registry?: Registry
  /** Peer ids to ask about a plain name after the trusted ones (the capacity view). */
  candidates(): string[]
  findProviders(cid: string, options: AbortOptions): AsyncIterable<PeerInfo>
  /** Fetches and verifies a module from one provider (code transfer). */
  fetchCode(provider: PeerInfo, cid: string, options: AbortOptions): Promise<Uint8Array>
  provide(cid: string, options: AbortOptions): Promise<void>
  putRecord(key: Uint8Array, value: Uint8Array, options: AbortOptions): Promise<void>
  getRecord(key: Uint8Array, options: AbortOptions): Promise<Uint8Array>
  /**
   * Asks `peer` for the record it holds for `publisher/name` over the names protocol, verified;
   * undefined when it has none. Throws when it cannot answer. Without it, only the DHT is asked.
   */
  queryName?(peer: string, publisher: string, name: string, options: AbortOptions): Promise<KnownNameRecord | undefined>
  /** Hands one of this node's records to the peers it is connected to; resolves with how many kept it. */
  pushName?(record: Uint8Array, options: AbortOptions): Promise<number>
  /** Registers what this node answers to peers' name queries, and what it does with records they announce. */
  serveNames?(handler: NameExchangeHandler): void
  /** A peer announced a fresh binding: its code may be asked for soon (the sanitizer can get ready). */
  codeMayArrive?(cid: string): void
  /**
   * Publisher trust (daemon/src/trust): `check` throws `UntrustedPublisherError` for a CID this
   * node may not run (`lookup`: what a caller named here) or fetch (`fetch`: before any provider
   * is asked); `remember` sees every record the resolver verified or signed. Without it, all code is trusted.
   */
  trust?: ResolverTrust
}

export interface ResolverTrust {
  check(cid: string, stage: 'lookup' | 'fetch', record: KnownNameRecord | undefined, options: AbortOptions): Promise<void>
  remember(record: KnownNameRecord): void
}

/** A name record that passed verification, with its bytes. */
export interface KnownNameRecord extends VerifiedNameRecord {
  bytes: Uint8Array
}

/** How far a fresh binding's record got before its deploy answered. */
export interface Announced {
  /** Connected peers that checked and kept the record (its DHT copy follows in the background). */
  peers: number
}

export interface Resolved {
  cid: string
  /** True when the code had to be fetched from a peer for this call. */
  fetched: boolean
  /** A fetched CID: where the fetch's time went (shared by every caller that waited on it). */
  timings?: FetchTimings
}

/** The phases of one code fetch, in ms. */
export interface FetchTimings {
  /** From the start of the search to the start of the transfer that succeeded (DHT search, failed providers). */
  providers: number
  /** The transfer from the provider that supplied the code. */
  transfer: number
  /** Sanitizing (validation, instrumentation) and storing the fetched bytes. */
  sanitize: number
}

export interface Resolver {
  start(): Promise<void>
  stop(): Promise<void>
  /**
   * A module this node holds for `target` (`name`, `publisher/name` or CID), fetching it if
   * needed. Throws `FunctionNotFoundError` (within the resolve timeout), `AmbiguousNameError`,
   * `NodeStoppingError` (stop() ended the search) or, when `signal` aborts first, its reason.
   */
  resolve(target: string, options?: AbortOptions): Promise<Resolved>
  /**
   * The CID `target` names, without fetching its code (placement decides who needs it). Throws
   * like `resolve`, and `InvalidParametersError` for text that is no name, publisher/name or CID.
   */
  lookup(target: string, options?: AbortOptions): Promise<string>
  /**
   * Waits until the record of a binding just made here (`name` -> `cid`) has been handed to the
   * connected peers (within `announceTimeoutMs`), and says to how many; `{ peers: 0 }` for a
   * binding this resolver never announced.
   */
  announced(name: string, cid: string, options?: AbortOptions): Promise<Announced>
}

export function resolver (init: ResolverInit = {}): (components: ResolverComponents) => Resolver {
  return (components) => new ResolverClass(components, init)
}
