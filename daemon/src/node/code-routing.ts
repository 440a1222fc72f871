/**
 * What the resolver needs from the mesh, in libp2p terms: providers and records in the DHT,
 * code from a provider, and the candidate publishers of a name (the peers in the capacity view).
 */
import { NotFoundError } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import { MAX_ANNOUNCE_PEERS } from '../resolver/index.js'
import { selectNameRecord, verifyNameRecord } from '../../../protocols/src/names/index.js'
import type { MeshNode } from './index.js'
import type { AbortOptions } from '@libp2p/interface'

/**
 * After the first valid copy of a name record arrives, other copies get this long to arrive
 * before the newest is chosen. A full kad-dht `get` waits for the whole query (60-100 ms on a
 * 5-node loopback mesh); a redeploy reaches every closest peer together, so a short window keeps
 * the newest record without that wait.
 */
const RECORD_GRACE_MS = 25
import type { ResolverComponents } from '../resolver/index.js'

export type CodeRouting = Pick<ResolverComponents, 'candidates' | 'findProviders' | 'fetchCode' | 'provide' | 'putRecord' | 'getRecord' | 'queryName' | 'pushName' | 'serveNames'>

export function codeRouting (node: MeshNode): CodeRouting {
  return {
    candidates: () => node.services.adverts.peers().map((p) => p.peerId.toString()),
    // a node with no connection has nobody to ask: kad-dht would wait for a first peer until the
    // caller's timeout, so a lone node's unknown CID or name fails at once instead
    findProviders: (cid, options) => alone(node) ? none() : node.contentRouting.findProviders(CID.parse(cid), options),
    fetchCode: async (provider, cid, options) => {
      // a provider we are not connected to is dialed through the addresses the DHT gave
      if (node.getConnections(provider.id).length === 0 && provider.multiaddrs.length > 0) {
        await node.peerStore.merge(provider.id, { multiaddrs: provider.multiaddrs })
      }
      return node.services.code.fetch(provider.id, cid, options)
    },
    provide: async (cid, options) => { await node.contentRouting.provide(CID.parse(cid), options) },
    putRecord: async (key, value, options) => { await node.contentRouting.put(key, value, options) },
    getRecord: async (key, options) => {
      if (alone(node)) throw new NotFoundError('no peer to ask for the record')
      return getNameRecord(node, key, options)
    },
    queryName: async (peer, publisher, name, options) => node.services.names.query(peerIdFromString(peer), publisher, name, options),
    pushName: async (record, options) => {
      // every connected peer at once: one small frame each on a connection that exists
      const peers = [...new Set(node.getConnections().map((c) => c.remotePeer.toString()))].slice(0, MAX_ANNOUNCE_PEERS)
      const handed = await Promise.allSettled(peers.map(async (p) => { await node.services.names.announce(peerIdFromString(p), record, options) }))
      return handed.filter((h) => h.status === 'fulfilled').length
    },
    serveNames: (handler) => { node.services.names.setHandler(handler) }
  }
}

function alone (node: MeshNode): boolean {
  return node.getConnections().length === 0
}

async function * none (): AsyncIterable<never> {}

async function getNameRecord (node: MeshNode, key: Uint8Array, options: AbortOptions): Promise<Uint8Array> {
  const values: Uint8Array[] = []
  const enough = new AbortController()
  const signal = options.signal == null ? enough.signal : AbortSignal.any([options.signal, enough.signal])
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    for await (const event of node.services.dht.get(key, { signal })) {
      if (event.name !== 'VALUE') continue
      try {
        await verifyNameRecord(key, event.value)
      } catch {
        continue // a bad copy from one peer does not end the search
      }
      values.push(event.value)
      timer ??= setTimeout(() => { enough.abort() }, RECORD_GRACE_MS)
    }
  } catch (err) {
    if (values.length === 0) throw err
  } finally {
    clearTimeout(timer)
  }
  if (values.length === 0) throw new NotFoundError('no valid record for that key')
  return values[selectNameRecord(key, values)]!
}
