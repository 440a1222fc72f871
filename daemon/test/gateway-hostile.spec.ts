/**
 * The gateway against clients that misbehave on the wire (issue 11): oversized bodies still get
 * their JSON answer (never EPIPE), slow headers and bodies are cut at their bounds, connections
 * are capped, and the node keeps serving after each.
 */
import { connect, type Socket } from 'node:net'
import { expect } from 'chai'
import { createDaemon, loadConfig, type Daemon } from '../src/index.js'
import { startStubGateway } from './gateway-stub.js'
import { MAX_HEADER_BYTES } from '../src/gateway/constants.js'
import { LOOPBACK_FLAGS } from './support/loopback.js'
import { tempDir } from './support/paths.js'
import type { Gateway } from '../src/gateway/index.js'

/** A raw TCP client: what it received, and when the server closed it. */
interface RawClient {
  socket: Socket
  received(): string
  /** Milliseconds from connecting to the close; rejects after `timeoutMs`. */
  closed(timeoutMs: number): Promise<number>
}

function rawClient (url: string): RawClient {
  const { hostname, port } = new URL(url)
  const started = Date.now()
  const socket = connect(Number(port), hostname)
  let text = ''
  socket.on('data', (d) => { text += String(d) })
  // the server may reset a client that is still writing: that is a close too
  socket.on('error', () => {})
  const closed = new Promise<number>((resolve) => { socket.once('close', () => { resolve(Date.now() - started) }) })
  return {
    socket,
    received: () => text,
    async closed (timeoutMs) {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`still open after ${timeoutMs} ms; received ${JSON.stringify(text.slice(0, 300))}`)) }, timeoutMs) })
      try {
        return await Promise.race([closed, timeout])
      } finally {
        clearTimeout(timer)
        socket.destroy()
      }
    }
  }
}

/** The JSON error at the end of a raw HTTP response. */
function errorOf (raw: string): { status: number, name: string } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1])
  const body = raw.slice(raw.indexOf('\r\n\r\n') + 4)
  return { status, name: JSON.parse(body).error.name }
}

/** `bytes` of zeros as a stream without a length (fetch sends it chunked), `pauseMs` between chunks. */
function chunkedBody (bytes: number, chunkBytes = 64 * 1024, pauseMs = 0): ReadableStream<Uint8Array> {
  let sent = 0
  return new ReadableStream({
    async pull (controller) {
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs))
      if (sent >= bytes) { controller.close(); return }
      const chunk = new Uint8Array(Math.min(chunkBytes, bytes - sent))
      sent += chunk.byteLength
      controller.enqueue(chunk)
    }
  })
}

/**
 * Sends a request with a body of `bodyBytes` in 32 KiB chunks 20 ms apart, and reads the answer
 * only then, like a client too busy writing to read. A server that answers and closes mid-body
 * makes such a client's next write draw a reset, and the reset throws away the answer it has
 * received but not read: EPIPE instead of the JSON error (what `fetch` saw now and then).
 */
async function sendThenRead (url: string, head: string, headers: Record<string, string>, bodyBytes: number): Promise<{ failures: string[], text: string }> {
  const socket = connect({ port: Number(new URL(url).port), host: '127.0.0.1', allowHalfOpen: true })
  const failures: string[] = []
  socket.on('error', (err: Error & { code?: string }) => { failures.push(String(err.code ?? err)) })
  socket.pause()
  try {
    const chunk = Buffer.alloc(32 * 1024)
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')
    socket.write(`${head} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\nContent-Length: ${bodyBytes}\r\n\r\n`)
    for (let sent = 0; sent < bodyBytes && !socket.destroyed; sent += chunk.byteLength) {
      await new Promise((resolve) => setTimeout(resolve, 20))
      socket.write(chunk.subarray(0, Math.min(chunk.byteLength, bodyBytes - sent)))
    }
    let text = ''
    socket.on('data', (d) => { text += String(d) })
    const ended = new Promise((resolve) => { socket.once('end', resolve); socket.once('close', resolve) })
    socket.resume()
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 10_000))])
    return { failures, text }
  } finally {
    socket.destroy()
  }
}

async function expectHealthy (url: string): Promise<void> {
  const res = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(5000) })
  expect(res.status).to.equal(200)
}

describe('gateway: hostile clients', function () {
  describe('an oversized body gets the JSON error, never EPIPE', function () {
    let dir: { path: string, cleanup(): Promise<void> }
    let daemon: Daemon
    let api: string

    before(async function () {
      dir = await tempDir()
      daemon = await createDaemon({
        config: loadConfig({ env: {}, flags: { dataDir: dir.path, ...LOOPBACK_FLAGS, 'executor.maxInputBytes': 8192, 'store.maxModuleBytes': 64 * 1024 } })
      })
      await daemon.start()
      api = daemon.apiUrl
    })

    after(async function () {
      await daemon?.stop()
      await dir?.cleanup()
    })

    // what the acceptance asks, with Node's fetch: 2 MiB is far more than the loopback socket
    // buffers, so the client is still writing when the answer comes. fetch's reset was
    // intermittent (25 in 6,000), hence the loop; `sendThenRead` below makes it deterministic.
    const BODY_BYTES = 2 << 20
    const ROUNDS = 25

    async function expectJsonError (res: Promise<Response>, status: number, name: string): Promise<void> {
      const answer = await res
      expect(answer.status).to.equal(status)
      expect((await answer.json()).error.name).to.equal(name)
    }

    it(`deploy with a Content-Length over the cap -> 413 PayloadTooLargeError, ${ROUNDS} times in a row`, async function () {
      this.timeout(60_000)
      const body = new Uint8Array(BODY_BYTES)
      for (let i = 0; i < ROUNDS; i++) {
        await expectJsonError(fetch(`${api}/v1/functions/big`, { method: 'POST', body, signal: AbortSignal.timeout(10_000) }), 413, 'PayloadTooLargeError')
      }
      await expectHealthy(api)
    })

    it(`invoke with a chunked body over the cap -> 413 PayloadTooLargeError, ${ROUNDS} times in a row`, async function () {
      this.timeout(60_000)
      for (let i = 0; i < ROUNDS; i++) {
        const init = { method: 'POST', body: chunkedBody(BODY_BYTES), duplex: 'half', signal: AbortSignal.timeout(10_000) }
        await expectJsonError(fetch(`${api}/v1/invoke/anything`, init as RequestInit), 413, 'PayloadTooLargeError')
      }
      await expectHealthy(api)
    })

    it('a client that reads only after sending its whole body (a busy one) gets the 413, and its writes never fail', async function () {
      this.timeout(30_000)
      for (let i = 0; i < 3; i++) {
        const { failures, text } = await sendThenRead(api, 'POST /v1/functions/big', {}, 512 * 1024)
        expect(failures).to.deep.equal([])
        expect(errorOf(text)).to.deep.equal({ status: 413, name: 'PayloadTooLargeError' })
      }
    })

    it('fetch streaming its body at network pace gets the 413 JSON error', async function () {
      this.timeout(30_000)
      for (let i = 0; i < 3; i++) {
        const init = { method: 'POST', body: chunkedBody(512 * 1024, 32 * 1024, 20), duplex: 'half', signal: AbortSignal.timeout(10_000) }
        await expectJsonError(fetch(`${api}/v1/invoke/anything`, init as RequestInit), 413, 'PayloadTooLargeError')
      }
    })

    it('errors answered before the body is read (404, 405, 403) reach a busy client too', async function () {
      this.timeout(30_000)
      const cases: Array<[string, Record<string, string>, number, string]> = [
        ['POST /v2/nowhere', {}, 404, 'RouteNotFoundError'],
        ['PUT /v1/health', {}, 405, 'MethodNotAllowedError'],
        ['POST /v1/functions/x', { origin: 'http://evil.example' }, 403, 'ForbiddenError']
      ]
      for (const [head, headers, status, name] of cases) {
        const { failures, text } = await sendThenRead(api, head, headers, 512 * 1024)
        expect(failures, head).to.deep.equal([])
        expect(errorOf(text), head).to.deep.equal({ status, name })
      }
      await expectHealthy(api)
    })
  })

  describe('bounds on slow and greedy clients', function () {
    const REQUEST_TIMEOUT_MS = 4000
    let gw: Gateway

    before(async function () {
      // each bound well apart from the others, so a test sees which one cut the client
      gw = await startStubGateway({
        headersTimeoutMs: 1000,
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        bodyIdleTimeoutMs: 800,
        discardMaxBytes: 256 * 1024,
        discardTimeoutMs: 800
      }, { invokeMs: REQUEST_TIMEOUT_MS + 1000 })
    })

    after(async function () {
      await gw?.stop()
    })

    afterEach(async function () {
      await expectHealthy(gw.url)
    })

    it('a body sent one byte at a time is cut at the request timeout with 408 RequestTimeoutError', async function () {
      this.timeout(20_000)
      const client = rawClient(gw.url)
      client.socket.write('POST /v1/invoke/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n')
      // faster than the body idle timeout, so only the request timeout can stop it
      const drip = setInterval(() => { client.socket.write('a') }, 300)
      try {
        const ms = await client.closed(15_000)
        // 4 s, plus Node's once-a-second sweep, plus a loaded machine
        expect(ms).to.be.within(REQUEST_TIMEOUT_MS - 500, REQUEST_TIMEOUT_MS + 5000)
      } finally {
        clearInterval(drip)
      }
      expect(errorOf(client.received())).to.deep.equal({ status: 408, name: 'RequestTimeoutError' })
    })

    it('a body that stops arriving is cut at the idle timeout with 408 RequestTimeoutError', async function () {
      const client = rawClient(gw.url)
      client.socket.write('POST /v1/invoke/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nsome of it')
      const ms = await client.closed(10_000)
      expect(ms).to.be.within(500, REQUEST_TIMEOUT_MS - 1500)
      expect(errorOf(client.received())).to.deep.equal({ status: 408, name: 'RequestTimeoutError' })
    })

    it('headers sent one byte at a time are cut at the headers timeout with 408 RequestTimeoutError', async function () {
      const client = rawClient(gw.url)
      client.socket.write('GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ')
      const drip = setInterval(() => { client.socket.write('a') }, 200)
      try {
        const ms = await client.closed(10_000)
        expect(ms).to.be.within(700, REQUEST_TIMEOUT_MS - 1500)
      } finally {
        clearInterval(drip)
      }
      expect(errorOf(client.received())).to.deep.equal({ status: 408, name: 'RequestTimeoutError' })
    })

    it('headers over the size limit -> 431 RequestHeadersTooLargeError', async function () {
      const client = rawClient(gw.url)
      client.socket.write(`GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(MAX_HEADER_BYTES + 1024)}\r\n\r\n`)
      await client.closed(5000)
      expect(errorOf(client.received())).to.deep.equal({ status: 431, name: 'RequestHeadersTooLargeError' })
    })

    it('a malformed request -> 400 InvalidParametersError', async function () {
      const client = rawClient(gw.url)
      client.socket.write('BREW /pot HTCPCP/1.0\r\n\r\n')
      await client.closed(5000)
      expect(errorOf(client.received())).to.deep.equal({ status: 400, name: 'InvalidParametersError' })
    })

    it('an invocation may take longer than the request timeout: it only bounds receiving the request', async function () {
      this.timeout(20_000)
      const res = await fetch(`${gw.url}/v1/invoke/echo`, { method: 'POST', body: 'slow', signal: AbortSignal.timeout(10_000) })
      expect(res.status).to.equal(200)
      expect(await res.text()).to.equal('slow')
    })

    it('a body past the discard bound in bytes: answered 413 and the connection closed', async function () {
      const client = rawClient(gw.url)
      const declared = 64 << 20
      client.socket.write(`POST /v1/functions/big HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${declared}\r\n\r\n`)
      const chunk = Buffer.alloc(64 * 1024)
      let written = 0
      // keeps sending as fast as the socket takes it, up to the declared length (bounded)
      const pump = (): void => {
        while (!client.socket.destroyed && written < declared) {
          written += chunk.byteLength
          if (!client.socket.write(chunk)) { client.socket.once('drain', pump); return }
        }
      }
      pump()
      await client.closed(10_000)
      expect(written).to.be.below(declared)
      expect(errorOf(client.received())).to.deep.equal({ status: 413, name: 'PayloadTooLargeError' })
    })

    it('a body past the discard bound in time: answered 413 and the connection closed', async function () {
      const client = rawClient(gw.url)
      client.socket.write('POST /v1/functions/big HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n')
      const drip = setInterval(() => { client.socket.write(Buffer.alloc(100)) }, 50)
      try {
        const ms = await client.closed(10_000)
        // the 800 ms discard bound, well before the request timeout would end it
        expect(ms).to.be.within(600, REQUEST_TIMEOUT_MS - 1500)
      } finally {
        clearInterval(drip)
      }
      expect(errorOf(client.received())).to.deep.equal({ status: 413, name: 'PayloadTooLargeError' })
    })
  })

  describe('a cap on connections', function () {
    const MAX_CONNECTIONS = 4
    let gw: Gateway

    before(async function () {
      gw = await startStubGateway({ maxConnections: MAX_CONNECTIONS })
    })

    after(async function () {
      await gw?.stop()
    })

    it('connections over the cap are closed at once, and served again once others close', async function () {
      const held = Array.from({ length: MAX_CONNECTIONS }, () => rawClient(gw.url))
      try {
        await Promise.all(held.map(async (c) => new Promise((resolve) => c.socket.once('connect', resolve))))
        // the server accepts them a moment after the client sees them connected
        await new Promise((resolve) => setTimeout(resolve, 300))
        const extra = rawClient(gw.url)
        // closed with nothing said, long before the 10 s headers timeout would have closed it
        expect(await extra.closed(5000)).to.be.below(3000)
        expect(extra.received()).to.equal('')
      } finally {
        for (const c of held) c.socket.destroy()
      }
      // Node counts closed connections out asynchronously
      await new Promise((resolve) => setTimeout(resolve, 300))
      await expectHealthy(gw.url)
    })
  })
})
