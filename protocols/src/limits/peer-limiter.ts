import { DEFAULT_BURST, DEFAULT_BYTES_PER_SECOND, DEFAULT_MAX_PEERS, DEFAULT_REQUESTS_PER_SECOND } from './constants.js'
import { PeerTable } from './peer-table.js'
import { TokenBucket } from './token-bucket.js'
import type { PeerLimits, PeerLimitsInit } from './index.js'
import type { PeerId } from '@libp2p/interface'

interface Allowance {
  requests: TokenBucket
  bytes: TokenBucket
}

/**
 * What each remote peer may ask of one protocol on this node: a request bucket (rate and burst)
 * and a byte bucket (what it sends plus what it is answered), per peer, in a bounded table.
 */
export class PeerLimiter implements PeerLimits {
  private readonly table: PeerTable<Allowance>
  private readonly requestsPerSecond: number
  private readonly burst: number
  private readonly bytesPerSecond: number
  private readonly now: () => number

  constructor (readonly protocol: string, private readonly init: PeerLimitsInit = {}) {
    this.requestsPerSecond = init.requestsPerSecond ?? DEFAULT_REQUESTS_PER_SECOND
    this.burst = init.burst ?? DEFAULT_BURST
    this.bytesPerSecond = init.bytesPerSecond ?? DEFAULT_BYTES_PER_SECOND
    this.table = new PeerTable(init.maxPeers ?? DEFAULT_MAX_PEERS)
    this.now = init.now ?? (() => performance.now())
  }

  admit (peer: PeerId, bytes: number): boolean {
    const now = this.now()
    const allowance = this.allowance(peer, now)
    // bytes first: a request refused for its bytes must not spend a request token
    if (allowance.bytes.available(now) <= 0 || !allowance.requests.take(1, now)) {
      this.limited(peer)
      return false
    }
    if (bytes > 0) allowance.bytes.charge(bytes, now)
    return true
  }

  charge (peer: PeerId, bytes: number): void {
    if (bytes <= 0) return
    const now = this.now()
    this.allowance(peer, now).bytes.charge(bytes, now)
  }

  private allowance (peer: PeerId, now: number): Allowance {
    return this.table.get(peer.toString(), () => ({
      requests: new TokenBucket(this.burst, this.requestsPerSecond, now),
      // one second's worth at once: a module or a large input is one request, not a flood
      bytes: new TokenBucket(this.bytesPerSecond, this.bytesPerSecond, now)
    }))
  }

  private limited (peer: PeerId): void {
    try {
      this.init.onLimited?.(peer, this.protocol)
    } catch {
      // the daemon's hook must never take a protocol handler down with it
    }
  }
}
