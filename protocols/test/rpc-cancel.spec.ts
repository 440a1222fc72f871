/**
 * Cancellation, retries and reachability on the rpc channel (issue 12): a request its caller
 * gives up on is cancelled on the wire, a request is re-sent only when that cannot run it twice
 * and only within its own time, and every failure says by name whether the request left.
 */
import { createServer, type Server, type Socket } from 'node:net'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { AbortError } from '@libp2p/interface'
import { defaultLogger } from '@libp2p/logger'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { streamPair } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { expect } from 'chai'
import { RpcFrame, type RpcHandler } from '../src/rpc/index.js'
import { RpcChannel } from '../src/rpc/channel.js'
import { RpcResponder } from '../src/rpc/responder.js'
import { channelStreams, collect, frames, outcome, plainNode, rpcNode, sleep, stopRpcNodes, type RpcNode } from './support/rpc-nodes.js'
import { waitFor } from './support/wait.js'
import type { PeerId } from '@libp2p/interface'

const PROTOCOL = '/faasmesh/test-rpc-cancel/1.0.0'
const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array): string => new TextDecoder().decode(b)
const EMPTY = new Uint8Array(0) as Uint8Array<ArrayBuffer>
const log = defaultLogger().forComponent('faasmesh:test:rpc-cancel')

const request = (id: number, text: string): RpcFrame => ({ id, status: RpcFrame.Status.OK, body: enc(text) as Uint8Array<ArrayBuffer>, deadlineMs: 5000 })
const cancel = (id: number): RpcFrame => ({ id, status: RpcFrame.Status.CANCEL, body: EMPTY, deadlineMs: 0 })

async function randomPeer (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

/**
 * A handler that echoes, except for "hold": that one records its start, then waits for its
 * signal (at most until the responder's deadline) and returns anyway, as a handler that finished
 * its work without heeding the signal would. Its answer must then never be sent.
 */
class Holder {
  calls = 0
  aborts = 0
  started?: number
  abortedAt?: number
  reason?: any

  readonly handler: RpcHandler = async (body, { signal }) => {
    this.calls++
    if (dec(body) !== 'hold') return body
    this.started = performance.now()
    await new Promise<void>((resolve) => {
      signal.addEventListener('abort', () => {
        this.aborts++
        this.abortedAt ??= performance.now()
        this.reason = signal.reason
        resolve()
      }, { once: true })
    })
    return enc('late')
  }
}

describe('rpc cancellation between real nodes', function () {
  this.timeout(20_000)
  let server: RpcNode
  let client: RpcNode
  let holder: Holder

  beforeEach(async function () {
    const init = { protocol: PROTOCOL, timeoutMs: 5000, maxFrameBytes: 1 << 20 }
    ;[server, client] = await Promise.all([rpcNode(init), rpcNode(init)])
    holder = new Holder()
    server.services.rpc.setHandler(holder.handler)
    await client.dial(server.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
    await client.services.rpc.request(server.peerId, enc('warm'))
  })

  afterEach(async function () {
    await stopRpcNodes()
  })

  it('aborts the handler within 100 ms when the caller aborts mid-request, and sends no answer', async function () {
    const [stream] = channelStreams(client, server, PROTOCOL)
    let received = 0
    stream!.addEventListener('message', (evt) => { received += evt.data.byteLength })
    const controller = new AbortController()
    const pending = outcome(client.services.rpc.request(server.peerId, enc('hold'), { signal: controller.signal }))
    await waitFor(() => holder.started != null, 2000, 'the handler to start')
    const abortedByCaller = performance.now()
    controller.abort(new AbortError('the caller went away'))
    expect((await pending).name).to.equal('AbortError')
    await waitFor(() => holder.abortedAt != null, 1000, 'the handler\'s signal to abort')
    // without a CANCEL it would run to its 5 s deadline (and the wait above would time out)
    expect(holder.abortedAt! - abortedByCaller, 'ms from the caller\'s abort to the handler\'s').to.be.below(500)
    expect(holder.reason?.name).to.equal('RpcCancelledError')
    await sleep(150)
    expect(received, 'bytes the responder sent after the cancel').to.equal(0)
    expect(dec(await client.services.rpc.request(server.peerId, enc('after'))), 'the channel still serves').to.equal('after')
    expect(holder.calls).to.equal(3)
  })

  it('aborts the handler when the requester\'s own time runs out, even if the frame waited for the link', async function () {
    const [served] = channelStreams(server, client, PROTOCOL)
    const [stream] = channelStreams(client, server, PROTOCOL)
    // the server stops reading: yamux grants no more window, and the client's stream fills up
    served!.pause()
    const fillers: Array<Promise<unknown>> = []
    for (let i = 0; i < 40 && !stream!.writableNeedsDrain; i++) {
      fillers.push(outcome(client.services.rpc.request(server.peerId, new Uint8Array(200 * 1024), { timeoutMs: 5000 })))
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(stream!.writableNeedsDrain, 'the link is full').to.equal(true)
    let received = 0
    // the request waits 400 ms to be written: the responder's deadline ends 400 ms after the requester's
    const held = outcome(client.services.rpc.request(server.peerId, enc('hold'), { timeoutMs: 800 }))
    await sleep(400)
    served!.resume()
    const result = await held
    const timedOut = performance.now()
    stream!.addEventListener('message', (evt) => { received += evt.data.byteLength })
    expect(result.name).to.equal('RpcTimeoutError')
    expect(result.err.sent, 'the frame had left').to.equal(true)
    await waitFor(() => holder.abortedAt != null, 1000, 'the handler\'s signal to abort')
    expect(holder.abortedAt! - timedOut, 'ms from the requester\'s timeout to the handler\'s abort').to.be.below(300)
    expect(holder.reason?.name, 'cancelled, not its own deadline').to.equal('RpcCancelledError')
    await Promise.all(fillers)
    await sleep(250)
    expect(received, 'bytes sent after the timeout (no TIMEOUT, no late answer)').to.equal(0)
  })
})

describe('rpc cancellation on an in-memory stream pair', function () {
  this.timeout(10_000)

  it('ignores CANCELs for unknown and finished ids from a hostile requester, and keeps serving', async function () {
    const [requester, inbound] = await streamPair()
    const holder = new Holder()
    // eslint-disable-next-line no-new
    new RpcResponder(inbound, await randomPeer(), { maxFrameBytes: 1024, maxInFlight: 2, timeoutMs: 5000, log, handler: () => holder.handler })
    const answers = collect(requester)
    // two requests running (maxInFlight: full), then 5000 CANCELs for ids nobody sent (20 turns' worth)
    requester.send(frames([request(1, 'hold'), request(4, 'hold'), ...Array.from({ length: 5000 }, (_, i) => cancel(1000 + i))]))
    await waitFor(() => holder.calls === 2, 2000, 'two requests to run')
    await sleep(100)
    // no answer, not even BUSY: a CANCEL is no request, and never counts against maxInFlight
    expect(answers).to.deep.equal([])
    expect(holder.aborts, 'the running requests are untouched').to.equal(0)
    // a CANCEL reaches a running request on a full channel; once its handler has returned, its
    // slot serves the next request (not before: handlers that ignore their signal stay bounded)
    requester.send(frames([cancel(1)]))
    await waitFor(() => holder.aborts === 1, 1000, 'request 1 to be aborted')
    expect(holder.reason?.name).to.equal('RpcCancelledError')
    await sleep(10)
    requester.send(frames([request(2, 'a')]))
    await waitFor(() => answers.length >= 1, 2000, 'the answer to request 2')
    // a CANCEL for a finished id does nothing; one for a running request aborts it, unanswered
    requester.send(frames([cancel(2), cancel(1), cancel(4)]))
    await waitFor(() => holder.aborts === 2, 1000, 'request 4 to be aborted')
    requester.send(frames([request(3, 'b')]))
    await waitFor(() => answers.length >= 2, 2000, 'the answer to request 3')
    await sleep(50)
    expect(answers.map((a) => [a.id, a.status, dec(a.body)])).to.deep.equal([[2, RpcFrame.Status.OK, 'a'], [3, RpcFrame.Status.OK, 'b']])
    expect(holder.calls).to.equal(4)
    expect(requester.status).to.equal('open')
    requester.abort(new Error('done'))
  })

  it('cancels only requests that were sent, in one write, and ignores a CANCEL sent to a requester', async function () {
    const [outbound, responder] = await streamPair()
    const channel = new RpcChannel(outbound, 1024, log, () => {})
    const received = collect(responder)
    let chunks = 0
    responder.addEventListener('message', () => { chunks++ })
    const controller = new AbortController()
    const calls = ['a', 'b', 'c'].map((t) => outcome(channel.request(enc(t), 5000, { signal: controller.signal })))
    // aborted before it was written: never sent, so never cancelled
    const early = new AbortController()
    early.abort(new AbortError('never mind'))
    expect((await outcome(channel.request(enc('never'), 5000, { signal: early.signal }))).name).to.equal('AbortError')
    await waitFor(() => received.length === 3, 2000, 'three requests')
    chunks = 0
    controller.abort(new AbortError('the caller went away'))
    expect((await Promise.all(calls)).map((o) => o.name)).to.deep.equal(['AbortError', 'AbortError', 'AbortError'])
    await waitFor(() => received.length === 6, 2000, 'three CANCELs')
    await sleep(50)
    expect(received.slice(3).map((f) => [f.id, f.status, f.body.byteLength, f.deadlineMs])).to.deep.equal(received.slice(0, 3).map((f) => [f.id, RpcFrame.Status.CANCEL, 0, 0]))
    expect(received, 'nothing for the request that was never sent').to.have.length(6)
    expect(chunks, 'writes that carried the CANCELs').to.equal(1)

    // the wrong way round: a CANCEL from the responder answers nothing
    const answer = channel.request(enc('q'), 5000)
    await waitFor(() => received.length === 7, 2000, 'the request')
    const id = received[6]!.id
    responder.send(frames([cancel(id)]))
    await sleep(50)
    responder.send(frames([{ id, status: RpcFrame.Status.OK, body: enc('answer') as Uint8Array<ArrayBuffer>, deadlineMs: 0 }]))
    expect(dec(await answer)).to.equal('answer')
    expect(channel.isClosed).to.equal(false)

    // a request the channel closed under before it was sent never left
    channel.close()
    const closed = await outcome(channel.request(enc('late'), 5000))
    expect(closed.name).to.equal('RpcUnreachableError')
    expect(closed.err.sent).to.equal(false)
  })
})

describe('rpc retries', function () {
  this.timeout(20_000)
  let server: RpcNode
  let client: RpcNode
  let holder: Holder

  beforeEach(async function () {
    const init = { protocol: PROTOCOL, timeoutMs: 5000 }
    ;[server, client] = await Promise.all([rpcNode(init), rpcNode(init)])
    holder = new Holder()
    server.services.rpc.setHandler(holder.handler)
    await client.dial(server.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
    await client.services.rpc.request(server.peerId, enc('warm'))
    holder.calls = 0
  })

  afterEach(async function () {
    await stopRpcNodes()
  })

  /** The server resets the channel once the handler has started: the requester loses it mid-request. */
  async function cutOnceStarted (): Promise<void> {
    await waitFor(() => holder.started != null, 2000, 'the handler to start')
    for (const s of channelStreams(server, client, PROTOCOL)) s.abort(new Error('cut'))
  }

  it('never re-sends a request that may have run, unless it is idempotent; then once', async function () {
    const once = outcome(client.services.rpc.request(server.peerId, enc('hold'), { timeoutMs: 3000 }))
    await cutOnceStarted()
    const result = await once
    expect(result.name).to.equal('RpcChannelClosedError')
    expect(result.err.sent).to.equal(true)
    await sleep(200)
    expect(holder.calls, 'handler calls for a non-idempotent request').to.equal(1)

    holder.calls = 0
    holder.started = undefined
    const twice = outcome(client.services.rpc.request(server.peerId, enc('hold'), { timeoutMs: 1000, idempotent: true }))
    await cutOnceStarted()
    await waitFor(() => holder.calls === 2, 2000, 'the request to be re-sent')
    // the second run holds too: it ends with the request's time
    expect((await twice).name).to.equal('RpcTimeoutError')
    await sleep(200)
    expect(holder.calls, 'handler calls for an idempotent request').to.equal(2)
  })

  it('gives the re-sent request only what is left of its time', async function () {
    const started = performance.now()
    const pending = outcome(client.services.rpc.request(server.peerId, enc('hold'), { timeoutMs: 800, idempotent: true }))
    await waitFor(() => holder.started != null, 2000, 'the handler to start')
    await sleep(400 - (performance.now() - started))
    for (const s of channelStreams(server, client, PROTOCOL)) s.abort(new Error('cut'))
    const result = await pending
    const elapsed = performance.now() - started
    expect(result.name).to.equal('RpcTimeoutError')
    expect(holder.calls, 'sent twice').to.equal(2)
    // a fresh full timeout for the retry would make it 400 + 800 ms
    expect(elapsed, 'ms in all, for an 800 ms request').to.be.within(790, 800 + 350)
  })
})

describe('rpc channel opening', function () {
  this.timeout(20_000)
  const servers: Server[] = []
  const sockets: Socket[] = []

  afterEach(async function () {
    for (const s of sockets.splice(0)) s.destroy()
    await Promise.all(servers.splice(0).map(async (s) => new Promise((resolve) => s.close(resolve))))
    await stopRpcNodes()
  })

  /** A TCP listener that accepts and then says nothing: every libp2p dial to it stalls. */
  async function stalledListener (): Promise<number> {
    const server = createServer((socket) => { sockets.push(socket) })
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return (server.address() as { port: number }).port
  }

  it('waits for a channel to a stalled peer no longer than each caller\'s own time', async function () {
    const client = await rpcNode({ protocol: PROTOCOL, timeoutMs: 10_000 })
    const peer = await randomPeer()
    await client.peerStore.merge(peer, { multiaddrs: [multiaddr(`/ip4/127.0.0.1/tcp/${await stalledListener()}`)] })
    const started = performance.now()
    const ends: number[] = []
    const [short, long] = await Promise.all([200, 400].map(async (timeoutMs) => {
      const result = await outcome(client.services.rpc.request(peer, enc('x'), { timeoutMs }))
      ends.push(performance.now() - started)
      return result
    }))
    expect([short!.name, long!.name]).to.deep.equal(['RpcTimeoutError', 'RpcTimeoutError'])
    expect([short!.err.sent, long!.err.sent], 'never sent').to.deep.equal([false, false])
    // the open itself goes on for 10 s (the service's bound)
    expect(ends[0], 'ms until the 200 ms caller gave up').to.be.within(190, 200 + 1000)
    expect(ends[1], 'ms until the 400 ms caller gave up').to.be.within(390, 400 + 1000)
  })

  it('fails with RpcUnreachableError, never a raw libp2p error, for a peer without the protocol or not listening', async function () {
    const [client, bare] = await Promise.all([rpcNode({ protocol: PROTOCOL, timeoutMs: 5000 }), plainNode()])
    await client.dial(bare.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
    const unsupported = await outcome(client.services.rpc.request(bare.peerId, enc('x'), { timeoutMs: 2000 }))
    expect(unsupported.name).to.equal('RpcUnreachableError')
    expect(unsupported.err.sent).to.equal(false)
    expect(unsupported.err.cause?.name).to.equal('UnsupportedProtocolError')
    expect(unsupported.err.message).to.include('UnsupportedProtocolError')

    // a port nobody listens on: the dial is refused
    const closed = await stalledListener()
    await new Promise((resolve) => servers.pop()!.close(resolve))
    const peer = await randomPeer()
    await client.peerStore.merge(peer, { multiaddrs: [multiaddr(`/ip4/127.0.0.1/tcp/${closed}`)] })
    const started = performance.now()
    const refused = await outcome(client.services.rpc.request(peer, enc('x'), { timeoutMs: 2000 }))
    expect(refused.name).to.equal('RpcUnreachableError')
    expect(refused.err.cause).to.be.instanceOf(Error)
    expect(performance.now() - started).to.be.below(2000)
  })
})
