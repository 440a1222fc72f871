/**
 * What the resolver needs from the mesh, in libp2p terms: providers and records in the DHT,
 * code from a provider, and the candidate publishers of a name (the peers in the capacity view).
 */
import { CID } from 'multiformats/cid'
import type { MeshNode } from './index.js'
import type { ResolverComponents } from '../resolver/index.js'

export type CodeRouting = Pick<ResolverComponents, 'candidates' | 'findProviders' | 'fetchCode' | 'provide' | 'putRecord' | 'getRecord'>

export function codeRouting (node: MeshNode): CodeRouting {
  return {
    candidates: () => node.services.adverts.peers().map((p) => p.peerId.toString()),
    findProviders: (cid, options) => node.contentRouting.findProviders(CID.parse(cid), options),
    fetchCode: async (provider, cid, options) => {
      // a provider we are not connected to is dialed through the addresses the DHT gave
      if (node.getConnections(provider.id).length === 0 && provider.multiaddrs.length > 0) {
        await node.peerStore.merge(provider.id, { multiaddrs: provider.multiaddrs })
      }
      return node.services.code.fetch(provider.id, cid, options)
    },
    provide: async (cid, options) => { await node.contentRouting.provide(CID.parse(cid), options) },
    putRecord: async (key, value, options) => { await node.contentRouting.put(key, value, options) },
    getRecord: async (key, options) => node.contentRouting.get(key, options)
  }
}
