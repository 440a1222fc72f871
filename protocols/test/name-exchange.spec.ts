import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import { expect } from 'chai'
import { createLibp2p } from 'libp2p'
import { createNameRecord, nameExchange, NAMES_PROTOCOL, NameRequest, NameResponse, type NameExchange, type NameExchangeInit, type SignedNameRecord } from '../src/names/index.js'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { failure } from './support/failure.js'

type NamesNode = Libp2p<{ names: NameExchange }>
const CID_A = 'bafkreicged763fcw4ppkikhtvshxdcvfjdtg5htik6xyekf652todjb33u'
const CID_B = 'bafkreifj7u4d3wk4kq23jp6hkbctprqvs3kfqyojgrhojenzflqucgyfke'

describe('name exchange (/faasmesh/names/1.0.0)', function () {
  this.timeout(20_000)
  const started: Libp2p[] = []
  let server: NamesNode
  let client: NamesNode
  let stranger: PrivateKey
  // what the server holds, by publisher/name, and what it was handed
  const held = new Map<string, Uint8Array>()
  const announced: SignedNameRecord[] = []

  async function namesNode (init: NameExchangeInit = {}, privateKey?: PrivateKey): Promise<NamesNode> {
    const node = await createLibp2p({
      ...(privateKey != null ? { privateKey } : {}),
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify(), names: nameExchange(init) }
    })
    started.push(node)
    return node as unknown as NamesNode
  }

  beforeEach(async function () {
    ;[server, client] = await Promise.all([namesNode(), namesNode()])
    stranger = await generateKeyPair('Ed25519')
    held.clear()
    announced.length = 0
    server.services.names.setHandler({
      lookup: async (publisher, name) => held.get(`${publisher}/${name}`),
      announced: (record) => { announced.push(record) }
    })
    await client.dial(server.getMultiaddrs())
  })

  afterEach(async function () {
    await Promise.all(started.splice(0).map(async (n) => { await n.stop() }))
  })

  it('a record that does not hold for the key asked about is refused by the asker', async function () {
    // signed by a key that is not the server's, yet served as the server's own
    const record = await createNameRecord(stranger, 'hello', CID_A, 1)
    held.set(`${server.peerId.toString()}/hello`, record)
    const err = await failure(client.services.names.query(server.peerId, server.peerId.toString(), 'hello'))
    expect(err.name).to.equal('InvalidNameRecordError')
  })

  it('returns undefined when the peer has no record for the key', async function () {
    expect(await client.services.names.query(server.peerId, server.peerId.toString(), 'nothing-here')).to.equal(undefined)
  })

  it('round-trips a publisher\'s own record, asked and announced', async function () {
    const publisherKey = await generateKeyPair('Ed25519')
    const publisher = await namesNode({}, publisherKey)
    const record = await createNameRecord(publisherKey, 'hello', CID_A, 5)
    publisher.services.names.setHandler({ lookup: async (p, n) => p === publisher.peerId.toString() && n === 'hello' ? record : undefined, announced: () => {} })
    await client.dial(publisher.getMultiaddrs())
    const asked = await client.services.names.query(publisher.peerId, publisher.peerId.toString(), 'hello')
    expect(asked).to.include({ publisher: publisher.peerId.toString(), name: 'hello', cid: CID_A, seq: 5 })

    // handed to the server by its publisher: kept, with its publisher checked
    await publisher.dial(server.getMultiaddrs())
    await publisher.services.names.announce(server.peerId, record)
    expect(announced.map((r) => [r.publisher, r.name, r.cid])).to.deep.equal([[publisher.peerId.toString(), 'hello', CID_A]])
  })

  it('refuses an announced record of another publisher (nobody hands out records it did not sign)', async function () {
    const someoneElses = await createNameRecord(stranger, 'hello', CID_B, 9)
    const err = await failure(client.services.names.announce(server.peerId, someoneElses))
    expect(err.name).to.equal('NameExchangeError')
    expect(err.message).to.include('INVALID')
    expect(announced).to.deep.equal([])
  })

  it('answers garbage, a bad name and an unknown kind INVALID, drops an oversized request, and keeps serving', async function () {
    const ask = async (bytes: Uint8Array): Promise<NameResponse> => {
      const stream = await client.dialProtocol(server.peerId, NAMES_PROTOCOL)
      const lp = lpStream(stream)
      await lp.write(bytes)
      const answer = NameResponse.decode(await lp.read())
      await stream.close().catch(() => {})
      return answer
    }
    expect((await ask(new Uint8Array([0x0a, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff]))).status).to.equal(NameResponse.Status.INVALID)
    expect((await ask(NameRequest.encode({ kind: NameRequest.Kind.QUERY, publisher: '', name: '../etc', record: new Uint8Array(0) }))).status).to.equal(NameResponse.Status.INVALID)
    expect((await ask(NameRequest.encode({ kind: NameRequest.Kind.QUERY, publisher: 'x'.repeat(500), name: 'ok', record: new Uint8Array(0) }))).status).to.equal(NameResponse.Status.INVALID)
    expect((await ask(NameRequest.encode({ kind: NameRequest.Kind.UNKNOWN, publisher: '', name: 'ok', record: new Uint8Array(0) }))).status).to.equal(NameResponse.Status.INVALID)
    expect((await ask(NameRequest.encode({ kind: NameRequest.Kind.ANNOUNCE, publisher: '', name: '', record: new Uint8Array([1, 2, 3]) }))).status).to.equal(NameResponse.Status.INVALID)
    // over the frame cap: the server aborts that stream, unread
    const huge = await client.dialProtocol(server.peerId, NAMES_PROTOCOL)
    await lpStream(huge).write(new Uint8Array(10_000)).catch(() => {})
    huge.abort(new Error('done'))
    expect(await client.services.names.query(server.peerId, server.peerId.toString(), 'still-here')).to.equal(undefined)
  })

  it('answers BUSY beyond a peer\'s share, unread (NameExchangeBusyError at the asker)', async function () {
    const limited = await namesNode({ limits: { requestsPerSecond: 1, burst: 1 } })
    limited.services.names.setHandler({ lookup: async () => undefined, announced: () => {} })
    await client.dial(limited.getMultiaddrs())
    const results = await Promise.allSettled([1, 2, 3].map(async () => client.services.names.query(limited.peerId, limited.peerId.toString(), 'x')))
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.name)).to.include('NameExchangeBusyError')
  })
})
