/**
 * Traffic accounting (issue 14): the bytes of every frame a protocol writes to or reads from a
 * peer, by protocol, so experiments can report traffic per chain. A frame counts its payload and
 * its varint length prefix: what the protocol puts on its stream. libp2p's own overhead below
 * that (noise's tags and framing, yamux headers and window updates, multistream-select) is not
 * counted, nor are retransmissions. A service given no meter (the default) counts nothing and
 * pays nothing for it; with one, it costs one call per frame.
 */

/** Where a protocol reports the frames it wrote (`out`) and read (`in`). */
export interface TrafficMeter {
  /** `bytes` more of `protocol`'s frames (the short name: `auction`, `invoke`, `code`...) went `direction`. */
  add(protocol: string, direction: 'in' | 'out', bytes: number): void
}

/** Bytes per protocol and direction, as counted so far. */
export type TrafficSnapshot = Record<string, { in: number, out: number }>

/** A meter that only counts, in memory: `snapshot()` is a copy of the totals. */
export function trafficMeter (): TrafficMeter & { snapshot(): TrafficSnapshot } {
  const totals = new Map<string, { in: number, out: number }>()
  return {
    add (protocol, direction, bytes) {
      let entry = totals.get(protocol)
      if (entry == null) {
        entry = { in: 0, out: 0 }
        totals.set(protocol, entry)
      }
      entry[direction] += bytes
    },
    snapshot () {
      const copy: TrafficSnapshot = {}
      for (const [protocol, entry] of totals) copy[protocol] = { ...entry }
      return copy
    }
  }
}

/**
 * The short name a protocol id is counted under: `/faasmesh/chain-data/1.0.0` -> `chain-data`
 * (the segment before the version); an id without one counts under itself.
 */
export function protocolName (protocol: string): string {
  const parts = protocol.split('/')
  return parts.length >= 3 ? (parts[parts.length - 2] ?? protocol) : protocol
}

/** The bytes a frame of `payloadBytes` takes on its stream: the payload and its varint length prefix. */
export function framedBytes (payloadBytes: number): number {
  let prefix = 1
  for (let n = payloadBytes; n >= 128; n = Math.floor(n / 128)) prefix++
  return prefix + payloadBytes
}
