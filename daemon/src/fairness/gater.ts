import { hostOf } from './handshake-throttle.js'
import type { ConnectionGater, PeerId } from '@libp2p/interface'

/** Something that refuses peers: a testbed partition, the fairness ban list. */
export interface PeerRefusal {
  isBlocked(peer: string): boolean
  /** False when a new inbound connection from this address is refused before its handshake. */
  admitsHandshake?(host: string): boolean
}

/**
 * One connection gater from several refusals: a peer any of them refuses is neither dialled nor
 * accepted. The peer is known once the connection is encrypted; a banned one is dropped there,
 * before it can open a single stream. Undefined when there is nothing to refuse.
 */
export function refusingGater (...refusals: Array<PeerRefusal | undefined>): ConnectionGater | undefined {
  const active = refusals.filter((r): r is PeerRefusal => r != null)
  if (active.length === 0) return undefined
  const refused = (peer: PeerId): boolean => {
    const id = peer.toString()
    return active.some((r) => r.isBlocked(id))
  }
  return {
    denyInboundConnection: async (maConn) => {
      const host = hostOf(maConn.remoteAddr)
      return host != null && active.some((r) => r.admitsHandshake?.(host) === false)
    },
    denyDialPeer: async (peer) => refused(peer),
    denyInboundEncryptedConnection: async (peer) => refused(peer),
    denyOutboundEncryptedConnection: async (peer) => refused(peer)
  }
}
