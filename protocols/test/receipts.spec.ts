/**
 * Receipts (DESIGN.md section 12): a receipt signed by the executor verifies against the call it
 * answers, and every forgery a dishonest executor (or a replay by anyone) could try is caught,
 * by name.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { expect } from 'chai'
import { CID } from 'multiformats/cid'
import { InvokeResponse } from '../src/invoke/index.js'
import { inputDigest, MAX_RECEIPT_BODY_BYTES, ReceiptBody, sha256, signReceipt, statusCode, verifyReceipt, type ExpectedReceipt, type Receipt } from '../src/receipts/index.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

const CID_BYTES = CID.parse('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy').bytes
const INPUT = new TextEncoder().encode('world')
const OUTPUT = new TextEncoder().encode('Hello, world!')

async function expectRejected (promise: Promise<unknown>, name: string, message?: RegExp): Promise<void> {
  try {
    await promise
  } catch (err: any) {
    expect(err.name).to.equal(name)
    if (message != null) expect(err.message).to.match(message)
    return
  }
  expect.fail(`expected ${name}`)
}

describe('receipts', function () {
  let executorKey: PrivateKey
  let otherKey: PrivateKey
  let executor: PeerId
  let other: PeerId
  let auctioneer: PeerId

  before(async function () {
    executorKey = await generateKeyPair('Ed25519')
    otherKey = await generateKeyPair('Ed25519')
    executor = peerIdFromPrivateKey(executorKey)
    other = peerIdFromPrivateKey(otherKey)
    auctioneer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  })

  function body (overrides: Partial<ReceiptBody> = {}): ReceiptBody {
    return {
      invocationId: 'inv-1',
      cid: CID_BYTES,
      inputSha256: inputDigest({ input: INPUT, inputs: [] }),
      outputSha256: sha256(OUTPUT),
      fuel: 1234,
      durationUs: 567,
      price: 1.25,
      executor: executor.toMultihash().bytes,
      auctioneer: auctioneer.toMultihash().bytes,
      timestamp: Date.now(),
      status: statusCode(InvokeResponse.Status.OK),
      ...overrides
    }
  }

  function expected (overrides: Partial<ExpectedReceipt> = {}): ExpectedReceipt {
    return {
      executor,
      auctioneer,
      invocationId: 'inv-1',
      cid: CID_BYTES,
      inputSha256: sha256(INPUT),
      outputSha256: sha256(OUTPUT),
      price: 1.25,
      status: InvokeResponse.Status.OK,
      ...overrides
    }
  }

  it('a receipt signed by the executor verifies, and decodes to what was signed', async function () {
    const signed = body()
    const receipt = await signReceipt(executorKey, signed)
    const checked = await verifyReceipt(receipt, expected())
    expect(checked).to.deep.equal(signed)
    expect(receipt.signature.byteLength).to.equal(64)
    expect(receipt.body.byteLength).to.be.below(MAX_RECEIPT_BODY_BYTES)
  })

  it('a status is carried as its wire number: a TRAP receipt verifies for a TRAP answer only', async function () {
    const receipt = await signReceipt(executorKey, body({ status: statusCode(InvokeResponse.Status.TRAP) }))
    expect(statusCode(InvokeResponse.Status.TRAP)).to.equal(7)
    await verifyReceipt(receipt, expected({ status: InvokeResponse.Status.TRAP }))
    await expectRejected(verifyReceipt(receipt, expected()), 'InvalidReceiptError', /status TRAP/)
  })

  it('detects a flipped byte anywhere in the body', async function () {
    const receipt = await signReceipt(executorKey, body())
    // every byte but the executor's id (its flip is caught earlier, by name): the signature breaks
    for (let i = 0; i < receipt.body.byteLength; i += 7) {
      const forged: Receipt = { body: receipt.body.slice(), signature: receipt.signature }
      forged.body[i]! ^= 0x01
      await expectRejected(verifyReceipt(forged, expected()), 'InvalidReceiptError')
    }
  })

  it('detects a signature by another key', async function () {
    const receipt = await signReceipt(otherKey, body())
    await expectRejected(verifyReceipt(receipt, expected()), 'InvalidReceiptError', /bad receipt signature/)
  })

  it('detects an executor field that names another peer, even signed by that peer', async function () {
    // the peer called was `executor`; `other` signs a receipt naming itself
    const receipt = await signReceipt(otherKey, body({ executor: other.toMultihash().bytes }))
    await expectRejected(verifyReceipt(receipt, expected()), 'InvalidReceiptError', /another executor/)
  })

  it('detects a receipt replayed for another invocation id', async function () {
    const receipt = await signReceipt(executorKey, body())
    await expectRejected(verifyReceipt(receipt, expected({ invocationId: 'inv-2' })), 'InvalidReceiptError', /invocation "inv-1"/)
  })

  it('detects a wrong output hash', async function () {
    const receipt = await signReceipt(executorKey, body({ outputSha256: sha256(new TextEncoder().encode('Hello, forged!')) }))
    await expectRejected(verifyReceipt(receipt, expected()), 'InvalidReceiptError', /output digest/)
  })

  it('detects another auctioneer, CID, input, price', async function () {
    const receipt = await signReceipt(executorKey, body())
    await expectRejected(verifyReceipt(receipt, expected({ auctioneer: other })), 'InvalidReceiptError', /another auctioneer/)
    await expectRejected(verifyReceipt(receipt, expected({ cid: CID_BYTES.slice(0, -1) })), 'InvalidReceiptError', /another function/)
    await expectRejected(verifyReceipt(receipt, expected({ inputSha256: sha256(OUTPUT) })), 'InvalidReceiptError', /input digest/)
    await expectRejected(verifyReceipt(receipt, expected({ price: 0 })), 'InvalidReceiptError', /price/)
  })

  it('a kept output (not sent back) is taken on the executor\'s word, as long as it is a digest', async function () {
    const receipt = await signReceipt(executorKey, body())
    await verifyReceipt(receipt, expected({ outputSha256: undefined }))
    const short = await signReceipt(executorKey, body({ outputSha256: new Uint8Array(3) }))
    await expectRejected(verifyReceipt(short, expected({ outputSha256: undefined })), 'InvalidReceiptError', /output digest/)
  })

  it('a chain step\'s input digest covers its references, not the empty input', function () {
    const refs = [{ peer: executor.toString(), ref: 'a', step: 's1', bytes: 3 }]
    expect(inputDigest({ input: new Uint8Array(0), inputs: refs })).to.not.deep.equal(sha256(new Uint8Array(0)))
    expect(inputDigest({ input: new Uint8Array(0), inputs: refs })).to.not.deep.equal(inputDigest({ input: new Uint8Array(0), inputs: [{ ...refs[0]!, ref: 'b' }] }))
  })

  it('an executor whose peer id carries no key cannot be verified: UnverifiableReceiptError', async function () {
    // an RSA peer id is the sha2-256 of its key: nothing inline to check a signature with
    const rsa = peerIdFromString('QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N')
    expect(rsa.publicKey).to.equal(undefined)
    const receipt = await signReceipt(executorKey, body({ executor: rsa.toMultihash().bytes }))
    await expectRejected(verifyReceipt(receipt, expected({ executor: rsa })), 'UnverifiableReceiptError')
  })

  it('garbage is refused by name, never thrown as anything else', async function () {
    await expectRejected(verifyReceipt({ body: new Uint8Array(0), signature: new Uint8Array(64) }, expected()), 'InvalidReceiptError')
    await expectRejected(verifyReceipt({ body: new Uint8Array(MAX_RECEIPT_BODY_BYTES + 1), signature: new Uint8Array(64) }, expected()), 'InvalidReceiptError')
    await expectRejected(verifyReceipt({ body: new Uint8Array([0xff, 0xff, 0xff]), signature: new Uint8Array(64) }, expected()), 'InvalidReceiptError')
  })
})
