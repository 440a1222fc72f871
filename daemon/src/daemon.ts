import { freemem } from 'node:os'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import { Registry, collectDefaultMetrics } from 'prom-client'
import { parseHostPort, type DaemonConfig } from './config/index.js'
import { InvalidConfigError } from './errors.js'
import { gatewayListening, libp2pListening } from './address-in-use.js'
import { executor, measureSpeed, type Executor } from './executor/index.js'
import { gateway, refuseOpenExposure, type Gateway } from './gateway/index.js'
import { tokenStore } from './auth/index.js'
import { loadOrCreateIdentity, type Identity } from './identity/index.js'
import { invoker, type Invoker } from './invoker/index.js'
import { LinkTable } from './links/index.js'
import { placement, type Placement } from './placement/index.js'
import { contributes, ledger, receiptDesk, type Ledger } from './ledger/index.js'
import { advertisedBatteryPercent, power, type Power } from './power/index.js'
import { ArtifactStore } from './chains/artifacts.js'
import { ChainDataStore } from './chains/data.js'
import { OutputCache } from './chains/outputs.js'
import { ChainRunner } from './chains/runner.js'
import { chainStore, type ChainStore } from './chains/store.js'
import { transferEstimate } from './chains/transfer.js'
import { createMesh, type Mesh } from './node/index.js'
import { fairness, hostOf } from './fairness/index.js'
import { remotePool } from './placement/reservation-caps.js'
import { readSwarmKey } from './network/psk.js'
import { codeRouting } from './node/code-routing.js'
import { advertisedHttpAddrs } from './node/http-addrs.js'
import { registerMeshMetrics } from './node/metrics.js'
import { meteredTraffic } from './node/traffic.js'
import { summarizePeer } from './node/peers.js'
import { selfSummary } from './node/self-summary.js'
import { invocationStats } from './stats/index.js'
import { resolver, type Resolver } from './resolver/index.js'
import { trust } from './trust/index.js'
import { stateLayer, type StateLayer } from './state/index.js'
import { sanitizer, type Sanitizer } from './sanitizer/index.js'
import { functionStore, type FunctionStore } from './store/index.js'
import { telemetry, type Telemetry } from './telemetry/index.js'
import { VERSION } from './version.js'
import type { DaemonInit, Daemon as DaemonInterface } from './index.js'
import type { ComponentLogger, Logger, PeerId } from '@libp2p/interface'

/** The peer ids in a list of bootstrap multiaddrs: the node trusts their name records. */
function bootstrapPeers (addrs: string[]): string[] {
  return addrs.map((a) => multiaddr(a).getComponents().findLast((c) => c.name === 'p2p')?.value).filter((p): p is string => p != null)
}

/** Longest deadline a caller may ask for, and longest a peer may run one of our invocations. */
const MAX_DEADLINE_MS = 300_000

/** Warm CIDs an advert lists at most (the protocol's decode limit). */
const MAX_ADVERTISED_WARM = 64

interface Parts {
  identity: Identity
  mesh: Mesh
  resolver: Resolver
  /** Relative speed from the startup micro-benchmark. */
  speed: number
  sanitizer: Sanitizer
  store: FunctionStore
  chains: ChainStore
  outputs: OutputCache
  executor: Executor
  placement: Placement
  state: StateLayer
  invoker: Invoker
  gateway: Gateway
  power: Power
  telemetry: Telemetry
}

/**
 * The node: builds its components from one config and runs them in order. Start: identity,
 * store, executor (and its speed probe), libp2p with the capacity adverts, then the gateway last,
 * so it never answers before it can serve. Stop drains (DESIGN.md section 9): the gateway stops
 * accepting and placement takes nothing new (bids and invokes answered STOPPING, which callers
 * retry elsewhere) while what is in flight finishes, both within `shutdown.drainMs`; only then
 * the executor, libp2p, the sanitizer and the store. A run cut short there ends with
 * NodeStoppingError, never as a function error.
 */
export class Daemon implements DaemonInterface {
  readonly config: DaemonConfig
  readonly registry = new Registry()
  readonly warnings: string[] = []
  private readonly logger: ComponentLogger
  private readonly log: Logger
  private parts?: Parts
  private book?: Ledger
  private starting?: Promise<void>
  private stopping?: Promise<void>

  constructor (init: DaemonInit) {
    this.config = init.config
    this.logger = init.logger ?? defaultLogger()
    this.log = this.logger.forComponent('faasmesh:daemon')
  }

  get peerId (): PeerId {
    return this.require().identity.peerId
  }

  get apiUrl (): string {
    return this.require().gateway.url
  }

  get multiaddrs (): string[] {
    return this.require().mesh.node.getMultiaddrs().map((m) => m.toString())
  }

  get speed (): number {
    return this.require().speed
  }

  async start (): Promise<void> {
    this.starting ??= this.doStart()
    await this.starting
  }

  async stop (): Promise<void> {
    if (this.starting == null) return
    await this.starting.catch(() => {})
    this.stopping ??= this.doStop()
    await this.stopping
  }

  private async doStart (): Promise<void> {
    const { config, logger, registry } = this
    const api = parseHostPort(config.api.listen)
    if (api == null) throw new InvalidConfigError(`api.listen: expected host:port, got "${config.api.listen}"`)
    // before anything starts: a tokens file that cannot be read (TokenFileError), or a gateway
    // beyond loopback that nobody could use safely (NoGatewayTokenError), stops the node here
    const tokens = tokenStore({ dataDir: config.dataDir })({ logger })
    tokens.count()
    refuseOpenExposure({ host: api.host, port: api.port, insecure: config.api.insecure, tokens })
    collectDefaultMetrics({ register: registry, prefix: 'faasmesh_' })

    const identity = await loadOrCreateIdentity(config.dataDir)
    // off (no telemetry.otlpUrl): nothing loaded, and no module creates a span
    const tracing = telemetry(config.telemetry)({ peerId: identity.peerId, logger })
    const limits = {
      memoryPages: config.executor.memoryPages,
      timeoutMs: config.executor.timeoutMs,
      fuel: config.executor.fuel,
      maxInputBytes: config.executor.maxInputBytes,
      maxOutputBytes: config.executor.maxOutputBytes
    }
    const s = sanitizer({ timeoutMs: config.sanitizer.timeoutMs, memoryMb: config.sanitizer.memoryMb, maxQueue: config.sanitizer.maxQueue })({ logger, registry })
    const store = functionStore({ dataDir: config.dataDir, maxModuleBytes: config.store.maxModuleBytes, maxCacheBytes: config.store.maxCacheBytes, memoryPages: limits.memoryPages, maxTableEntries: config.executor.maxTableEntries })({ logger, sanitizer: s })
    const measuredSpeed = measureSpeed()
    const exec = executor({ slots: config.executor.slots, spares: config.executor.spares, maxQueue: config.executor.maxQueue, limits, slowdown: config.executor.slowdown, sandboxHeapMb: config.executor.sandboxHeapMb })({ logger, modules: store, registry })
    const links = config.testbed.control ? new LinkTable() : undefined
    const traffic = meteredTraffic(registry)
    const swarmKey = config.network.pskFile === '' ? undefined : await readSwarmKey(config.network.pskFile)
    if (swarmKey?.readableByOthers === true) this.warnings.push(`warning: network.pskFile ${config.network.pskFile} can be read by other users of this machine, and whoever holds the key can join the private mesh: chmod 600 it`)
    // what each remote peer may ask of this node, and what asking more costs it; it reaches
    // libp2p and placement, built below: a request can only be limited once libp2p runs
    const fair = fairness({
      ...config.fairness,
      // 0: what placement admits (slots x (1 + queuePerSlot)) but the quarter kept for others, as
      // for reservations; half (the first guess) was hit by the testbed's random policy
      maxConcurrentInvocations: config.fairness.maxConcurrentInvocations > 0 ? config.fairness.maxConcurrentInvocations : remotePool(config.executor.slots * (1 + config.placement.queuePerSlot))
    })({
      logger,
      registry,
      hangUp: async (peer) => { await node.hangUp(peerIdFromString(peer)) },
      penalise: (peer) => { place.penalise(peer, 'flooding') },
      hostsOf: (peer) => node.getConnections(peerIdFromString(peer)).flatMap((c) => hostOf(c.remoteAddr) ?? [])
    })
    const mesh = await createMesh({
      listen: config.libp2p.listen,
      bootstrap: config.libp2p.bootstrap,
      mdns: config.libp2p.mdns,
      advertIntervalMs: config.adverts.intervalMs,
      maxModuleBytes: config.store.maxModuleBytes,
      maxInvokeMs: MAX_DEADLINE_MS,
      links,
      traffic,
      psk: swarmKey?.psk,
      limits: fair.limits,
      bans: { isBlocked: (peer) => fair.isBanned(peer), admitsHandshake: (host) => fair.admitsHandshake(host) }
    }, { privateKey: identity.privateKey, logger })
    const node = mesh.node
    const chains = chainStore({ dataDir: config.dataDir })({ logger })
    // functions and chains travel alike: named in the DHT, fetched from providers, verified
    const artifacts = new ArtifactStore(store, chains)
    // whose code this node fetches, bids for and runs (DESIGN.md section 12): its own deploys are its own
    const publisherTrust = trust({ mode: config.trust.mode, publishers: config.trust.publishers, dataDir: config.dataDir })({
      peerId: identity.peerId,
      isOwn: (cid) => artifacts.bindings().some((b) => b.cid === cid),
      logger,
      registry
    })
    // a bad trust list stops the start, naming the file (while running, it is ignored until fixed: fail closed)
    await publisherTrust.publishers()
    const res = resolver({ trusted: [...bootstrapPeers(config.libp2p.bootstrap), ...config.names.trusted], negativeCacheTtlMs: config.names.negativeCacheMs })({
      store: artifacts,
      peerId: identity.peerId,
      privateKey: identity.privateKey,
      logger,
      registry,
      trust: {
        check: async (cid, stage, record, options) => { await publisherTrust.check(cid, stage === 'lookup' ? 'gateway' : 'fetch', record?.bytes, options) },
        remember: (record) => { publisherTrust.remember(record) }
      },
      // the first module fetched from the mesh would otherwise wait for binaryen to load
      codeMayArrive: () => { s.prepare() },
      ...codeRouting(node)
    })
    node.services.code.setLookup(async (cid) => artifacts.getOriginal(cid))
    const outputs = new OutputCache()
    const chainData = new ChainDataStore({ self: identity.peerId.toString(), maxInputBytes: limits.maxInputBytes, outputs, protocol: node.services.chainData, log: logger.forComponent('faasmesh:chains:data') })
    // a testbed's slowdown emulates a machine that many times slower than the reference (the
    // executor charges reference time): advertise that, not this machine's start-up probe,
    // which varies with whatever else is starting on the same host
    const speed = config.executor.slowdown > 1 ? 1 / config.executor.slowdown : measuredSpeed
    const state = stateLayer({
      ...config.state,
      dataDir: config.dataDir,
      leaseMs: limits.timeoutMs + 1000,
      // peers are dropped from the view after three advert intervals: by then it has filled
      aloneAfterMs: 3 * config.adverts.intervalMs
    })({
      peerId: identity.peerId,
      state: node.services.state,
      peers: () => node.services.adverts.peers().map((entry) => entry.peerId.toString()),
      logger,
      registry
    })
    // read at start and once per advert interval: the level moves slowly, bids read the cached state
    const pw = power({ batteryPercent: config.power.batteryPercent, tagged: config.tags.power === 'battery', refreshMs: config.adverts.intervalMs })({ logger })
    // receipts of what peers ran for this node and what it ran for them (docs/protocols.md, "Receipts")
    const book = ledger({ dataDir: config.dataDir, maxReceipts: config.ledger.maxReceipts })({ logger, registry })
    this.book = book
    const place = placement({
      ...config.placement,
      tags: config.tags,
      speed,
      // a peer may queue it, fetch its code and run it to its timeout
      attemptTimeoutMs: 2 * limits.timeoutMs + 5_000,
      invocations: config.invocations,
      declineBelowPercent: config.power.declineBelowPercent
    })({
      peerId: identity.peerId,
      executor: exec,
      store,
      resolver: res,
      auction: node.services.auction,
      invoke: node.services.invoke,
      peers: () => node.services.adverts.peers(),
      transactions: state.transactions,
      homes: state.homes,
      chainData,
      transferMs: transferEstimate(identity.peerId.toString(), links),
      receipts: receiptDesk()({ privateKey: identity.privateKey, peerId: identity.peerId, ledger: book, logger, registry }),
      ...(config.placement.preferContributors ? { contributes: (peer: string) => contributes(book.tally(peer)) } : {}),
      power: () => pw.state(),
      perPeer: fair,
      trust: publisherTrust,
      tracing,
      logger,
      registry
    })
    const chainRunner = new ChainRunner({ self: identity.peerId.toString(), placement: place, resolver: res, spec: async (cid) => chains.get(cid), vetSteps: publisherTrust.mode === 'allowlist', logger })
    const inv = invoker({ maxDeadlineMs: MAX_DEADLINE_MS, invocations: config.invocations })({ resolver: res, placement: place, chains: chainRunner, registry, tracing })
    // the dashboard's charts and per-function numbers: every invocation this node placed, as it settles
    const stats = invocationStats()({})
    place.addEventListener('placement:done', (evt) => { stats.record(evt.detail) })
    const gw = gateway({
      host: api.host,
      port: api.port,
      maxInputBytes: limits.maxInputBytes,
      allowedHosts: config.api.allowedHosts,
      headersTimeoutMs: config.api.headersTimeoutMs,
      requestTimeoutMs: config.api.requestTimeoutMs,
      bodyIdleTimeoutMs: config.api.bodyIdleTimeoutMs,
      maxConnections: config.api.maxConnections,
      insecure: config.api.insecure,
      requireTokenFor: config.api.requireTokenFor,
      drainTimeoutMs: config.shutdown.drainMs
    })({
      logger,
      tokens,
      store,
      chains,
      invoker: inv,
      announcements: res,
      registry,
      tracing,
      trust: { mode: publisherTrust.mode },
      node: selfSummary({
        tags: config.tags,
        speed,
        startedAt: performance.now(),
        slotsTotal: () => exec.stats().slots,
        freeSlots: () => place.freeSlots(),
        queued: () => place.queued(),
        power: () => pw.state(),
        connectedPeers: () => node.getConnections().map((c) => c.remotePeer.toString())
      }),
      stats,
      peerId: identity.peerId,
      version: VERSION,
      addrs: () => node.getMultiaddrs().map((m) => m.toString()),
      peers: () => node.services.adverts.peers().map((entry) => summarizePeer(entry, Date.now())),
      bans: () => fair.bans(),
      isWarm: (cid) => exec.isWarm(cid),
      placements: place,
      ledger: book,
      state,
      links: links == null
        ? undefined
        : {
            state: () => links.state(),
            set: async (state) => {
              // a partition cuts what is open now; the gater refuses what comes after
              await Promise.all(links.set(state).map(async (peer) => { await node.hangUp(peerIdFromString(peer)).catch(() => {}) }))
            }
          }
    })
    this.parts = { identity, mesh, resolver: res, speed, sanitizer: s, store, chains, outputs, executor: exec, placement: place, state, invoker: inv, gateway: gw, power: pw, telemetry: tracing }
    registerMeshMetrics(registry, node)

    let apiUrl: string | undefined
    await tracing.start()
    await store.start()
    await chains.start()
    await outputs.start()
    await exec.start()
    await pw.start()
    this.advertise(exec, place, mesh, speed, () => apiUrl)
    await book.start()
    await place.start()
    await state.start()
    // a taken address ends the start with one line naming the option that moves it
    await libp2pListening(mesh.start(), config.libp2p.listen)
    await res.start()
    await gatewayListening(gw.start(), config.api.listen)
    apiUrl = gw.url
    this.log('started %p, speed %d, gateway %s', identity.peerId, speed, apiUrl)
  }

  /** What this node tells the mesh about itself, and when to tell it promptly. */
  private advertise (exec: Executor, place: Placement, mesh: Mesh, speed: number, apiUrl: () => string | undefined): void {
    const { node } = mesh
    const adverts = node.services.adverts
    const tags = Object.entries(this.config.tags).map(([key, value]) => ({ key, value }))
    adverts.setSource(() => {
      const url = apiUrl()
      // what bids see: a slot promised to an auction is not free
      return {
        slotsTotal: exec.stats().slots,
        slotsFree: place.freeSlots(),
        queueLength: place.queued(),
        speed,
        memoryFreeBytes: freemem(),
        warmCids: exec.warmCids(MAX_ADVERTISED_WARM).map((cid) => CID.parse(cid).bytes),
        tags,
        multiaddrs: node.getMultiaddrs().slice(0, 16).map((m) => m.bytes),
        httpAddrs: url != null ? advertisedHttpAddrs(url, node.getMultiaddrs().map((m) => m.toString())) : [],
        batteryPercent: advertisedBatteryPercent(this.require().power.state())
      }
    })
    // significant changes go out at once: the last slot taken, or the first one freed
    let wasFull = false
    place.addEventListener('capacity', (evt) => {
      const full = evt.detail.free === 0
      if (full !== wasFull) adverts.publishSoon()
      wasFull = full
    })
  }

  private async doStop (): Promise<void> {
    const parts = this.parts
    if (parts == null) return
    const drainMs = this.config.shutdown.drainMs
    const started = performance.now()
    // libp2p keeps serving meanwhile: the answers of what runs here still reach their callers
    await Promise.all([parts.gateway.stop(), parts.placement.drain({ timeoutMs: drainMs })])
    this.log('drained in %d ms', Math.round(performance.now() - started))
    await parts.placement.stop()
    await this.book?.stop()
    await parts.state.stop()
    await parts.executor.stop()
    await parts.power.stop()
    await parts.resolver.stop()
    await parts.mesh.stop()
    await parts.sanitizer.stop()
    await parts.outputs.stop()
    await parts.chains.stop()
    await parts.store.stop()
    // last: the spans of everything that stopped above go out with the flush
    await parts.telemetry.stop()
    this.log('stopped')
  }

  private require (): Parts {
    if (this.parts == null) throw new Error('daemon is not started')
    return this.parts
  }
}
