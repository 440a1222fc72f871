/**
 * @packageDocumentation
 *
 * The HTTP gateway (DESIGN.md section 6): health, deploy, list, invoke, peers, metrics and the
 * dashboard (`dashboard.ts`, docs/dashboard.md). Maps named errors to statuses in one table (`status.ts`) and answers every error
 * as `{ "error": { "name", "message" } }`. Each request gets a signal that aborts when the client
 * goes away, passed all the way down to the executor. Strangers are bounded (issue 11): mutating
 * routes refuse cross-site requests (`cross-site.ts`), an unwanted body is read and discarded
 * before an error is answered (`body.ts`), and headers, requests, body pauses and connections have
 * limits (`constants.ts`). Beyond loopback, routes need gateway tokens by scope (`auth.ts`, issue 15).
 *
 * @example
 * ```ts
 * const gw = gateway({ host: '127.0.0.1', port: 8787 })({ logger, store, invoker, registry, peerId, version, addrs, isWarm })
 * await gw.start()
 * ```
 */
import { Gateway as GatewayClass } from './gateway.js'
import type { Ledger } from '../ledger/index.js'
import type { Invoker } from '../invoker/index.js'
import type { LinkState } from '../links/index.js'
import type { Placement } from '../placement/index.js'
import type { StateModel, StateView } from '../state/index.js'
import type { ChainStore } from '../chains/store.js'
import type { FunctionStore } from '../store/index.js'
import type { TokenScope } from '../config/index.js'
import type { TokenVerifier } from './auth.js'
import type { InvocationStats } from '../stats/index.js'
import type { Tracing } from '../telemetry/index.js'
import type { AbortOptions, ComponentLogger, PeerId } from '@libp2p/interface'
import type { Registry } from 'prom-client'

export { STATUS_BY_ERROR, statusOf } from './status.js'
export { exposureWarning, isLoopbackHost } from './exposure.js'
export { refuseOpenExposure, scopeOf, type TokenVerifier } from './auth.js'

export interface GatewayInit {
  /** @default '127.0.0.1' */
  host?: string
  /** 0 picks a free port. @default 8787 */
  port?: number
  /** Largest invocation input read from a request. @default 1048576 */
  maxInputBytes?: number
  /** How long `stop()` waits for requests in flight. @default 10000 */
  drainTimeoutMs?: number
  /**
   * Names, besides IP literals, `localhost` and the listen host, that mutating routes accept in
   * `Host`: `name` (any port) or `name:port` (see cross-site.ts). @default []
   */
  allowedHosts?: string[]
  /** Time to receive a request's headers. @default 10000 */
  headersTimeoutMs?: number
  /** Time to receive a whole request, headers and body (not the time to answer it). @default 60000 */
  requestTimeoutMs?: number
  /** Longest pause between body bytes. @default 10000 */
  bodyIdleTimeoutMs?: number
  /** Open connections at once; more are closed on arrival. @default 512 */
  maxConnections?: number
  /** Bytes of an unwanted body read and thrown away before an error is answered. @default 16777216 */
  discardMaxBytes?: number
  /** ... and for at most this long. @default 5000 */
  discardTimeoutMs?: number
  /** Beyond loopback, start with no token in the store (its routes then open to anyone). @default false */
  insecure?: boolean
  /** Beyond loopback, route scopes that need a bearer token (auth.ts). @default ['deploy', 'admin'] */
  requireTokenFor?: TokenScope[]
}

/** One entry of the capacity view, as `GET /v1/peers` returns it. */
export interface PeerSummary {
  peerId: string
  addrs: string[]
  httpAddrs: string[]
  tags: Record<string, string>
  slots: { total: number, free: number }
  queueLength: number
  speed: number
  memoryFreeBytes: number
  /** Battery charge in percent of a peer on battery; absent on mains (or level unknown). */
  batteryPercent?: number
  /** CIDs of functions compiled and ready on that peer. */
  warm: string[]
  seq: number
  /** Time since its latest advert arrived. */
  ageMs: number
  /** How long its latest advert took from being made to arriving here (both nodes' clocks). */
  delayMs: number
}

/** This node as `GET /v1/node` shows it, besides its peer id, version and addresses. */
export interface NodeSummary {
  tags: Record<string, string>
  slots: { total: number, free: number }
  queueLength: number
  speed: number
  /** Battery charge in percent, when on battery and known. */
  batteryPercent?: number
  uptimeMs: number
  /** Peers this node holds a libp2p connection to now. */
  connections: string[]
}

export interface GatewayComponents {
  logger: ComponentLogger
  store: Pick<FunctionStore, 'deploy' | 'list' | 'maxModuleBytes' | 'remove' | 'versions' | 'rollback'>
  /** Chains (DESIGN.md section 11): deployed and listed here, invoked like functions. */
  chains?: Pick<ChainStore, 'deploy' | 'list'>
  invoker: Invoker
  /**
   * A deploy's name record handed to the connected peers (daemon/src/resolver): a deploy, chain
   * deploy or rollback answers once it is, saying to how many (`announced.peers`). Without it, at once.
   */
  announcements?: { announced(name: string, cid: string, options?: AbortOptions): Promise<{ peers: number }> }
  registry: Registry
  peerId: PeerId
  version: string
  /** The node's libp2p addresses. */
  addrs(): string[]
  /** The capacity view: every peer heard from within the TTL. */
  peers(): PeerSummary[]
  /** Peers banned for flooding, in force (`GET /v1/bans`); without it, none. */
  bans?(): Array<{ peer: string, since: number, until: number, protocol: string }>
  /** Whether a CID is compiled and cached. */
  isWarm(cid: string): boolean
  /** Recent placement decisions and peer reputations. */
  placements: Pick<Placement, 'recent' | 'get' | 'reputations'>
  /** Receipts and tallies per peer (`GET /v1/receipts`, `GET /v1/ledger`); without it those routes are 404. */
  ledger?: Pick<Ledger, 'receipts' | 'peers'>
  /** Stateful functions: the model a call without `x-faasmesh-state-model` gets, and the state routes. */
  state?: {
    readonly defaultModel: StateModel
    /** False for a model this node cannot run (external with no database): refused at once with 400. */
    offers(model: StateModel): boolean
    view(model: StateModel, stateKey: string, options?: AbortOptions): Promise<StateView | undefined>
    remove(model: StateModel, stateKey: string, options?: AbortOptions): Promise<boolean>
  }
  /** Gateway tokens (auth.ts): checked on each request beyond loopback. None: no token is valid. */
  tokens?: TokenVerifier
  /** Publisher trust (daemon/src/trust): its mode shows in `GET /v1/health`. @default open */
  trust?: { readonly mode: 'open' | 'allowlist' }
  /** This node's own capacity and connections (`GET /v1/node`, the dashboard's header). */
  node?(): NodeSummary
  /** Invocations per second and per function (`GET /v1/stats/series|functions`); without it those routes are 404. */
  stats?: Pick<InvocationStats, 'series' | 'functions'>
  /** A span per request, continuing an incoming `traceparent` header (daemon/src/telemetry); without it, none. */
  tracing?: Tracing
  /** Testbeds only (`testbed.control`): emulated links and partitions. */
  links?: {
    state(): LinkState
    set(state: LinkState): Promise<void>
  }
}

export interface Gateway {
  /** `http://host:port` once started. */
  readonly url: string
  start(): Promise<void>
  stop(): Promise<void>
}

export function gateway (init: GatewayInit = {}): (components: GatewayComponents) => Gateway {
  return (components) => new GatewayClass(components, init)
}
