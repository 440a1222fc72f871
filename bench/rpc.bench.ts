/**
 * The transport under auction and invoke: a 100-byte request over the shared long-lived channel
 * against opening a new stream per request, between two libp2p nodes (TCP + noise + yamux on
 * 127.0.0.1, one process), next to a raw loopback TCP round trip, all in the same run.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { rpc, type Rpc } from '../protocols/src/rpc/index.js'
import { tcpRoundTrip } from './mesh.bench.js'
import { sample, summarize, type Summary } from './stats.js'
import type { Row } from './report.js'
import type { Libp2p } from '@libp2p/interface'

const POLYFILLS = fileURLToPath(new URL('../daemon/src/polyfills.js', import.meta.url))
const ECHO_PEER = fileURLToPath(new URL('./echo-peer.js', import.meta.url))

export const ECHO_PROTOCOL = '/faasmesh/bench-rpc/1.0.0'
const ONE_SHOT = '/faasmesh/bench-oneshot/1.0.0'

export type RpcNode = Libp2p<{ rpc: Rpc }>

/** A libp2p node on 127.0.0.1 with just the rpc channel (TCP + noise + yamux, as the daemon). */
export async function rpcNode (): Promise<RpcNode> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), rpc: rpc({ protocol: ECHO_PROTOCOL }) }
  }) as unknown as Promise<RpcNode>
}

/** Two libp2p nodes in this process, connected, the server echoing on the rpc channel. */
async function echoPair (): Promise<{ server: RpcNode, client: RpcNode }> {
  const [server, client] = await Promise.all([rpcNode(), rpcNode()])
  server.services.rpc.setHandler(async (body) => body)
  await client.dial(server.getMultiaddrs())
  return { server, client }
}

/**
 * Round trips of a 100 B request on a long-lived libp2p stream to an echo node in another
 * process: the floor under a bid between two daemons.
 */
export async function crossProcessRoundTrip (n: number): Promise<Summary> {
  const peer = spawn(process.execPath, ['--import', POLYFILLS, ECHO_PEER], { stdio: ['ignore', 'pipe', 'inherit'] })
  const client = await rpcNode()
  try {
    const addr = await new Promise<string>((resolve, reject) => {
      let out = ''
      const timer = setTimeout(() => { reject(new Error('echo peer did not start')) }, 15_000)
      peer.stdout!.on('data', (d) => { out += String(d); if (out.includes('\n')) { clearTimeout(timer); resolve(out.trim()) } })
      peer.once('exit', (code) => { clearTimeout(timer); reject(new Error(`echo peer exited ${code}`)) })
    })
    const connection = await client.dial(multiaddr(addr))
    const body = new Uint8Array(100)
    return summarize(await sample(n, async () => { await client.services.rpc.request(connection.remotePeer, body) }))
  } finally {
    peer.kill('SIGKILL')
    await client.stop()
  }
}

export async function benchRpc (quick: boolean): Promise<Row[]> {
  const n = quick ? 300 : 2000
  const { server, client } = await echoPair()
  try {
    await server.handle(ONE_SHOT, async (stream) => {
      const lp = lpStream(stream)
      await lp.write(await lp.read())
      await stream.close()
    })
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
    const cancel = await cancelLatency(server, client, quick ? 100 : 500)
    return [
      { group: 'rpc', name: '100 B request on the shared channel (rpc)', result: channel, baselineName: 'raw loopback TCP round trip', baseline: tcpRtt },
      { group: 'rpc', name: '100 B request on a new stream per call', result: perStream, baselineName: 'raw loopback TCP round trip', baseline: tcpRtt },
      { group: 'rpc', name: '100 B request on the shared channel (rpc)', result: channel, baselineName: 'a new stream per call', baseline: perStream },
      { group: 'rpc', name: 'caller\'s abort to the remote handler\'s abort (CANCEL frame)', result: cancel, baselineName: '100 B request on the shared channel (rpc)', baseline: channel }
    ]
  } finally {
    await Promise.all([server.stop(), client.stop()])
  }
}

/**
 * From a caller's abort to the remote handler's signal aborting: the trip of a CANCEL frame
 * (issue 12), which is what frees a remote slot when a client goes away. One clock: both
 * nodes are in this process.
 */
async function cancelLatency (server: RpcNode, client: RpcNode, n: number): Promise<Summary> {
  let started = (): void => {}
  let aborted = (_at: number): void => {}
  server.services.rpc.setHandler(async (body, { signal }) => {
    if (body[0] !== 1) return body
    started()
    await new Promise<void>((resolve) => { signal.addEventListener('abort', () => { aborted(performance.now()); resolve() }, { once: true }) })
    return body
  })
  const hold = new Uint8Array([1])
  const samples: number[] = []
  for (let i = 0; i < n; i++) {
    const running = new Promise<void>((resolve) => { started = resolve })
    const done = new Promise<number>((resolve) => { aborted = resolve })
    const controller = new AbortController()
    const request = client.services.rpc.request(server.peerId, hold, { signal: controller.signal, timeoutMs: 5000 }).catch(() => {})
    await running
    const abortedAt = performance.now()
    controller.abort()
    samples.push((await done) - abortedAt)
    await request
  }
  return summarize(samples)
}
