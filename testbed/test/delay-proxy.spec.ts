/**
 * The delay proxy in front of the external model's Redis: latency each way, bytes paced at the
 * link's bandwidth, order kept, bytes counted, connections closed both ways; and a real
 * redis-server answering through it (when one is installed).
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'chai'
import { startDelayProxy, type DelayProxy } from '../src/delay-proxy.js'
import { redisMissing, startRedisServer } from '../src/redis.js'

/** An echo server on a free loopback port. */
async function echoServer (): Promise<{ server: Server, port: number }> {
  const server = createServer({ allowHalfOpen: true }, (s) => { s.pipe(s) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, port: (server.address() as { port: number }).port }
}

async function connect (port: number): Promise<Socket> {
  return await new Promise((resolve, reject) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => { resolve(s) })
    s.once('error', reject)
  })
}

/** Sends `bytes` and resolves with the ms until as many came back. */
async function roundTrip (socket: Socket, bytes: number): Promise<number> {
  const t0 = performance.now()
  return await new Promise((resolve) => {
    let got = 0
    const onData = (d: Buffer): void => {
      got += d.byteLength
      if (got >= bytes) { socket.off('data', onData); resolve(performance.now() - t0) }
    }
    socket.on('data', onData)
    socket.write(Buffer.alloc(bytes, 0x61))
  })
}

describe('testbed delay proxy', function () {
  this.timeout(30_000)
  let echo: { server: Server, port: number }
  const proxies: DelayProxy[] = []
  const sockets: Socket[] = []

  before(async function () { echo = await echoServer() })
  afterEach(async function () {
    for (const s of sockets.splice(0)) s.destroy()
    await Promise.all(proxies.splice(0).map(async (p) => { await p.close() }))
  })
  after(async function () { await new Promise((resolve) => echo.server.close(resolve)) })

  it('delays each direction by the latency: a round trip takes two of them', async function () {
    const proxy = await startDelayProxy({ target: { host: '127.0.0.1', port: echo.port }, latencyMs: 60, bandwidthMbps: 0 })
    proxies.push(proxy)
    const socket = await connect(proxy.port)
    sockets.push(socket)
    const ms = await roundTrip(socket, 100)
    expect(ms).to.be.within(118, 200)
    expect(proxy.bytes()).to.deep.equal({ up: 100, down: 100 })
  })

  it('paces the bytes at the bandwidth, and keeps their order', async function () {
    const proxy = await startDelayProxy({ target: { host: '127.0.0.1', port: echo.port }, latencyMs: 5, bandwidthMbps: 40 })
    proxies.push(proxy)
    const socket = await connect(proxy.port)
    sockets.push(socket)
    // 500 KB at 40 Mb/s: 100 ms each way, plus 2 x 5 ms
    const payload = Buffer.alloc(500_000)
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff
    const t0 = performance.now()
    const back = await new Promise<Buffer>((resolve) => {
      const chunks: Buffer[] = []
      let got = 0
      socket.on('data', (d: Buffer) => {
        chunks.push(d)
        got += d.byteLength
        if (got >= payload.length) resolve(Buffer.concat(chunks))
      })
      socket.write(payload)
    })
    const ms = performance.now() - t0
    expect(back.equals(payload), 'the same bytes in the same order').to.equal(true)
    // the two directions overlap (pipelined chunks), so at least one direction's 100 ms plus both latencies
    expect(ms).to.be.within(105, 400)
  })

  it('closes the other side when one side closes, after delivering what it holds', async function () {
    const proxy = await startDelayProxy({ target: { host: '127.0.0.1', port: echo.port }, latencyMs: 20, bandwidthMbps: 0 })
    proxies.push(proxy)
    const socket = await connect(proxy.port)
    let got = 0
    socket.on('data', (d: Buffer) => { got += d.byteLength })
    const closed = new Promise<void>((resolve) => socket.once('close', () => { resolve() }))
    socket.end(Buffer.alloc(1000))
    await closed
    expect(got, 'the echo of what was sent before the end').to.equal(1000)
  })

  it('carries a real Redis conversation', async function () {
    const why = redisMissing()
    if (why != null) this.skip()
    const redis = await startRedisServer(join(tmpdir(), `faasmesh-proxy-test-${process.pid}`))
    try {
      const proxy = await startDelayProxy({ target: { host: '127.0.0.1', port: redis.port }, latencyMs: 30, bandwidthMbps: 50 })
      proxies.push(proxy)
      const socket = await connect(proxy.port)
      sockets.push(socket)
      const t0 = performance.now()
      const reply = await new Promise<string>((resolve) => {
        socket.once('data', (d) => { resolve(String(d)) })
        socket.write('SET k v\r\n')
      })
      expect(reply).to.equal('+OK\r\n')
      expect(performance.now() - t0).to.be.at.least(59)
    } finally {
      await redis.stop()
    }
  })
})
