/**
 * Dials peers that discovery finds (mDNS, the DHT's walks). libp2p 3 has no auto-dialer: a
 * discovered peer is only remembered, never connected, unless somebody dials it.
 */
import type { Libp2p, Logger, PeerInfo, Startable } from '@libp2p/interface'
import { timeoutSignal } from '../../../protocols/src/timeout-signal.js'

/** Beyond this many connections, discovered peers are remembered but not dialed. */
const TARGET_CONNECTIONS = 64
const DIAL_TIMEOUT_MS = 5_000

export class DiscoveryDialer implements Startable {
  private readonly pending = new Set<string>()
  private readonly controller = new AbortController()

  constructor (private readonly node: Libp2p, private readonly log: Logger) {}

  async start (): Promise<void> {
    this.node.addEventListener('peer:discovery', this.onDiscovery)
  }

  async stop (): Promise<void> {
    this.node.removeEventListener('peer:discovery', this.onDiscovery)
    this.controller.abort()
  }

  private readonly onDiscovery = (evt: CustomEvent<PeerInfo>): void => {
    const { id, multiaddrs } = evt.detail
    const key = id.toString()
    if (id.equals(this.node.peerId) || this.pending.has(key) || multiaddrs.length === 0) return
    if (this.node.getConnections(id).length > 0 || this.node.getConnections().length >= TARGET_CONNECTIONS) return
    this.pending.add(key)
    const signal = AbortSignal.any([this.controller.signal, timeoutSignal(DIAL_TIMEOUT_MS)])
    this.node.dial(multiaddrs, { signal }).then(() => {
      this.log('dialed discovered peer %p', id)
    }, (err: any) => {
      this.log('could not dial discovered peer %p: %s', id, err?.name ?? err)
    }).finally(() => { this.pending.delete(key) })
  }
}
