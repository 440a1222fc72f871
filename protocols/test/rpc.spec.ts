import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import { expect } from 'chai'
import { createLibp2p } from 'libp2p'
import { rpc, type Rpc } from '../src/rpc/index.js'
import type { Libp2p } from '@libp2p/interface'

const PROTOCOL = '/faasmesh/test-rpc/1.0.0'
type RpcNode = Libp2p<{ rpc: Rpc }>
const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)

async function rpcNode (maxInFlight = 256): Promise<RpcNode> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), rpc: rpc({ protocol: PROTOCOL, maxFrameBytes: 1024, maxInFlight, timeoutMs: 2000 }) }
  }) as unknown as Promise<RpcNode>
}

async function failure (promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (err: any) {
    return err.name
  }
  throw new Error('expected a failure')
}

describe('rpc channel', function () {
  this.timeout(20_000)
  let server: RpcNode
  let client: RpcNode

  beforeEach(async function () {
    ;[server, client] = await Promise.all([rpcNode(4), rpcNode()])
    server.services.rpc.setHandler(async (body, { signal }) => {
      const text = dec(body)
      if (text === 'fail') throw new Error('handler failure')
      const wait = Number(/^sleep (\d+)$/.exec(text)?.[1] ?? 0)
      if (wait > 0) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, wait)
          signal.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason) })
        })
      }
      return enc(`echo ${text}`)
    })
    await client.dial(server.getMultiaddrs())
  })

  afterEach(async function () {
    await Promise.all([server.stop(), client.stop()])
  })

  it('answers requests over one stream, matching out-of-order answers by id', async function () {
    const answers = await Promise.all(['sleep 60', 'sleep 1', 'a'].map(async (t) => dec(await client.services.rpc.request(server.peerId, enc(t)))))
    expect(answers).to.deep.equal(['echo sleep 60', 'echo sleep 1', 'echo a'])
    const streams = client.getConnections(server.peerId).flatMap((c) => c.streams).filter((s) => s.protocol === PROTOCOL)
    expect(streams).to.have.length(1)
    for (let i = 0; i < 20; i++) await client.services.rpc.request(server.peerId, enc(String(i)))
    expect(client.getConnections(server.peerId).flatMap((c) => c.streams).filter((s) => s.protocol === PROTOCOL)).to.have.length(1)
  })

  it('reports a failed handler, a missed deadline and a busy responder by name', async function () {
    expect(await failure(client.services.rpc.request(server.peerId, enc('fail')))).to.equal('RpcRemoteError')
    expect(await failure(client.services.rpc.request(server.peerId, enc('sleep 500'), { timeoutMs: 100 }))).to.equal('RpcTimeoutError')
    const flood = await Promise.allSettled(Array.from({ length: 10 }, async () => client.services.rpc.request(server.peerId, enc('sleep 200'))))
    const names = flood.map((r) => r.status === 'fulfilled' ? 'ok' : (r.reason as Error).name)
    expect(names.filter((n) => n === 'ok').length).to.be.at.least(3)
    expect(names).to.include('RpcBusyError')
    // and still answers afterwards
    expect(dec(await client.services.rpc.request(server.peerId, enc('after')))).to.equal('echo after')
  })

  it('reopens the channel when the stream dies, and refuses oversized frames', async function () {
    await client.services.rpc.request(server.peerId, enc('first'))
    for (const s of client.getConnections(server.peerId).flatMap((c) => c.streams).filter((st) => st.protocol === PROTOCOL)) s.abort(new Error('cut'))
    expect(dec(await client.services.rpc.request(server.peerId, enc('second')))).to.equal('echo second')
    const before = client.getConnections(server.peerId).flatMap((c) => c.streams).filter((st) => st.protocol === PROTOCOL)
    expect(await failure(client.services.rpc.request(server.peerId, new Uint8Array(5000)))).to.equal('InvalidParametersError')
    expect(dec(await client.services.rpc.request(server.peerId, enc('third')))).to.equal('echo third')
    // refused before sending: the channel was kept
    expect(client.getConnections(server.peerId).flatMap((c) => c.streams).filter((st) => st.protocol === PROTOCOL)).to.deep.equal(before)
  })

  it('survives garbage and oversized frames from a raw stream and keeps serving other channels', async function () {
    const garbage = await client.dialProtocol(server.peerId, PROTOCOL)
    await lpStream(garbage).write(new Uint8Array([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x12]))
    const oversized = await client.dialProtocol(server.peerId, PROTOCOL)
    await lpStream(oversized).write(new Uint8Array(5000)).catch(() => {})
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(dec(await client.services.rpc.request(server.peerId, enc('fine')))).to.equal('echo fine')
  })
})

describe('rpc channel under a slow write', function () {
  this.timeout(20_000)
  const nodes: RpcNode[] = []

  afterEach(async function () {
    await Promise.all(nodes.splice(0).map(async (n) => { await n.stop() }))
  })

  it('fails a request that times out while its frame is still being written, without an unhandled rejection', async function () {
    const big = async (): Promise<RpcNode> => createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), rpc: rpc({ protocol: PROTOCOL, maxFrameBytes: 8 << 20 }) }
    }) as unknown as Promise<RpcNode>
    const [server, client] = await Promise.all([big(), big()])
    nodes.push(server, client)
    server.services.rpc.setHandler(async (body) => body.subarray(0, 1))
    await client.dial(server.getMultiaddrs())
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
    process.on('unhandledRejection', onUnhandled)
    try {
      // several MB through yamux's flow-control window take far longer than 1 ms to write
      const outcomes = await Promise.all(Array.from({ length: 4 }, async () => failure(client.services.rpc.request(server.peerId, new Uint8Array(6 << 20), { timeoutMs: 1 }))))
      expect(outcomes).to.deep.equal(['RpcTimeoutError', 'RpcTimeoutError', 'RpcTimeoutError', 'RpcTimeoutError'])
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(unhandled).to.deep.equal([])
      expect((await client.services.rpc.request(server.peerId, enc('after'))).byteLength, 'the channel still serves').to.equal(1)
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})
