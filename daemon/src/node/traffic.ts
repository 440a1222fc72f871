/**
 * The node's traffic meter (issue 14): every protocol service gets the same one, counts the bytes
 * of the frames it writes and reads (`protocols/src/traffic.ts`: payload and length prefix, not
 * libp2p's noise and yamux overhead), and this keeps the totals in memory for experiments and
 * feeds `faasmesh_traffic_bytes_total{protocol, direction}`.
 */
import { trafficMeter, type TrafficMeter, type TrafficSnapshot } from '../../../protocols/src/traffic.js'
import { trafficCounter } from './metrics.js'
import type { Registry } from 'prom-client'

export type { TrafficMeter, TrafficSnapshot } from '../../../protocols/src/traffic.js'

/**
 * A meter for the node's protocol services (`traffic` in their init): counts in memory
 * (`snapshot()`) and, given a registry, in `faasmesh_traffic_bytes_total`.
 */
export function meteredTraffic (registry?: Registry): TrafficMeter & { snapshot(): TrafficSnapshot } {
  const totals = trafficMeter()
  if (registry == null) return totals
  const counter = trafficCounter(registry)
  // a frame costs a map lookup, not a hash of its labels: one child per protocol and direction
  const children = new Map<string, { in: { inc(bytes: number): void }, out: { inc(bytes: number): void } }>()
  return {
    add (protocol, direction, bytes) {
      totals.add(protocol, direction, bytes)
      let child = children.get(protocol)
      if (child == null) {
        child = { in: counter.labels({ protocol, direction: 'in' }), out: counter.labels({ protocol, direction: 'out' }) }
        children.set(protocol, child)
      }
      child[direction].inc(bytes)
    },
    snapshot: () => totals.snapshot()
  }
}
