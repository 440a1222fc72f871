import { expect } from 'chai'
import { lpStream } from '@libp2p/utils'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { CODE_PROTOCOL } from '../src/code/index.js'
import { codeNode, stopCodeNodes, type CodeNode } from './support/code-nodes.js'
import { failure } from './support/failure.js'

async function cidOf (bytes: Uint8Array): Promise<string> {
  return CID.createV1(raw.code, await sha256.digest(bytes)).toString()
}

describe('code transfer', function () {
  this.timeout(20_000)
  let server: CodeNode
  let client: CodeNode
  const module = new Uint8Array(50_000).map((_, i) => i % 251)
  const served = new Map<string, Uint8Array>()

  beforeEach(async function () {
    ;[server, client] = await Promise.all([codeNode({ maxModuleBytes: 100_000 }), codeNode({ maxModuleBytes: 100_000 })])
    served.clear()
    server.services.code.setLookup(async (cid) => served.get(cid))
    await client.dial(server.getMultiaddrs())
  })

  afterEach(async function () {
    await stopCodeNodes()
  })

  it('fetches a module by CID and returns exactly its bytes', async function () {
    const cid = await cidOf(module)
    served.set(cid, module)
    const bytes = await client.services.code.fetch(server.peerId, cid)
    expect(Buffer.from(bytes).equals(Buffer.from(module))).to.equal(true)
  })

  it('answers NOT_FOUND for a CID it does not have', async function () {
    const err = await failure(client.services.code.fetch(server.peerId, await cidOf(new Uint8Array([1]))))
    expect(err.name).to.equal('CodeNotFoundError')
  })

  it('refuses bytes that do not hash to the CID (a tampered provider)', async function () {
    const cid = await cidOf(module)
    const tampered = module.slice()
    tampered[100] = (tampered[100] ?? 0) ^ 1
    served.set(cid, tampered)
    const err = await failure(client.services.code.fetch(server.peerId, cid))
    expect(err.name).to.equal('CodeIntegrityError')
  })

  it('refuses to send or accept a module over the size cap', async function () {
    const big = new Uint8Array(150_000)
    const cid = await cidOf(big)
    served.set(cid, big)
    expect((await failure(client.services.code.fetch(server.peerId, cid))).name).to.equal('CodeTransferError')
    // a server with a larger cap sends it; the client still refuses to read it
    const generous = await codeNode({ maxModuleBytes: 1_000_000 })
    generous.services.code.setLookup(async () => big)
    await client.dial(generous.getMultiaddrs())
    expect((await failure(client.services.code.fetch(generous.peerId, cid))).name).to.equal('CodeTransferError')
  })

  it('survives a garbage request and keeps serving', async function () {
    const stream = await client.dialProtocol(server.peerId, CODE_PROTOCOL)
    const lp = lpStream(stream)
    await lp.write(new Uint8Array([0x0a, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff]))
    await stream.close().catch(() => {})
    const huge = await client.dialProtocol(server.peerId, CODE_PROTOCOL)
    await lpStream(huge).write(new Uint8Array(10_000)).catch(() => {})
    huge.abort(new Error('done'))
    const cid = await cidOf(module)
    served.set(cid, module)
    expect((await client.services.code.fetch(server.peerId, cid)).byteLength).to.equal(module.byteLength)
  })
})
