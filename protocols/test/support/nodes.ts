/**
 * Real libp2p nodes over TCP on 127.0.0.1, in this process, with just what the adverts protocol
 * needs (identify + gossipsub). Every node created here is stopped by `stopAll()`.
 */
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p, type Libp2pOptions } from 'libp2p'
import { capacityAdverts, gossipScoreParams, type CapacityAdverts, type CapacityAdvertsInit } from '../../src/adverts/index.js'
import type { Libp2p } from '@libp2p/interface'

const started: Libp2p[] = []

export type AdvertNode = Libp2p<{ pubsub: GossipSub, adverts: CapacityAdverts }>
export type BareNode = Libp2p<{ pubsub: GossipSub }>

/** libp2p over TCP on 127.0.0.1 with noise and yamux: what every in-process test node starts from. */
export const base: Pick<Libp2pOptions, 'addresses' | 'transports' | 'connectionEncrypters' | 'streamMuxers' | 'connectionManager'> = {
  addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  connectionManager: { allow: ['/ip4/127.0.0.0/ipcidr/8'] }
}

export async function advertNode (init: CapacityAdvertsInit = {}): Promise<AdvertNode> {
  const node = await createLibp2p({
    ...base,
    services: {
      identify: identify(),
      pubsub: gossipsub({ globalSignaturePolicy: 'StrictSign', floodPublish: true, scoreParams: gossipScoreParams() }),
      adverts: capacityAdverts(init)
    }
  })
  started.push(node)
  return node as unknown as AdvertNode
}

/** A node with gossipsub only: it can put any bytes on the adverts topic. */
export async function bareNode (policy: 'StrictSign' | 'StrictNoSign' = 'StrictSign'): Promise<BareNode> {
  const node = await createLibp2p({
    ...base,
    services: { identify: identify(), pubsub: gossipsub({ globalSignaturePolicy: policy, floodPublish: true, allowPublishToZeroTopicPeers: true }) }
  })
  started.push(node)
  return node as unknown as BareNode
}

export async function connect (a: Libp2p, b: Libp2p): Promise<void> {
  await a.dial(b.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
}

export async function stopAll (): Promise<void> {
  await Promise.all(started.splice(0).map(async (n) => { await n.stop() }))
}
