/**
 * The transport under auction and invoke: a 100-byte request over the shared long-lived channel
 * against opening a new stream per request, between two libp2p nodes (TCP + noise + yamux on
 * 127.0.0.1, one process), next to a raw loopback TCP round trip, all in the same run.
 */
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { rpc, type Rpc } from '../protocols/src/rpc/index.js'
import { tcpRoundTrip } from './mesh.bench.js'
import { sample, summarize } from './stats.js'
import type { Row } from './report.js'
import type { Libp2p } from '@libp2p/interface'

const PROTOCOL = '/faasmesh/bench-rpc/1.0.0'
const ONE_SHOT = '/faasmesh/bench-oneshot/1.0.0'

export async function benchRpc (quick: boolean): Promise<Row[]> {
  const n = quick ? 300 : 2000
  const make = async (): Promise<Libp2p<{ rpc: Rpc }>> => createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), rpc: rpc({ protocol: PROTOCOL }) }
  }) as unknown as Promise<Libp2p<{ rpc: Rpc }>>
  const [server, client] = await Promise.all([make(), make()])
  try {
    server.services.rpc.setHandler(async (body) => body)
    await server.handle(ONE_SHOT, async (stream) => {
      const lp = lpStream(stream)
      await lp.write(await lp.read())
      await stream.close()
    })
    await client.dial(server.getMultiaddrs())
    const body = new Uint8Array(100)
    const channel = summarize(await sample(n, async () => { await client.services.rpc.request(server.peerId, body) }))
    const perStream = summarize(await sample(n, async () => {
      const stream = await client.dialProtocol(server.peerId, ONE_SHOT)
      const lp = lpStream(stream)
      await lp.write(body)
      await lp.read()
      await stream.close()
    }))
    const tcpRtt = await tcpRoundTrip(n)
    return [
      { group: 'rpc', name: '100 B request on the shared channel (rpc)', result: channel, baselineName: 'raw loopback TCP round trip', baseline: tcpRtt },
      { group: 'rpc', name: '100 B request on a new stream per call', result: perStream, baselineName: 'raw loopback TCP round trip', baseline: tcpRtt },
      { group: 'rpc', name: '100 B request on the shared channel (rpc)', result: channel, baselineName: 'a new stream per call', baseline: perStream }
    ]
  } finally {
    await Promise.all([server.stop(), client.stop()])
  }
}
