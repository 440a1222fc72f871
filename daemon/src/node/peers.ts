/** The capacity view as the HTTP API and the CLI show it: plain JSON, no libp2p types. */
import { multiaddr } from '@multiformats/multiaddr'
import { CID } from 'multiformats/cid'
import type { PeerEntry } from '../../../protocols/src/adverts/index.js'
import type { PeerSummary } from '../gateway/index.js'

function cidString (bytes: Uint8Array): string {
  try {
    return CID.decode(bytes).toString()
  } catch {
    return '(invalid)'
  }
}

export function summarizePeer (entry: PeerEntry, now: number): PeerSummary {
  const a = entry.advert
  return {
    peerId: entry.peerId.toString(),
    addrs: a.multiaddrs.map((bytes) => multiaddr(bytes).toString()),
    httpAddrs: a.httpAddrs,
    tags: Object.fromEntries(a.tags.map((t) => [t.key, t.value])),
    slots: { total: a.slotsTotal, free: a.slotsFree },
    queueLength: a.queueLength,
    speed: a.speed,
    memoryFreeBytes: a.memoryFreeBytes,
    ...(a.batteryPercent != null ? { batteryPercent: a.batteryPercent } : {}),
    warm: a.warmCids.map(cidString),
    seq: a.seq,
    ageMs: Math.max(0, now - entry.receivedAt),
    delayMs: entry.receivedAt - a.timestamp
  }
}
