/**
 * @packageDocumentation
 *
 * The daemon's one typed configuration, its layers (defaults < config file < `FAASMESH_*`
 * environment < flags) and its validation. Errors name the dotted path of the bad setting and
 * where the value came from. See docs/config.md for every setting.
 *
 * @example
 * ```ts
 * const config = loadConfig({ flags: { 'executor.slots': 2 } })
 * ```
 */
export { loadConfig, parseHostPort, type ConfigSources } from './load.js'
export { SETTINGS, envName, type PriceFactor, type Setting } from './schema.js'
import type { PriceFactor } from './schema.js'
import type { PolicyName } from '../placement/policy-names.js'
import type { StateModel } from '../state/backend.js'

/** What a gateway token allows: admin includes deploy, deploy includes invoke. */
export type TokenScope = 'deploy' | 'invoke' | 'admin'

export { resolveApiUrl, resolveApiToken, DEFAULT_API_URL } from './client.js'
export { followsParent } from './launcher.js'

export interface DaemonConfig {
  /** Where the identity key and the function store live. */
  dataDir: string
  api: {
    /** HTTP gateway address, `host:port`. */
    listen: string
    /** Names mutating routes accept in `Host`, besides IP literals, localhost and the listen host. */
    allowedHosts: string[]
    headersTimeoutMs: number
    /** Receiving the whole request; answering is not counted. */
    requestTimeoutMs: number
    bodyIdleTimeoutMs: number
    maxConnections: number
    /** Start beyond loopback with no token, its routes open. */
    insecure: boolean
    /** Scopes that need a token when the gateway listens beyond loopback. */
    requireTokenFor: TokenScope[]
  }
  network: {
    /** Pre-shared key file of a private mesh; empty: open mesh. */
    pskFile: string
  }
  trust: {
    mode: 'open' | 'allowlist'
    /** Trusted publishers (peer ids), besides those in the data dir's trust list. */
    publishers: string[]
  }
  fairness: {
    requestsPerSecond: number
    burst: number
    bytesPerSecond: number
    /** Per remote peer; 0: half of slots plus queue. */
    maxConcurrentInvocations: number
    banMs: number
  }
  ledger: {
    maxReceipts: number
  }
  power: {
    /** -1: read from the OS. */
    batteryPercent: number
    declineBelowPercent: number
  }
  libp2p: {
    /** Listen multiaddrs. */
    listen: string[]
    /** Bootstrap peers' multiaddrs. */
    bootstrap: string[]
    /** mDNS discovery on the local network. */
    mdns: boolean
  }
  /** Labels advertised to the mesh. */
  tags: Record<string, string>
  adverts: {
    intervalMs: number
  }
  executor: {
    slots: number
    spares: number
    maxQueue: number
    memoryPages: number
    timeoutMs: number
    fuel: number
    maxInputBytes: number
    maxOutputBytes: number
    /** Entries a module's table may hold (the sanitizer refuses or caps beyond it). */
    maxTableEntries: number
    /** Testbeds only: emulates a machine this many times slower. */
    slowdown: number
    /** V8 heap of each sandbox process, MiB. */
    sandboxHeapMb: number
  }
  sanitizer: {
    timeoutMs: number
    memoryMb: number
    maxQueue: number
  }
  placement: {
    policy: PolicyName
    candidates: number
    bidWindowMs: number
    reservationTtlMs: number
    queuePerSlot: number
    basePrice: number
    priceWeight: number
    priceFactors: PriceFactor[]
    /** Favour peers that ran work for this node. */
    preferContributors: boolean
    /** Skip the auction when this node's own bid cannot lose. */
    localFastPath: boolean
  }
  invocations: {
    dedupWindowMs: number
    maxRemembered: number
    maxRememberedBytes: number
  }
  shutdown: {
    /** Time in-flight work has to finish on stop. */
    drainMs: number
  }
  store: {
    maxModuleBytes: number
    maxCacheBytes: number
  }
  names: {
    /** Publishers whose records win for plain names. */
    trusted: string[]
    /** How long a name found nowhere is remembered as such (a publisher's announcement of it ends that sooner). */
    negativeCacheMs: number
  }
  state: {
    /** Model of a call with a state key and no model header. */
    defaultModel: StateModel
    maxBytes: number
    replicas: number
    /** Redis URL of the external model; empty: none. */
    externalUrl: string
    /** Flush each commit to the disk before answering. */
    fsync: boolean
    maxConflictRetries: number
  }
  testbed: {
    /** Accept link emulation and partitions from the testbed. */
    control: boolean
  }
  telemetry: {
    /** OTLP/HTTP traces endpoint; empty: tracing off. */
    otlpUrl: string
    /** `service.name` of the node's spans. */
    serviceName: string
  }
}
