/**
 * Every setting of the daemon in one table: its dotted path, type, bounds, default and the
 * environment variable that sets it. Loading, validation, `--help` and docs/config.md all
 * follow this table.
 */
import { DEFAULT_MAX_CACHE_BYTES, DEFAULT_MAX_MODULE_BYTES } from '../store/constants.js'
import { POLICIES } from '../placement/policy-names.js'
import { PLACEMENT_DEFAULTS } from '../placement/defaults.js'
import { DEFAULT_LIMITS, DEFAULT_MAX_QUEUE, DEFAULT_SANDBOX_HEAP_MB, DEFAULT_SLOTS, DEFAULT_SPARES, MAX_LIMITS } from '../executor/limits.js'
import { DEFAULT_SANITIZER_MAX_QUEUE, DEFAULT_SANITIZER_MEMORY_MB, DEFAULT_SANITIZER_TIMEOUT_MS } from '../sanitizer/defaults.js'
import { DEFAULT_MAX_TABLE_ENTRIES, MAX_TABLE_ENTRIES_LIMIT } from '../sanitizer/constants.js'
import { DEFAULT_DEDUP_WINDOW_MS, DEFAULT_MAX_REMEMBERED, DEFAULT_MAX_REMEMBERED_BYTES } from '../invocations/constants.js'
import { DEFAULT_DRAIN_MS } from '../shutdown.js'
import { STATE_MODELS } from '../state/backend.js'
import { DEFAULT_MAX_CONFLICT_RETRIES, DEFAULT_REPLICAS, DEFAULT_STATE_MAX_BYTES, MAX_STATE_MAX_BYTES } from '../state/constants.js'
import { DEFAULT_BODY_IDLE_TIMEOUT_MS, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS, DEFAULT_REQUEST_TIMEOUT_MS } from '../gateway/constants.js'

export type SettingType =
  | { kind: 'int', min: number, max: number }
  | { kind: 'number', min: number, max: number }
  | { kind: 'enum', values: readonly string[] }
  | { kind: 'path' }
  /** A file path, or empty for none. */
  | { kind: 'file' }
  /** A list of distinct values from `values`; in the environment, comma-separated. */
  | { kind: 'enumList', values: readonly string[] }
  | { kind: 'hostport' }
  | { kind: 'bool' }
  /** A URL with one of `schemes` (`redis:`), or empty for none. */
  | { kind: 'url', schemes: readonly string[] }
  /** A list of multiaddrs; in the environment, comma-separated. */
  | { kind: 'multiaddrs', max: number }
  /** A list of peer ids; in the environment, comma-separated. */
  | { kind: 'peerIds', max: number }
  /** A list of host names, each `name` or `name:port`; in the environment, comma-separated. */
  | { kind: 'hosts', max: number }
  /** `key=value` labels; in the environment and on the command line, comma-separated or repeated. */
  | { kind: 'tags', max: number }
  /** `key=value:factor` price rules; in the environment, comma-separated. */
  | { kind: 'priceFactors', max: number }
  /** A label of 1-`max` characters a-z, A-Z, 0-9, '.', '_', '-'. */
  | { kind: 'label', max: number }

/** A tag that scales a node's bid price: `power=battery:4` quadruples it on battery nodes. */
export interface PriceFactor {
  key: string
  value: string
  factor: number
}

export interface Setting {
  /** Dotted path in the config file, e.g. `executor.timeoutMs`. */
  path: string
  type: SettingType
  /** The default, or a function of the environment (the home directory). */
  default: number | string | boolean | string[] | Record<string, string> | PriceFactor[] | ((home: string) => string)
  description: string
}

export const SETTINGS: readonly Setting[] = [
  { path: 'dataDir', type: { kind: 'path' }, default: (home) => `${home}/.faasmesh`, description: 'Where the identity key and the function store live' },
  { path: 'api.listen', type: { kind: 'hostport' }, default: '127.0.0.1:8787', description: 'HTTP gateway address (host:port; port 0 picks a free one)' },
  { path: 'api.allowedHosts', type: { kind: 'hosts', max: 16 }, default: [], description: 'Names (name or name:port) that deploy, invoke and other mutating routes accept in Host, besides IP addresses, localhost and the listen host' },
  { path: 'api.headersTimeoutMs', type: { kind: 'int', min: 100, max: 300_000 }, default: DEFAULT_HEADERS_TIMEOUT_MS, description: 'Time a client has to send the request headers' },
  { path: 'api.requestTimeoutMs', type: { kind: 'int', min: 100, max: 3_600_000 }, default: DEFAULT_REQUEST_TIMEOUT_MS, description: 'Time a client has to send the whole request, headers and body (answering is not counted)' },
  { path: 'api.bodyIdleTimeoutMs', type: { kind: 'int', min: 100, max: 300_000 }, default: DEFAULT_BODY_IDLE_TIMEOUT_MS, description: 'Longest pause between body bytes before 408 RequestTimeoutError' },
  { path: 'api.maxConnections', type: { kind: 'int', min: 1, max: 100_000 }, default: DEFAULT_MAX_CONNECTIONS, description: 'Open gateway connections at once; more are closed on arrival' },
  { path: 'api.insecure', type: { kind: 'bool' }, default: false, description: 'Let a gateway listening beyond loopback start with no token, its deploying and admin routes open to anyone who reaches it (a warning says so)' },
  { path: 'api.requireTokenFor', type: { kind: 'enumList', values: ['deploy', 'invoke', 'admin'] }, default: ['deploy', 'admin'], description: 'Route scopes that need a bearer token when the gateway listens beyond loopback (deploy: deploy and delete functions and chains; invoke: invoke; admin: tokens, trust and testbed control)' },
  { path: 'network.pskFile', type: { kind: 'file' }, default: '', description: 'Pre-shared key of a private mesh (faasmesh psk generate); nodes without the same key cannot connect (TCP only). Empty: an open mesh' },
  { path: 'trust.mode', type: { kind: 'enum', values: ['open', 'allowlist'] }, default: 'open', description: 'open: run any publisher\'s code; allowlist: only code this node deployed or a publisher in trust.publishers (or added with faasmesh trust add) named' },
  { path: 'trust.publishers', type: { kind: 'peerIds', max: 256 }, default: [], description: 'Publishers (peer ids) whose named code an allowlist node fetches and runs' },
  { path: 'fairness.requestsPerSecond', type: { kind: 'int', min: 1, max: 1_000_000 }, default: 100, description: 'Requests per second each remote peer may make of each protocol (auction, invoke, code, state, chain data); beyond it and its burst, BUSY unread (the testbed\'s policies-hetero scenario never reaches it: docs/performance.md, Flood)' },
  { path: 'fairness.burst', type: { kind: 'int', min: 1, max: 1_000_000 }, default: 200, description: 'Requests a remote peer may make of one protocol at once above its rate (the token bucket\'s size)' },
  { path: 'fairness.bytesPerSecond', type: { kind: 'int', min: 1024, max: 2 ** 34 }, default: 64 << 20, description: 'Bytes per second each remote peer may send and be answered, per protocol (a module served counts its size)' },
  { path: 'fairness.maxConcurrentInvocations', type: { kind: 'int', min: 0, max: 100_000 }, default: 0, description: 'Invocations one remote peer may have running or queued here at once, beyond which those without a reservation are REFUSED (0: what the node admits, slots x (1 + placement.queuePerSlot), less a quarter kept for everyone else)' },
  { path: 'fairness.banMs', type: { kind: 'int', min: 0, max: 86_400_000 }, default: 60_000, description: 'How long a peer far over its limits (refused twice its fairness.burst within 10 s) is disconnected and refused connections (0: never banned)' },
  { path: 'libp2p.listen', type: { kind: 'multiaddrs', max: 16 }, default: ['/ip4/0.0.0.0/tcp/0'], description: 'libp2p listen addresses (default: every interface, a port the OS picks)' },
  { path: 'libp2p.bootstrap', type: { kind: 'multiaddrs', max: 64 }, default: [], description: 'Peers to join through, as multiaddrs ending in /p2p/<peer id>; re-dialled until they answer' },
  { path: 'libp2p.mdns', type: { kind: 'bool' }, default: true, description: 'Discover (and dial) peers on the local network with mDNS' },
  { path: 'tags', type: { kind: 'tags', max: 16 }, default: {}, description: 'Labels advertised to the mesh, e.g. region=eu, tier=edge, power=battery' },
  { path: 'adverts.intervalMs', type: { kind: 'int', min: 100, max: 60_000 }, default: 2000, description: 'How often the node gossips its capacity; peers drop it after 3 intervals without one' },
  { path: 'executor.slots', type: { kind: 'int', min: 1, max: 256 }, default: DEFAULT_SLOTS, description: 'Invocations run in parallel, one sandbox process each (default: cores - 1, at least 1)' },
  { path: 'executor.spares', type: { kind: 'int', min: 0, max: 16 }, default: DEFAULT_SPARES, description: 'Warm sandbox processes kept ready to replace one killed by a timeout or a crash' },
  { path: 'executor.sandboxHeapMb', type: { kind: 'int', min: 16, max: 4096 }, default: DEFAULT_SANDBOX_HEAP_MB, description: 'V8 heap of each sandbox process in MiB (host-side marshaling and tables; guest memories are capped separately); a guest that exhausts it ends only its sandbox' },
  { path: 'sanitizer.timeoutMs', type: { kind: 'int', min: 100, max: 600_000 }, default: DEFAULT_SANITIZER_TIMEOUT_MS, description: 'Longest a module may take to sanitize (its own work; time queued behind other modules is not counted)' },
  { path: 'sanitizer.memoryMb', type: { kind: 'int', min: 64, max: 4096 }, default: DEFAULT_SANITIZER_MEMORY_MB, description: 'Memory the instrumenter (binaryen) may use per module, in MiB; a module that needs more is refused' },
  { path: 'sanitizer.maxQueue', type: { kind: 'int', min: 0, max: 10_000 }, default: DEFAULT_SANITIZER_MAX_QUEUE, description: 'Modules that may wait to be sanitized (deploys and code fetched from peers); more get NoCapacityError' },
  { path: 'executor.maxQueue', type: { kind: 'int', min: 0, max: 100_000 }, default: DEFAULT_MAX_QUEUE, description: 'Invocations that may wait for a slot before NoCapacityError' },
  { path: 'executor.memoryPages', type: { kind: 'int', min: 1, max: MAX_LIMITS.memoryPages }, default: DEFAULT_LIMITS.memoryPages, description: 'Memory cap per invocation in 64 KiB pages (256 = 16 MiB)' },
  { path: 'executor.timeoutMs', type: { kind: 'int', min: 1, max: MAX_LIMITS.timeoutMs }, default: DEFAULT_LIMITS.timeoutMs, description: 'Wall-clock limit per invocation' },
  { path: 'executor.fuel', type: { kind: 'int', min: 1, max: MAX_LIMITS.fuel }, default: DEFAULT_LIMITS.fuel, description: 'Instruction budget per invocation' },
  { path: 'executor.maxInputBytes', type: { kind: 'int', min: 0, max: MAX_LIMITS.maxInputBytes }, default: DEFAULT_LIMITS.maxInputBytes, description: 'Largest invocation input' },
  { path: 'executor.maxOutputBytes', type: { kind: 'int', min: 0, max: MAX_LIMITS.maxOutputBytes }, default: DEFAULT_LIMITS.maxOutputBytes, description: 'Largest invocation output' },
  { path: 'executor.maxTableEntries', type: { kind: 'int', min: 1, max: MAX_TABLE_ENTRIES_LIMIT }, default: DEFAULT_MAX_TABLE_ENTRIES, description: 'Entries a function\'s table may hold: a larger initial size is refused at deploy, growth stops there (OutOfMemoryError); V8 keeps tables on its heap, 16 bytes an entry' },
  { path: 'store.maxCacheBytes', type: { kind: 'int', min: 0, max: 2 ** 40 }, default: DEFAULT_MAX_CACHE_BYTES, description: 'Disk budget for modules fetched from peers; least recently used go first (deployed ones are pinned)' },
  { path: 'names.trusted', type: { kind: 'peerIds', max: 64 }, default: [], description: 'Publishers (peer ids) whose name records win for plain names, after this node and its bootstrap peers' },
  { path: 'names.negativeCacheMs', type: { kind: 'int', min: 0, max: 60_000 }, default: 1000, description: 'How long a name found nowhere in the mesh is answered 404 at once without asking again (0: never); a publisher announcing the name ends it sooner' },
  { path: 'executor.slowdown', type: { kind: 'number', min: 1, max: 1000 }, default: 1, description: 'Testbeds only: every invocation holds its slot this many times as long, emulating a slower machine (the advertised speed is divided by it)' },
  { path: 'placement.policy', type: { kind: 'enum', values: POLICIES }, default: PLACEMENT_DEFAULTS.policy, description: `Placement policy for requests that name none: ${POLICIES.join(', ')}` },
  { path: 'placement.candidates', type: { kind: 'int', min: 1, max: 32 }, default: PLACEMENT_DEFAULTS.candidates, description: 'k: peers asked to bid in an auction, this node included when it can run the call' },
  { path: 'placement.bidWindowMs', type: { kind: 'int', min: 1, max: 5000 }, default: PLACEMENT_DEFAULTS.bidWindowMs, description: 'Longest wait for bids; the window closes earlier when every candidate has answered' },
  { path: 'placement.reservationTtlMs', type: { kind: 'int', min: 10, max: 60_000 }, default: PLACEMENT_DEFAULTS.reservationTtlMs, description: 'How long a slot reserved by a bid is held for the auctioneer to claim' },
  { path: 'placement.queuePerSlot', type: { kind: 'int', min: 0, max: 1000 }, default: PLACEMENT_DEFAULTS.queuePerSlot, description: 'Invocations per slot this node accepts to queue when bidding; beyond it, it declines' },
  { path: 'placement.basePrice', type: { kind: 'number', min: 0, max: 1e6 }, default: PLACEMENT_DEFAULTS.basePrice, description: 'Price of one invocation on an idle node; it grows with load' },
  { path: 'placement.priceWeight', type: { kind: 'number', min: 0, max: 1e6 }, default: PLACEMENT_DEFAULTS.priceWeight, description: 'Milliseconds of estimated completion one unit of price is worth when scoring bids' },
  { path: 'placement.priceFactors', type: { kind: 'priceFactors', max: 16 }, default: PLACEMENT_DEFAULTS.priceFactors, description: 'Tags that scale this node\'s price, as key=value:factor (a battery node bids dearer)' },
  { path: 'placement.preferContributors', type: { kind: 'bool' }, default: false, description: 'Tit for tat when bidding: a peer that has run work for this node (verified receipts in the ledger) is bid for at half the price and may still queue here once every slot is busy; other peers are then declined' },
  { path: 'placement.localFastPath', type: { kind: 'bool' }, default: true, description: 'Skip the auction (no peer asked) when this node has a free slot, the function compiled, and its own bid scores no worse than the best each peer in its view bid for that function in the last 30 s' },
  { path: 'ledger.maxReceipts', type: { kind: 'int', min: 100, max: 10_000_000 }, default: 100_000, description: 'Receipts kept on disk under <dataDir>/ledger (this node\'s signed ones and the verified ones of its peers); beyond it the oldest tenth is deleted (tallies per peer are kept)' },
  { path: 'power.batteryPercent', type: { kind: 'int', min: -1, max: 100 }, default: -1, description: 'Battery charge to bid with, 0-100 (-1: read it from the OS where a battery is, else mains power)' },
  { path: 'power.declineBelowPercent', type: { kind: 'int', min: 0, max: 100 }, default: 20, description: 'On battery below this charge the node bids for no work from other peers' },
  { path: 'invocations.dedupWindowMs', type: { kind: 'int', min: 1000, max: 86_400_000 }, default: DEFAULT_DEDUP_WINDOW_MS, description: 'How long a node remembers an invocation id and its outcome: a repeat within it joins the run or gets the outcome, never a second run' },
  { path: 'invocations.maxRemembered', type: { kind: 'int', min: 100, max: 1_000_000 }, default: DEFAULT_MAX_REMEMBERED, description: 'Invocation ids remembered at most (per table: as entry node, as executor); beyond it the oldest outcomes are forgotten early' },
  { path: 'invocations.maxRememberedBytes', type: { kind: 'int', min: 0, max: 2 ** 34 }, default: DEFAULT_MAX_REMEMBERED_BYTES, description: 'Output bytes the remembered outcomes may hold (per table); beyond it the oldest are forgotten early' },
  { path: 'shutdown.drainMs', type: { kind: 'int', min: 0, max: 600_000 }, default: DEFAULT_DRAIN_MS, description: 'On SIGINT/SIGTERM, how long invocations in flight may take to finish once nothing new is taken; what still runs then is stopped and retried elsewhere by its callers' },
  { path: 'state.defaultModel', type: { kind: 'enum', values: STATE_MODELS }, default: 'in-function', description: `State model of a call with a state key and no x-faasmesh-state-model: ${STATE_MODELS.join(', ')}` },
  { path: 'state.maxBytes', type: { kind: 'int', min: 1024, max: MAX_STATE_MAX_BYTES }, default: DEFAULT_STATE_MAX_BYTES, description: 'What one state key\'s state may hold, keys and values (in-client states are also capped by their 64 KiB header); a function writing past it fails with StateTooLargeError and stores nothing' },
  { path: 'state.replicas', type: { kind: 'int', min: 1, max: 16 }, default: DEFAULT_REPLICAS, description: 'Peers that keep each in-edge state (and each in-function home record), the primary included' },
  { path: 'state.externalUrl', type: { kind: 'url', schemes: ['redis:', 'rediss:'] }, default: '', description: 'The Redis server of the external model, e.g. redis://127.0.0.1:6379 (empty: external is refused with 400)' },
  { path: 'state.fsync', type: { kind: 'bool' }, default: false, description: 'Flush every state commit this node keeps (in-function states, in-edge replicas, home records) to the disk before answering: it then survives a power loss, not only a crash of the process, at the cost of a disk flush per commit' },
  { path: 'state.maxConflictRetries', type: { kind: 'int', min: 0, max: 1000 }, default: DEFAULT_MAX_CONFLICT_RETRIES, description: 'Re-runs of an invocation whose commit found its state changed, before StateConflictError (409)' },
  { path: 'testbed.control', type: { kind: 'bool' }, default: false, description: 'Testbeds only: accept link emulation and partitions through PUT /v1/testbed/links' },
  { path: 'telemetry.otlpUrl', type: { kind: 'url', schemes: ['http:', 'https:'] }, default: '', description: 'Export OpenTelemetry traces of invocations over OTLP/HTTP (JSON) to this URL, e.g. http://127.0.0.1:4318/v1/traces (docs/observability.md); empty: tracing off, at no cost' },
  { path: 'telemetry.serviceName', type: { kind: 'label', max: 64 }, default: 'faasmesh', description: 'The service.name of this node\'s spans (every span also carries the node\'s peer id as service.instance.id)' },
  { path: 'store.maxModuleBytes', type: { kind: 'int', min: 1024, max: 64 << 20 }, default: DEFAULT_MAX_MODULE_BYTES, description: 'Largest module accepted at deploy' }
]

/** `executor.timeoutMs` -> `FAASMESH_EXECUTOR_TIMEOUT_MS`. */
export function envName (path: string): string {
  return 'FAASMESH_' + path.replace(/\./g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()
}
