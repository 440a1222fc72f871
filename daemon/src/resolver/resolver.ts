import { Counter, Histogram } from 'prom-client'
import { peerIdFromString } from '@libp2p/peer-id'
import { raceSignal } from 'race-signal'
import { createNameRecord, FUNCTION_NAME_PATTERN, nameKey, verifyNameRecord } from '../../../protocols/src/names/index.js'
import { AmbiguousNameError, FunctionNotFoundError, InvalidParametersError, NodeStoppingError } from '../errors.js'
import { parseChainCid } from '../chains/spec.js'
import { parseFunctionCid } from '../store/index.js'
import { MAX_ANNOUNCEMENTS_KEPT, MAX_CACHED_NAMES } from './constants.js'
import { NameCache, type Named } from './name-cache.js'
import type { Announced, FetchTimings, KnownNameRecord, Resolved, ResolverComponents, ResolverInit, Resolver as ResolverInterface } from './index.js'
import type { FunctionBinding } from '../store/index.js'
import type { AbortOptions, Logger, PeerInfo } from '@libp2p/interface'
import { timeoutSignal } from '../../../protocols/src/timeout-signal.js'

type Target = { kind: 'cid', cid: string } | { kind: 'name', name: string } | { kind: 'scoped', publisher: string, name: string }

export class Resolver implements ResolverInterface {
  private readonly components: ResolverComponents
  private readonly log: Logger
  private readonly resolveTimeoutMs: number
  private readonly trusted: string[]
  private readonly maxPublishers: number
  private readonly queryTimeoutMs: number
  private readonly announceTimeoutMs: number
  // positive answers for their lifetime, negative ones briefly; a publisher's announcement updates both
  private readonly names: NameCache
  // this node's own signed records, by name: what a peer's query for them is answered with
  private readonly own = new Map<string, { cid: string, seq: number, bytes: Uint8Array }>()
  // the hand-over of each fresh binding (`name@cid`) to connected peers: a deploy answers once it is done
  private readonly announcing = new Map<string, Promise<Announced>>()
  // one fetch per CID and one lookup per name at a time, however many invocations wait on it;
  // the work belongs to the node (see shared()), each caller only waits for it
  private readonly fetching = new Map<string, Promise<FetchTimings>>()
  private readonly lookingUp = new Map<string, Promise<Named>>()
  // who signed a record naming each CID, most recent last: that publisher holds the bytes, and
  // is asked first, before its provider record has spread through the DHT
  private readonly publishers = new Map<string, string>()
  // the node's lifetime: aborted in stop(), it ends shared work and announcements
  private controller = new AbortController()
  private readonly metrics?: ReturnType<typeof registerMetrics>
  private readonly onDeployed = (evt: CustomEvent<FunctionBinding>): void => { this.announce(evt.detail) }
  private readonly onCached = (evt: CustomEvent<{ cid: string }>): void => { void this.provide(evt.detail.cid) }
  private readonly onRemoved = (evt: CustomEvent<{ name: string, cid: string, removedAt: string }>): void => { void this.announceRemoval(evt.detail) }

  constructor (components: ResolverComponents, init: ResolverInit) {
    this.components = components
    this.log = components.logger.forComponent('faasmesh:resolver')
    this.resolveTimeoutMs = init.resolveTimeoutMs ?? 5_000
    this.names = new NameCache(init.nameCacheTtlMs ?? 30_000, init.negativeCacheTtlMs ?? 1_000)
    this.trusted = init.trusted ?? []
    this.maxPublishers = init.maxPublishers ?? 32
    this.queryTimeoutMs = init.queryTimeoutMs ?? 1_000
    this.announceTimeoutMs = init.announceTimeoutMs ?? 2_000
    if (components.registry != null) this.metrics = registerMetrics(components.registry)
  }

  /** Announces everything the store holds (records and provider entries do not survive a restart) and follows new arrivals. */
  async start (): Promise<void> {
    const { store } = this.components
    if (this.controller.signal.aborted) this.controller = new AbortController()
    store.addEventListener('function:deployed', this.onDeployed)
    store.addEventListener('function:cached', this.onCached)
    store.addEventListener('function:removed', this.onRemoved)
    this.components.serveNames?.({
      lookup: async (publisher, name) => this.heldRecord(publisher, name),
      announced: (record) => { this.received(record) }
    })
    void (async () => {
      for (const binding of store.bindings()) await this.announceName(binding).then(async (a) => a.published)
      for (const cid of await store.heldCids()) await this.provide(cid)
    })()
  }

  async stop (): Promise<void> {
    this.components.store.removeEventListener('function:deployed', this.onDeployed)
    this.components.store.removeEventListener('function:cached', this.onCached)
    this.components.store.removeEventListener('function:removed', this.onRemoved)
    this.controller.abort(new NodeStoppingError('the resolver stopped'))
  }

  async resolve (text: string, options: AbortOptions = {}): Promise<Resolved> {
    try {
      // a caller who has already given up starts no shared work
      options.signal?.throwIfAborted()
      return await this.resolveTarget(this.parse(text), options)
    } catch (err) {
      // a caller who gave up (deadline, client gone) hears why, not "not found"
      if (options.signal?.aborted === true) throw options.signal.reason ?? err
      throw err
    }
  }

  async lookup (text: string, options: AbortOptions = {}): Promise<string> {
    try {
      options.signal?.throwIfAborted()
      const { cid, record } = await this.lookupTarget(this.parse(text), options)
      // what a caller names here must be code this node may run: refused before any placement
      await this.components.trust?.check(cid, 'lookup', record, options)
      return cid
    } catch (err) {
      if (options.signal?.aborted === true) throw options.signal.reason ?? err
      throw err
    }
  }

  private async lookupTarget (target: Target, options: AbortOptions): Promise<Named> {
    if (target.kind === 'cid') return { cid: target.cid }
    const started = performance.now()
    const named = await this.resolveName(target, options)
    this.log.trace('resolved %s to %s in %d ms', target.name, named.cid, Math.round(performance.now() - started))
    return named
  }

  private async resolveTarget (target: Target, options: AbortOptions): Promise<Resolved> {
    const { cid, record } = await this.lookupTarget(target, options)
    this.components.store.touch(cid)
    if (this.components.store.has(cid)) return { cid, fetched: false }
    // an untrusted CID is never fetched: checked before any provider is asked
    await this.components.trust?.check(cid, 'fetch', record, options)
    let fetch = this.fetching.get(cid)
    if (fetch == null) {
      fetch = this.fetch(cid, this.shared()).finally(() => this.fetching.delete(cid))
      // every caller may have given up by the time it fails: nobody else hears of it
      fetch.catch(() => {})
      this.fetching.set(cid, fetch)
    }
    return { cid, fetched: true, timings: await raceSignal(fetch, options.signal) }
  }

  private parse (text: string): Target {
    const cid = parseFunctionCid(text) ?? parseChainCid(text)
    if (cid != null) return { kind: 'cid', cid }
    const slash = text.indexOf('/')
    if (slash < 0) return { kind: 'name', name: text }
    const publisher = text.slice(0, slash)
    const name = text.slice(slash + 1)
    if (publisher === '' || !FUNCTION_NAME_PATTERN.test(name)) {
      throw new InvalidParametersError(`"${text.slice(0, 100)}" is neither a name, a publisher/name nor a CID`)
    }
    return { kind: 'scoped', publisher, name }
  }

  private async resolveName (target: Exclude<Target, { kind: 'cid' }>, options: AbortOptions): Promise<Named> {
    const self = this.components.peerId.toString()
    if (target.kind === 'name' || target.publisher === self) {
      try {
        return { cid: await this.components.store.resolve(target.name) }
      } catch (err: any) {
        if (err?.name !== 'FunctionNotFoundError' || (target.kind === 'scoped')) throw err
      }
    }
    const key = target.kind === 'scoped' ? `${target.publisher}/${target.name}` : target.name
    const cached = this.cachedName(key)
    if (cached != null) return cached
    // asked a moment ago and found nowhere: an announcement of the name would have cleared this
    if (this.names.missed(key)) throw new FunctionNotFoundError(`no function named "${key}" in the mesh (asked less than a second ago)`)
    let lookup = this.lookingUp.get(key)
    if (lookup == null) {
      // the resolve timeout starts here: a local binding or a cached name needs no timer
      const signal = this.shared()
      lookup = (target.kind === 'scoped' ? this.lookupScoped(target.publisher, target.name, signal) : this.lookupPlain(target.name, signal))
        .then((named) => {
          this.names.set(key, named)
          return named
        }, (err: any) => {
          if (err?.name === FunctionNotFoundError.name) this.names.miss(key)
          throw err
        })
        .finally(() => this.lookingUp.delete(key))
      lookup.catch(() => {})
      this.lookingUp.set(key, lookup)
    }
    return raceSignal(lookup, options.signal)
  }

  /** A name's cached CID, if it has not expired; a hit becomes the most recently used. */
  private cachedName (key: string): Named | undefined {
    const entry = this.names.get(key)
    // the record travels with calls by CID too: keep it known as long as its name is
    if (entry?.record != null) {
      this.components.trust?.remember(entry.record)
      this.rememberPublisher(entry.record)
    }
    return entry
  }

  private rememberPublisher (record: KnownNameRecord): void {
    this.publishers.delete(record.cid)
    this.publishers.set(record.cid, record.publisher)
    while (this.publishers.size > MAX_CACHED_NAMES) this.publishers.delete(this.publishers.keys().next().value as string)
  }

  private async lookupScoped (publisher: string, name: string, signal: AbortSignal): Promise<Named> {
    const named = await this.recordCid(publisher, name, signal)
    this.throwIfStopped()
    if (named == null) throw new FunctionNotFoundError(`no record for ${publisher}/${name} in the DHT`)
    return named
  }

  /** Trusted publishers win in order; otherwise the untrusted ones must agree. */
  private async lookupPlain (name: string, signal: AbortSignal): Promise<Named> {
    const self = this.components.peerId.toString()
    const trusted = this.trusted.filter((p) => p !== self)
    const others = this.components.candidates().filter((p) => p !== self && !trusted.includes(p))
    const publishers = [...trusted, ...others].slice(0, this.maxPublishers)
    // every publisher is asked at once; the first trusted answer ends the others' queries
    const done = new AbortController()
    const querySignal = AbortSignal.any([signal, done.signal])
    const lookups = publishers.map(async (p) => ({ publisher: p, named: await this.recordCid(p, name, querySignal) }))
    try {
      for (const lookup of lookups.slice(0, trusted.length)) {
        const { named } = await lookup
        if (named != null) return named
        this.throwIfStopped()
      }
      const found = await Promise.all(lookups)
      this.throwIfStopped()
      const hits = found.filter((f) => f.named != null)
      const cids = new Set(hits.map((h) => h.named!.cid))
      if (cids.size === 1) return hits[0]!.named!
      if (cids.size > 1) {
        throw new AmbiguousNameError(`"${name}" is published by several peers with different code: ${hits.map((h) => `${h.publisher}/${name}`).join(', ')}; invoke one of them as publisher/name`)
      }
      throw new FunctionNotFoundError(`no function named "${name}" here or among ${publishers.length} publishers in the mesh`)
    } finally {
      done.abort()
      void Promise.allSettled(lookups)
    }
  }

  /**
   * The CID a publisher's signed record names, or undefined: what its announcement or an earlier
   * answer left here, else the publisher asked directly (its "no such name" is the last word),
   * else the DHT. Records are verified again here.
   */
  private async recordCid (publisher: string, name: string, signal: AbortSignal): Promise<Named | undefined> {
    const scoped = `${publisher}/${name}`
    const cached = this.cachedName(scoped)
    if (cached != null) return cached
    if (this.names.missed(scoped)) return undefined
    const asked = await this.askPublisher(publisher, name, signal)
    if (asked !== 'unanswered') {
      if (asked == null) this.names.miss(scoped)
      else this.names.set(scoped, asked)
      return asked
    }
    const key = nameKey(publisher, name)
    const started = performance.now()
    try {
      const value = await this.components.getRecord(key, { signal })
      const record = { ...await verifyNameRecord(key, value), bytes: value }
      // the publisher deleted the name: it names nothing, as if there were no record
      if (record.deleted === true) return undefined
      const { cid } = record
      this.components.trust?.remember(record)
      this.rememberPublisher(record)
      return { cid, record }
    } catch (err: any) {
      if (err?.name !== 'NotFoundError') this.log('no usable record for %s/%s: %s', publisher, name, err?.name ?? err)
      return undefined
    } finally {
      this.metrics?.dht.observe({ op: 'get' }, (performance.now() - started) / 1000)
    }
  }

  /**
   * The publisher's own answer over the names protocol, one round trip with no DHT walk:
   * 'unanswered' when it cannot give one in time (unreachable, an older node, busy), so the
   * DHT is asked instead.
   */
  private async askPublisher (publisher: string, name: string, signal: AbortSignal): Promise<Named | undefined | 'unanswered'> {
    if (this.components.queryName == null) return 'unanswered'
    const started = performance.now()
    try {
      const record = await this.components.queryName(publisher, publisher, name, { signal: AbortSignal.any([signal, timeoutSignal(this.queryTimeoutMs)]) })
      if (record == null || record.deleted === true) return undefined
      this.components.trust?.remember(record)
      this.rememberPublisher(record)
      return { cid: record.cid, record }
    } catch (err: any) {
      if (signal.aborted) throw err
      this.log('%s did not answer for %s: %s', publisher, name, err?.name ?? err)
      return 'unanswered'
    } finally {
      this.metrics?.queries.observe((performance.now() - started) / 1000)
    }
  }

  /**
   * The publisher that named the CID first, when this node resolved a name to it (its provider
   * record may not have spread yet); then providers in the order they answer. Each one's bytes
   * are verified before they are cached.
   */
  private async fetch (cid: string, signal: AbortSignal): Promise<FetchTimings> {
    const self = this.components.peerId
    const tried = new Set<string>()
    const started = performance.now()
    let timings: FetchTimings | undefined
    const from = async (provider: PeerInfo): Promise<boolean> => {
      if (provider.id.equals(self) || tried.has(provider.id.toString())) return false
      tried.add(provider.id.toString())
      this.log.trace('provider %p for %s after %d ms', provider.id, cid, Math.round(performance.now() - started))
      const transferStarted = performance.now()
      try {
        const bytes = await this.components.fetchCode(provider, cid, { signal })
        this.metrics?.fetches.inc({ outcome: 'ok' })
        this.metrics?.bytes.inc(bytes.byteLength)
        const fetchedAt = performance.now()
        // the bytes are here and verified: sanitizing them is bounded by the sanitizer's own
        // timeout and the node's lifetime, not by what is left of the search's resolve timeout
        // (on a loaded host binaryen alone can take seconds; each caller still waits under its own deadline)
        await this.components.store.putCached(bytes, { signal: this.controller.signal })
        timings = { providers: transferStarted - started, transfer: fetchedAt - transferStarted, sanitize: performance.now() - fetchedAt }
        this.log('fetched %s (%d bytes) from %p in %d ms, cached in %d ms', cid, bytes.byteLength, provider.id,
          Math.round(fetchedAt - started), Math.round(performance.now() - fetchedAt))
        return true
      } catch (err: any) {
        if (signal.aborted) throw err
        const outcome = err?.name === 'CodeIntegrityError' ? 'integrity' : err?.name === 'CodeNotFoundError' ? 'not-found' : 'error'
        this.metrics?.fetches.inc({ outcome })
        this.log('provider %p failed for %s (%s): %s', provider.id, cid, outcome, err?.message ?? err)
        return false
      }
    }
    try {
      const publisher = this.publishers.get(cid)
      if (publisher != null && await from({ id: peerIdFromString(publisher), multiaddrs: [] })) return timings!
      for await (const provider of this.components.findProviders(cid, { signal })) {
        if (await from(provider)) return timings!
      }
    } catch (err: any) {
      if (!signal.aborted && err?.name !== 'NotFoundError') throw err
    } finally {
      this.metrics?.dht.observe({ op: 'find-providers' }, (performance.now() - started) / 1000)
    }
    this.throwIfStopped()
    throw new FunctionNotFoundError(`no provider in the mesh could supply ${cid} (${tried.size} tried)`)
  }

  async announced (name: string, cid: string, options: AbortOptions = {}): Promise<Announced> {
    const pending = this.announcing.get(`${name}@${cid}`)
    if (pending == null) return { peers: 0 }
    return raceSignal(pending, options.signal)
  }

  /** Starts announcing a fresh binding, and keeps the hand-over for the deploy that made it (`announced`). */
  private announce (binding: FunctionBinding): void {
    const key = `${binding.name}@${binding.cid}`
    const announced = this.announceName(binding).then(({ peers }) => ({ peers }))
    this.announcing.delete(key)
    this.announcing.set(key, announced)
    while (this.announcing.size > MAX_ANNOUNCEMENTS_KEPT) this.announcing.delete(this.announcing.keys().next().value as string)
  }

  /**
   * Signs the binding's record, hands it to the connected peers (bounded by the announce
   * timeout; what `announced` waits for), and publishes it in the DHT with a provider record
   * (`published`, in the background: a walk of the DHT takes longer than a deploy should).
   */
  private async announceName (binding: FunctionBinding): Promise<Announced & { published: Promise<void> }> {
    const self = this.components.peerId.toString()
    let record: Uint8Array
    try {
      // the deploy time is the sequence: later deploys win, also after the data dir was wiped
      const seq = Date.parse(binding.deployedAt)
      record = await createNameRecord(this.components.privateKey, binding.name, binding.cid, seq)
      this.own.set(binding.name, { cid: binding.cid, seq, bytes: record })
      // sent along with calls of this CID, so that peers in allowlist mode can tell it is ours
      this.components.trust?.remember({ publisher: self, name: binding.name, cid: binding.cid, seq, timestamp: Date.now(), bytes: record })
    } catch (err: any) {
      this.log('could not sign the record for %s: %s', binding.name, err?.message ?? err)
      return { peers: 0, published: this.provide(binding.cid) }
    }
    const published = this.publish(binding, record).then(async () => { await this.provide(binding.cid) })
    const peers = await this.push(binding.name, record)
    return { peers, published }
  }

  /** Hands a record of this node's to its connected peers; resolves with how many kept it, never throws. */
  private async push (name: string, record: Uint8Array): Promise<number> {
    if (this.components.pushName == null) return 0
    const started = performance.now()
    try {
      const peers = await this.components.pushName(record, { signal: AbortSignal.any([this.controller.signal, timeoutSignal(this.announceTimeoutMs)]) })
      this.log('handed the record of %s to %d peers in %d ms', name, peers, Math.round(performance.now() - started))
      return peers
    } catch (err: any) {
      this.log('could not hand the record of %s to peers: %s', name, err?.message ?? err)
      return 0
    }
  }

  private async publish (binding: FunctionBinding, record: Uint8Array): Promise<void> {
    const started = performance.now()
    try {
      await this.components.putRecord(nameKey(this.components.peerId.toString(), binding.name), record, { signal: this.background() })
      this.log('published %s -> %s', binding.name, binding.cid)
    } catch (err: any) {
      this.log('could not publish the record for %s: %s', binding.name, err?.message ?? err)
    } finally {
      this.metrics?.dht.observe({ op: 'put' }, (performance.now() - started) / 1000)
    }
  }

  /**
   * What a peer's query is answered with: this node's own record of a name it binds (signed
   * again if the binding moved on since), or a record another publisher announced here.
   */
  private async heldRecord (publisher: string, name: string): Promise<Uint8Array | undefined> {
    const self = this.components.peerId.toString()
    if (publisher !== self) return this.names.get(`${publisher}/${name}`)?.record?.bytes
    const binding = this.components.store.bindings().find((b) => b.name === name)
    if (binding == null) return undefined
    const seq = Date.parse(binding.deployedAt)
    const own = this.own.get(name)
    if (own != null && own.cid === binding.cid && own.seq === seq) return own.bytes
    const bytes = await createNameRecord(this.components.privateKey, name, binding.cid, seq)
    this.own.set(name, { cid: binding.cid, seq, bytes })
    return bytes
  }

  /** A record its publisher handed this node: known at once, and its code fetched from that publisher first. */
  private received (record: KnownNameRecord): void {
    this.names.announced(record)
    if (record.deleted !== true) {
      this.rememberPublisher(record)
      this.components.codeMayArrive?.(record.cid)
    }
    this.log.trace('%s announced %s -> %s', record.publisher, record.name, record.deleted === true ? 'deleted' : record.cid)
  }

  /**
   * A record in the DHT cannot be recalled: a tombstone (a record that binds the name to
   * nothing) with a higher sequence number replaces it, and nodes that know tombstones stop
   * resolving the name (within their name cache's TTL). A name still bound here (a chain of the
   * same name) keeps its record instead.
   */
  private async announceRemoval (removed: { name: string, cid: string, removedAt: string }): Promise<void> {
    if (this.components.store.bindings().some((b) => b.name === removed.name)) return
    const started = performance.now()
    try {
      const record = await createNameRecord(this.components.privateKey, removed.name, removed.cid, Date.parse(removed.removedAt), { deleted: true })
      this.own.delete(removed.name)
      // peers that know the name forget it now, not when their cache expires
      void this.push(removed.name, record)
      await this.components.putRecord(nameKey(this.components.peerId.toString(), removed.name), record, { signal: this.background() })
      this.log('published the tombstone of %s', removed.name)
    } catch (err: any) {
      this.log('could not publish the tombstone of %s: %s', removed.name, err?.message ?? err)
    } finally {
      this.metrics?.dht.observe({ op: 'put' }, (performance.now() - started) / 1000)
    }
  }

  private async provide (cid: string): Promise<void> {
    const started = performance.now()
    try {
      await this.components.provide(cid, { signal: this.background() })
    } catch (err: any) {
      this.log('could not provide %s: %s', cid, err?.message ?? err)
    } finally {
      this.metrics?.dht.observe({ op: 'provide' }, (performance.now() - started) / 1000)
    }
  }

  /**
   * The signal of a fetch or name lookup that callers share: the node's lifetime and the
   * resolve timeout, never a caller's signal, so that one caller giving up (a 5 ms deadline, a
   * client gone) never ends work that others wait on; once done, it is cached for the next.
   */
  private shared (): AbortSignal {
    return AbortSignal.any([this.controller.signal, timeoutSignal(this.resolveTimeoutMs)])
  }

  /** Work cut short by stop() ends as such, not as "not found". */
  private throwIfStopped (): void {
    if (this.controller.signal.aborted) throw new NodeStoppingError('the resolver stopped')
  }

  /** Announcements run in the background, bounded, and end with the node. */
  private background (): AbortSignal {
    return AbortSignal.any([this.controller.signal, timeoutSignal(30_000)])
  }
}

function registerMetrics (registry: import('prom-client').Registry) {
  return {
    fetches: new Counter({ name: 'faasmesh_code_fetches_total', help: 'Code fetches from providers, by outcome (ok, integrity = hash mismatch, not-found, error)', labelNames: ['outcome'], registers: [registry] }),
    bytes: new Counter({ name: 'faasmesh_code_fetched_bytes_total', help: 'Bytes of verified code fetched from providers', registers: [registry] }),
    queries: new Histogram({ name: 'faasmesh_name_query_seconds', help: 'Name records asked of their publisher directly (/faasmesh/names/1.0.0), answered or not', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers: [registry] }),
    dht: new Histogram({ name: 'faasmesh_dht_query_seconds', help: 'DHT operations by kind (get, put, provide, find-providers)', labelNames: ['op'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] })
  }
}

