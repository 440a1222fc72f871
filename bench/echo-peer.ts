/**
 * A libp2p node in its own process that echoes requests on the rpc channel: the far end of the
 * cross-process stream round trip the placement benchmark compares against. Prints its
 * multiaddr, then serves until killed.
 */
import { rpcNode } from './rpc.bench.js'

const node = await rpcNode()
node.services.rpc.setHandler(async (body) => body)
process.stdout.write(`${node.getMultiaddrs()[0]!.toString()}\n`)
