import { generateKeyPair, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { expect } from 'chai'
import { createNameRecord, NameRecord, nameKey, parseNameKey, selectNameRecord, validateNameRecord, verifyNameRecord } from '../src/names/index.js'
import type { PrivateKey } from '@libp2p/interface'

const CID_A = 'bafkreicged763fcw4ppkikhtvshxdcvfjdtg5htik6xyekf652todjb33u'
const CID_B = 'bafkreifj7u4d3wk4kq23jp6hkbctprqvs3kfqyojgrhojenzflqucgyfke'

async function rejection (key: Uint8Array, value: Uint8Array): Promise<string> {
  try {
    await validateNameRecord(key, value)
  } catch (err: any) {
    expect(err.name).to.equal('InvalidNameRecordError')
    return err.message
  }
  throw new Error('the record was accepted')
}

describe('name records', function () {
  let alice: PrivateKey
  let mallory: PrivateKey
  let aliceId: string

  before(async function () {
    alice = await generateKeyPair('Ed25519')
    mallory = await generateKeyPair('Ed25519')
    aliceId = peerIdFromPrivateKey(alice).toString()
  })

  it('round-trips a record signed by its publisher', async function () {
    const key = nameKey(aliceId, 'hello')
    const verified = await verifyNameRecord(key, await createNameRecord(alice, 'hello', CID_A, 7))
    expect(verified).to.include({ publisher: aliceId, name: 'hello', cid: CID_A, seq: 7 })
    expect(parseNameKey(key)).to.deep.equal({ publisher: aliceId, name: 'hello' })
  })

  it('refuses a record signed by anyone but the publisher named in the key (no hijacking)', async function () {
    const forged = await createNameRecord(mallory, 'hello', CID_B, 99)
    expect(await rejection(nameKey(aliceId, 'hello'), forged)).to.include('other than the publisher')
  })

  it('refuses a record whose signature does not cover its contents', async function () {
    const record = NameRecord.decode(await createNameRecord(alice, 'hello', CID_A, 1))
    const tampered = NameRecord.encode({ ...record, cid: NameRecord.decode(await createNameRecord(alice, 'hello', CID_B, 1)).cid })
    expect(await rejection(nameKey(aliceId, 'hello'), tampered)).to.equal('bad signature')
  })

  it('refuses unsigned, misnamed, malformed and oversized records and foreign keys', async function () {
    const signed = NameRecord.decode(await createNameRecord(alice, 'hello', CID_A, 1))
    const key = nameKey(aliceId, 'hello')
    expect(await rejection(key, NameRecord.encode({ ...signed, signature: new Uint8Array(0) }))).to.equal('record is not signed')
    expect(await rejection(nameKey(aliceId, 'other'), NameRecord.encode(signed))).to.include('key names "other"')
    expect(await rejection(key, new Uint8Array([0xff, 0xff, 0xff]))).to.include('undecodable')
    expect(await rejection(key, new Uint8Array(2000))).to.include('2000 bytes')
    expect(await rejection(new TextEncoder().encode('/faasmesh/fn/only-one-part'), NameRecord.encode(signed))).to.include('not a /faasmesh/fn/')
    const badKey = NameRecord.encode({ ...signed, publicKey: publicKeyToProtobuf(mallory.publicKey) as Uint8Array<ArrayBuffer> })
    expect(await rejection(key, badKey)).to.include('other than the publisher')
  })

  it('selects the record with the highest sequence number', async function () {
    const records = await Promise.all([3, 9, 5].map(async (seq) => createNameRecord(alice, 'hello', CID_A, seq)))
    expect(selectNameRecord(nameKey(aliceId, 'hello'), records)).to.equal(1)
    expect(selectNameRecord(nameKey(aliceId, 'hello'), [new Uint8Array([0xff]), records[0]!])).to.equal(1)
  })
})
