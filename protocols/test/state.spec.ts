import { identify } from '@libp2p/identify'
import { expect } from 'chai'
import { createLibp2p } from 'libp2p'
import {
  isIdempotent, MAX_STATE_BODY_BYTES, MAX_STATE_FRAME_BYTES, MAX_STATE_WRITES, STATE_PROTOCOL, stateAnswer, stateProtocol,
  StateRequest, StateResponse, type StateService
} from '../src/state/index.js'
import { base } from './support/nodes.js'
import { channelStreams, outcome, rpcNode, stopRpcNodes } from './support/rpc-nodes.js'
import type { Libp2p } from '@libp2p/interface'

type Node = Libp2p<{ state: StateService }>

const started: Node[] = []

async function node (): Promise<Node> {
  const n = await createLibp2p({ ...base, services: { identify: identify(), state: stateProtocol() } }) as unknown as Node
  started.push(n)
  return n
}

const request = (fields: Partial<StateRequest> = {}): StateRequest => ({
  op: StateRequest.Op.READ, space: StateRequest.Space.DATA, key: 'device-1', invocationId: '', expectedVersion: 0, writes: [], output: new Uint8Array(0), ...fields
})
const value = (text: string): Uint8Array<ArrayBuffer> => new TextEncoder().encode(text) as Uint8Array<ArrayBuffer>

describe('state protocol', function () {
  this.timeout(30_000)
  let server: Node
  let client: Node
  let seen: StateRequest[]
  let from: string[]

  beforeEach(async function () {
    ;[server, client] = await Promise.all([node(), node()])
    await client.dial(server.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
    seen = []
    from = []
    server.services.state.setHandler(async (req, { peer }) => {
      seen.push(req)
      from.push(peer.toString())
      if (req.op === StateRequest.Op.FETCH) return { ...stateAnswer(StateResponse.Status.OK), record: { version: 3, entries: [{ key: 'n', value: value('7') }], applied: [{ id: 'inv-1', output: value('out'), outputKept: true }] } }
      return { ...stateAnswer(StateResponse.Status.OK, '', req.expectedVersion + 1) }
    })
  })

  afterEach(async function () {
    await Promise.all(started.splice(0).map(async (n) => { await n.stop() }))
    await stopRpcNodes()
  })

  it('carries a request and its answer, with the bytes that crossed', async function () {
    let bytes = 0
    const fetched = await client.services.state.request(server.peerId, request({ op: StateRequest.Op.FETCH, space: StateRequest.Space.HOME }), { onBytes: (n) => { bytes += n } })
    expect(fetched.status).to.equal(StateResponse.Status.OK)
    expect(fetched.record?.version).to.equal(3)
    expect(new TextDecoder().decode(fetched.record?.entries[0]?.value)).to.equal('7')
    expect(fetched.record?.applied[0]).to.deep.include({ id: 'inv-1', outputKept: true })
    expect(seen[0]).to.deep.include({ op: StateRequest.Op.FETCH, space: StateRequest.Space.HOME, key: 'device-1' })
    expect(from).to.deep.equal([client.peerId.toString()])
    expect(bytes).to.equal(StateRequest.encode(request({ op: StateRequest.Op.FETCH, space: StateRequest.Space.HOME })).byteLength + StateResponse.encode(fetched).byteLength)

    const committed = await client.services.state.request(server.peerId, request({ op: StateRequest.Op.COMMIT, invocationId: 'inv-2', expectedVersion: 4, writes: [{ key: 'n', value: value('8'), deleted: false }, { key: 'old', value: new Uint8Array(0), deleted: true }] }))
    expect([committed.status, committed.version]).to.deep.equal([StateResponse.Status.OK, 5])
    expect(seen[1]?.writes.map((w) => [w.key, w.deleted])).to.deep.equal([['n', false], ['old', true]])
  })

  it('refuses a request above the frame cap before sending it, and keeps the channel', async function () {
    await client.services.state.request(server.peerId, request())
    const before = channelStreams(client, server, STATE_PROTOCOL)
    const huge = request({ op: StateRequest.Op.COMMIT, invocationId: 'inv-3', writes: [{ key: 'big', value: new Uint8Array(MAX_STATE_BODY_BYTES) as Uint8Array<ArrayBuffer>, deleted: false }] })
    expect((await outcome(client.services.state.request(server.peerId, huge))).name).to.equal('InvalidParametersError')
    expect(seen).to.have.length(1)
    // a full state's worth of values plus a full write set's deleted names fits
    const full = request({ op: StateRequest.Op.COMMIT, invocationId: 'inv-4', writes: [
      { key: 'v', value: new Uint8Array(2 * 1024 * 1024) as Uint8Array<ArrayBuffer>, deleted: false },
      ...Array.from({ length: MAX_STATE_WRITES - 1 }, (_, i) => ({ key: `${i}`.padStart(256, 'k'), value: new Uint8Array(0) as Uint8Array<ArrayBuffer>, deleted: true }))
    ] })
    expect(StateRequest.encode(full).byteLength).to.be.lessThan(MAX_STATE_FRAME_BYTES)
    expect((await client.services.state.request(server.peerId, full)).status).to.equal(StateResponse.Status.OK)
    expect(channelStreams(client, server, STATE_PROTOCOL), 'the same channel').to.deep.equal(before)
  })

  it('answers TOO_LARGE rather than send an answer above the cap', async function () {
    server.services.state.setHandler(async () => ({ ...stateAnswer(StateResponse.Status.OK), record: { version: 1, entries: [{ key: 'x', value: new Uint8Array(MAX_STATE_BODY_BYTES) as Uint8Array<ArrayBuffer> }], applied: [] } }))
    const response = await client.services.state.request(server.peerId, request())
    expect([response.status, response.record]).to.deep.equal([StateResponse.Status.TOO_LARGE, undefined])
  })

  it('answers INVALID to a request that does not decode or has too many writes, and goes on serving', async function () {
    const raw = await rpcNode({ protocol: STATE_PROTOCOL, maxFrameBytes: MAX_STATE_FRAME_BYTES })
    await raw.dial(server.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
    // a length-delimited field that claims 5 bytes and carries one; an unknown op
    for (const body of [Uint8Array.of(0x1a, 0x05, 0x61), Uint8Array.of(0x08, 0x63)]) {
      const answer = StateResponse.decode(await raw.services.rpc.request(server.peerId, body))
      expect(answer.status).to.equal(StateResponse.Status.INVALID)
      expect(answer.message).to.match(/undecodable/)
    }
    const tooMany = request({ op: StateRequest.Op.COMMIT, writes: Array.from({ length: MAX_STATE_WRITES + 1 }, (_, i) => ({ key: `k${i}`, value: new Uint8Array(0) as Uint8Array<ArrayBuffer>, deleted: true })) })
    expect((await client.services.state.request(server.peerId, tooMany)).status).to.equal(StateResponse.Status.INVALID)
    expect(seen, 'the handler saw none of them').to.have.length(0)
    expect((await client.services.state.request(server.peerId, request())).status).to.equal(StateResponse.Status.OK)
  })

  it('closes only the channel of a peer that sends a frame above the cap', async function () {
    const rogue = await rpcNode({ protocol: STATE_PROTOCOL, maxFrameBytes: 2 * MAX_STATE_FRAME_BYTES })
    await rogue.dial(server.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
    const result = await outcome(rogue.services.rpc.request(server.peerId, new Uint8Array(MAX_STATE_FRAME_BYTES + 1), { timeoutMs: 5000 }))
    expect(result.name).to.be.oneOf(['RpcChannelClosedError', 'RpcUnreachableError'])
    expect(seen).to.have.length(0)
    expect((await client.services.state.request(server.peerId, request())).status).to.equal(StateResponse.Status.OK)
    // and the rogue, behaving now, is served on a fresh channel
    const answer = StateResponse.decode(await rogue.services.rpc.request(server.peerId, StateRequest.encode(request()), { timeoutMs: 5000 }))
    expect(answer.status).to.equal(StateResponse.Status.OK)
  })

  it('fails with RpcRemoteError when the handler throws, and RpcProtocolError on an undecodable answer', async function () {
    server.services.state.setHandler(async () => { throw new Error('boom') })
    expect((await outcome(client.services.state.request(server.peerId, request()))).name).to.equal('RpcRemoteError')
    const rogue = await rpcNode({ protocol: STATE_PROTOCOL })
    rogue.services.rpc.setHandler(async () => Uint8Array.of(0x12, 0x05, 0x61))
    await client.dial(rogue.getMultiaddrs(), { signal: AbortSignal.timeout(5000) })
    const result = await outcome(client.services.state.request(rogue.peerId, request()))
    expect(result.name).to.equal('RpcProtocolError')
  })

  it('re-sends after a lost channel only what cannot apply twice', function () {
    const ops = (op: StateRequest.Op, invocationId = ''): boolean => isIdempotent(request({ op, invocationId }))
    expect([ops(StateRequest.Op.READ), ops(StateRequest.Op.FETCH), ops(StateRequest.Op.REPLICATE)]).to.deep.equal([true, true, true])
    expect([ops(StateRequest.Op.COMMIT), ops(StateRequest.Op.COMMIT, 'inv-1'), ops(StateRequest.Op.DELETE), ops(StateRequest.Op.DELETE, 'd-1')]).to.deep.equal([false, true, false, true])
    expect(ops(StateRequest.Op.UNKNOWN)).to.equal(false)
  })
})
