import { PeerTable, TokenBucket } from '../../../protocols/src/limits/index.js'
import type { Multiaddr } from '@multiformats/multiaddr'

/** Hosts whose handshakes are being throttled at once; beyond it the quietest is forgotten. */
const MAX_HOSTS = 1024

/**
 * New inbound connections from the host of a banned peer, rate-limited for as long as the ban
 * lasts. The connection gater learns a peer's id only after the noise handshake, so a banned
 * peer that redials flat out still costs one handshake per dial (seen: honest p99 x2.6 on an
 * otherwise quiet node at 20 redials a second). Its address is known before: beyond `perSecond`
 * a dial from that host is refused before pnet or noise start. Other peers behind the same
 * address (a NAT, a testbed host) may open as many connections a second meanwhile; the ones they
 * hold are untouched.
 */
export class HandshakeThrottle {
  private readonly buckets = new PeerTable<TokenBucket>(MAX_HOSTS)

  constructor (private readonly isBannedHost: (host: string) => boolean, private readonly perSecond: number, private readonly now: () => number = Date.now) {}

  /** False when a dial from `host` is to be refused before its handshake. */
  admits (host: string): boolean {
    if (!this.isBannedHost(host)) return true
    const now = this.now()
    return this.buckets.get(host, () => new TokenBucket(this.perSecond, this.perSecond, now)).take(1, now)
  }
}

/** The IP address (or DNS name) a multiaddr starts with; undefined for one with none. */
export function hostOf (addr: Multiaddr): string | undefined {
  const first = addr.getComponents()[0]
  return first != null && ['ip4', 'ip6', 'dns', 'dns4', 'dns6'].includes(first.name) ? first.value : undefined
}
