/** Prometheus metrics of the mesh: peers, connections, adverts sent, received and rejected, traffic per protocol. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { MeshNode } from './index.js'

export function registerMeshMetrics (registry: Registry, node: MeshNode): void {
  const adverts = node.services.adverts
  new Gauge({
    name: 'faasmesh_mesh_peers',
    help: 'Peers in the capacity view (an advert within the TTL)',
    registers: [registry],
    collect () { this.set(adverts.peers().length) }
  })
  new Gauge({
    name: 'faasmesh_mesh_connections',
    help: 'Open libp2p connections',
    registers: [registry],
    collect () { this.set(node.getConnections().length) }
  })
  const sent = new Counter({ name: 'faasmesh_adverts_sent_total', help: 'Capacity adverts published, by trigger', labelNames: ['trigger'], registers: [registry] })
  const received = new Counter({ name: 'faasmesh_adverts_received_total', help: 'Capacity adverts accepted from peers', registers: [registry] })
  const rejected = new Counter({ name: 'faasmesh_adverts_rejected_total', help: 'Capacity adverts rejected by the topic validator, by reason', labelNames: ['reason'], registers: [registry] })
  const delay = new Histogram({
    name: 'faasmesh_adverts_delay_seconds',
    help: 'Time from an advert being made to it arriving here (clocks of both nodes)',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry]
  })
  adverts.addEventListener('advert:sent', (evt) => { sent.inc({ trigger: evt.detail.trigger }) })
  adverts.addEventListener('advert:received', (evt) => {
    received.inc()
    if (evt.detail.delayMs >= 0) delay.observe(evt.detail.delayMs / 1000)
  })
  adverts.addEventListener('advert:rejected', (evt) => { rejected.inc({ reason: evt.detail.reason }) })
}

/**
 * `faasmesh_traffic_bytes_total{protocol, direction}`: the bytes of the frames each protocol
 * wrote (`out`) and read (`in`), payload and length prefix, not libp2p's noise and yamux
 * overhead. `protocol` is the id's short name: auction, invoke, state, chain-data, code. Fed by
 * `meteredTraffic` (./traffic.ts), which the protocol services are given as `traffic`.
 */
export function trafficCounter (registry: Registry): Counter<'protocol' | 'direction'> {
  return new Counter({
    name: 'faasmesh_traffic_bytes_total',
    help: 'Bytes of protocol frames sent (out) and received (in), by protocol; libp2p noise and yamux overhead excluded',
    labelNames: ['protocol', 'direction'],
    registers: [registry]
  })
}
