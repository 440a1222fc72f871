/**
 * @packageDocumentation
 *
 * The daemon's libp2p node: TCP + noise + yamux, identify, ping, a private Kademlia DHT, gossipsub
 * (StrictSign), the capacity adverts, code transfer, the auction and remote invocation, with
 * bootstrap re-dialing and mDNS discovery that actually dials what it finds. Settings that a loopback or LAN mesh needs are explained where
 * they are made (shared/research/libp2p-v3.md).
 */
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { identify, type Identify } from '@libp2p/identify'
import { kadDHT, passthroughMapper, type KadDHT } from '@libp2p/kad-dht'
import { noise } from '@libp2p/noise'
import { ping, type Ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { capacityAdverts, gossipScoreParams, type CapacityAdverts } from '../../../protocols/src/adverts/index.js'
import { auction, type Auction } from '../../../protocols/src/auction/index.js'
import { codeTransfer, type CodeTransfer } from '../../../protocols/src/code/index.js'
import { invokeProtocol, type Invoke } from '../../../protocols/src/invoke/index.js'
import { stateProtocol, type StateService } from '../../../protocols/src/state/index.js'
import { chainData, type ChainData } from '../../../protocols/src/chain-data/index.js'
import type { TrafficMeter } from '../../../protocols/src/traffic.js'
import { NAME_KEY_NAMESPACE, nameExchange, selectNameRecord, validateNameRecord, type NameExchange } from '../../../protocols/src/names/index.js'
import { PROTOCOL_PREFIX } from '../../../protocols/src/constants.js'
import { DiscoveryDialer } from './discovery-dialer.js'
import { refusingGater, type PeerRefusal } from '../fairness/gater.js'
import type { PeerLimitsInit } from '../../../protocols/src/limits/index.js'
import { BootstrapRedialer } from './redial.js'
import type { LinkTable } from '../links/index.js'
import type { ComponentLogger, Libp2p, PeerDiscovery, PrivateKey } from '@libp2p/interface'

export interface MeshNodeInit {
  listen: string[]
  bootstrap: string[]
  mdns: boolean
  advertIntervalMs: number
  /** Largest module the code transfer sends or accepts. */
  maxModuleBytes: number
  /** Longest a peer may keep a remote invocation of ours running. */
  maxInvokeMs: number
  /** Testbeds only: emulated links and partitions. */
  links?: LinkTable
  /** Counts each protocol's frames, both ways (`faasmesh_traffic_bytes_total`). */
  traffic?: TrafficMeter
  /** A private mesh's pre-shared key (network/psk.ts): only nodes with the same key connect. */
  psk?: Uint8Array
  /** Peers refused connections for a while (daemon/src/fairness: far over their limits). */
  bans?: PeerRefusal
  /** Per remote peer buckets for code, auction, invoke, state and chain data (`fairness.*`). */
  limits?: PeerLimitsInit
}

export interface MeshNodeComponents {
  privateKey: PrivateKey
  logger: ComponentLogger
}

// a type alias, not an interface: libp2p's ServiceMap needs an index signature
export type MeshServices = {
  identify: Identify
  ping: Ping
  dht: KadDHT
  pubsub: GossipSub
  adverts: CapacityAdverts
  code: CodeTransfer
  names: NameExchange
  auction: Auction
  invoke: Invoke
  state: StateService
  chainData: ChainData
}

export type MeshNode = Libp2p<MeshServices>

/** The private DHT: never mixes with the public IPFS Amino DHT. */
export const DHT_PROTOCOL = `${PROTOCOL_PREFIX}/kad/1.0.0`

/** A created (not started) libp2p node plus the loops that keep it connected. */
export interface Mesh {
  node: MeshNode
  start(): Promise<void>
  stop(): Promise<void>
}

/** libp2p.stop() has been seen to hang (lodestar #9744): never wait longer than this. */
const STOP_TIMEOUT_MS = 5_000

export async function createMesh (init: MeshNodeInit, components: MeshNodeComponents): Promise<Mesh> {
  const log = components.logger.forComponent('faasmesh:node')
  const links = init.links
  const peerDiscovery: Array<(components: any) => PeerDiscovery> = []
  // 10 s between queries keeps multicast chatter low; a new node announces itself at start
  // mDNS and the private-mesh protector are loaded only when used: mDNS (multicast-dns and its
  // DNS codec) weighs a few MiB a node that does not use it never needs (docs/performance.md)
  if (init.mdns) {
    const { mdns } = await import('@libp2p/mdns')
    peerDiscovery.push(mdns({ interval: 10_000 }))
  }
  const protector = init.psk != null ? (await import('@libp2p/pnet')).preSharedKey({ psk: init.psk }) : undefined

  const node = await createLibp2p({
    start: false,
    privateKey: components.privateKey,
    logger: components.logger,
    addresses: { listen: init.listen },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    // a private mesh: every connection is encrypted under the shared key before noise starts, so
    // a node without it fails the first handshake and never reaches identify, the DHT or gossip
    ...(protector != null ? { connectionProtector: protector } : {}),
    streamMuxers: [yamux()],
    peerDiscovery,
    // a testbed partition: no dial to, and no connection from, a blocked peer until it is lifted
    // and a peer banned for flooding (daemon/src/fairness): neither dialled nor accepted
    connectionGater: refusingGater(links, init.bans),
    connectionManager: {
      // by default only 5 inbound connections per second per remote IP are accepted: several
      // nodes on one host or behind one NAT starting together would be turned away for good
      inboundConnectionThreshold: 100,
      allow: ['/ip4/127.0.0.0/ipcidr/8', '/ip6/::1/ipcidr/128'],
      maxConnections: 300
    },
    services: {
      identify: identify(),
      ping: ping(),
      // server mode and a mapper that keeps private addresses: the defaults (client mode,
      // public addresses only) leave a LAN or loopback DHT empty and its queries hanging
      dht: kadDHT({
        protocol: DHT_PROTOCOL,
        clientMode: false,
        peerInfoMapper: passthroughMapper,
        // signed function-name records (/faasmesh/fn/<publisher>/<name>): every node refuses
        // unsigned, badly signed or misplaced ones and keeps the newest
        validators: { [NAME_KEY_NAMESPACE]: validateNameRecord },
        selectors: { [NAME_KEY_NAMESPACE]: selectNameRecord }
      }),
      // every node signs (StrictSign): a policy mismatch drops messages silently both ways;
      // floodPublish so a new advert reaches every subscribed neighbour at once in small meshes
      pubsub: gossipsub({ globalSignaturePolicy: 'StrictSign', floodPublish: true, emitSelf: false, scoreParams: gossipScoreParams() }),
      adverts: capacityAdverts({ intervalMs: init.advertIntervalMs }),
      code: codeTransfer({ maxModuleBytes: init.maxModuleBytes, shaper: links, traffic: init.traffic, limits: init.limits }),
      // name records asked of a peer (the publisher first) before a DHT walk, and handed by a
      // publisher to its peers before its deploy answers (daemon/src/resolver)
      names: nameExchange({ shaper: links, traffic: init.traffic, limits: init.limits }),
      // placement (daemon/src/placement): bids and invocations on long-lived multiplexed streams
      auction: auction({ shaper: links, traffic: init.traffic, limits: init.limits }),
      invoke: invokeProtocol({ timeoutMs: init.maxInvokeMs, shaper: links, traffic: init.traffic, limits: init.limits }),
      // in-edge state and the directory of in-function homes (daemon/src/state)
      state: stateProtocol({ shaper: links, traffic: init.traffic, limits: init.limits }),
      // chain steps' outputs, fetched by the node that runs the next step (daemon/src/chains)
      chainData: chainData({ shaper: links, traffic: init.traffic, limits: init.limits })
    }
  })
  const redialer = new BootstrapRedialer(node, init.bootstrap, log)
  const dialer = new DiscoveryDialer(node, log)

  return {
    node,
    async start () {
      await node.start()
      await dialer.start()
      await redialer.start()
    },
    async stop () {
      await redialer.stop()
      await dialer.stop()
      let timer: ReturnType<typeof setTimeout> | undefined
      const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => { resolve('timeout') }, STOP_TIMEOUT_MS) })
      const result = await Promise.race([Promise.resolve(node.stop()).then(() => 'stopped' as const), timeout])
      clearTimeout(timer)
      if (result === 'timeout') log.error('libp2p did not stop within %d ms; leaving it behind', STOP_TIMEOUT_MS)
    }
  }
}
