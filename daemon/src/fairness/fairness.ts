import { Counter } from 'prom-client'
import { DEFAULT_BURST, PeerTable } from '../../../protocols/src/limits/index.js'
import { BoundedLabels } from '../utils/bounded-labels.js'
import { BanList, type BanEntry } from './ban-list.js'
import { HandshakeThrottle } from './handshake-throttle.js'
import { PeerInvocations } from './peer-invocations.js'
import type { FairnessComponents, FairnessInit, Fairness as FairnessInterface } from './index.js'
import type { PeerLimitsInit } from '../../../protocols/src/limits/index.js'
import type { Logger } from '@libp2p/interface'

/** Peers whose limited requests are being counted at once; beyond it the quietest is forgotten. */
const MAX_TRACKED_PEERS = 4096

/** A peer's limited requests in the current window. */
interface Window {
  start: number
  count: number
}

export class Fairness implements FairnessInterface {
  readonly limits: PeerLimitsInit
  readonly invocations: PeerInvocations
  private readonly log: Logger
  private readonly banList: BanList
  private readonly handshakes: HandshakeThrottle
  private readonly windows = new PeerTable<Window>(MAX_TRACKED_PEERS)
  private readonly banMs: number
  private readonly banAfter: number
  private readonly windowMs: number
  private readonly now: () => number
  private readonly labels: BoundedLabels
  private readonly limitedTotal?: Counter<'peer' | 'protocol'>
  private readonly bansTotal?: Counter

  constructor (private readonly components: FairnessComponents, init: FairnessInit) {
    this.log = components.logger.forComponent('faasmesh:fairness')
    this.now = init.now ?? Date.now
    this.banMs = init.banMs ?? 60_000
    // twice its burst refused within the window: it kept sending well past its rate after being
    // told BUSY (an honest peer over its rate for a moment is refused a few requests)
    this.banAfter = init.banAfter ?? 2 * (init.burst ?? DEFAULT_BURST)
    this.windowMs = init.windowMs ?? 10_000
    this.banList = new BanList(this.now)
    this.handshakes = new HandshakeThrottle((host) => this.banList.hasHost(host), init.bannedHostHandshakesPerSecond ?? 2, this.now)
    this.invocations = new PeerInvocations(init.maxConcurrentInvocations ?? 16)
    this.labels = new BoundedLabels(init.maxPeerLabels ?? 32)
    this.limits = {
      requestsPerSecond: init.requestsPerSecond,
      burst: init.burst,
      bytesPerSecond: init.bytesPerSecond,
      onLimited: (peer, protocol) => { this.limited(peer.toString(), protocol) }
    }
    const registry = components.registry
    if (registry != null) {
      this.limitedTotal = new Counter({ name: 'faasmesh_peer_limited_total', help: 'Requests refused because their peer was over its per-peer limits (BUSY or REFUSED), by peer and protocol', labelNames: ['peer', 'protocol'], registers: [registry] })
      this.bansTotal = new Counter({ name: 'faasmesh_peer_bans_total', help: 'Peers disconnected and refused for fairness.banMs for being far over their limits', registers: [registry] })
    }
  }

  limited (peer: string, protocol: string): void {
    this.limitedTotal?.inc({ peer: this.labels.label(peer), protocol })
    // frames already on their way from a peer just banned: counted, nothing more
    if (this.banList.isBanned(peer)) return
    const now = this.now()
    const window = this.windows.get(peer, () => ({ start: now, count: 0 }))
    if (now - window.start >= this.windowMs) {
      window.start = now
      window.count = 0
    }
    window.count++
    // one offence per window: reputation is cut once, not once per BUSY answer
    if (window.count === 1) this.components.penalise(peer)
    if (this.banMs > 0 && window.count >= this.banAfter) this.ban(peer, protocol, window)
  }

  isBanned (peer: string): boolean {
    return this.banList.isBanned(peer)
  }

  bans (): BanEntry[] {
    return this.banList.list()
  }

  admitsHandshake (host: string): boolean {
    return this.handshakes.admits(host)
  }

  private ban (peer: string, protocol: string, window: Window): void {
    const entry = this.banList.ban(peer, this.banMs, protocol, this.components.hostsOf?.(peer) ?? [])
    this.windows.delete(peer)
    this.bansTotal?.inc()
    this.log.error('banned %s for %d ms: %d requests over its limits within %d ms (last on %s)', peer, this.banMs, window.count, this.now() - window.start, protocol)
    void this.components.hangUp(peer).catch((err: any) => { this.log('could not close the connections of banned %s: %s', entry.peer, err?.message ?? err) })
  }
}
