/**
 * Making and checking receipts. The signature covers `"faasmesh-receipt:" + body` (the domain
 * keeps a receipt's signature from being replayed as any other signed message of the node's
 * key), and the body travels as the exact bytes signed, so whoever stores a receipt can check
 * it again without re-encoding anything.
 */
import { createHash } from 'node:crypto'
import { equals as equal } from 'uint8arrays/equals'
import { InvokeResponse, Receipt, ReceiptBody } from '../invoke/pb/invoke.js'
import { InvalidReceiptError, UnverifiableReceiptError } from './errors.js'
import type { InvokeRequest } from '../invoke/pb/invoke.js'
import type { AbortOptions, PeerId, PrivateKey } from '@libp2p/interface'

/** What the signature covers before the body (docs/protocols.md, "Receipts"). */
export const RECEIPT_DOMAIN = 'faasmesh-receipt:'
/**
 * A body is an id (<= 64 B), a CID (~36 B), two digests (64 B), two peer ids (<= 2 * 42 B for
 * Ed25519/secp256k1; an RSA id is a 34 B hash) and a few numbers: 1 KiB bounds it with room.
 */
export const MAX_RECEIPT_BODY_BYTES = 1024
/** Ed25519 signatures are 64 B, secp256k1 DER ones up to 72 B; 512 B leaves room for anything sane. */
const MAX_SIGNATURE_BYTES = 512

const domain = new TextEncoder().encode(RECEIPT_DOMAIN)
const encoder = new TextEncoder()

/**
 * The wire values of InvokeResponse.Status, in order (protons gives the enum as names; the body
 * carries the number, as on the wire, so a receipt's meaning never depends on a name).
 */
const STATUS_NAMES = Object.values(InvokeResponse.Status).filter((v): v is InvokeResponse.Status => typeof v === 'string')

/** An InvokeResponse.Status as the number a receipt carries. */
export function statusCode (status: InvokeResponse.Status): number {
  return STATUS_NAMES.indexOf(status)
}

/** A receipt's status number as its InvokeResponse.Status name (`UNKNOWN` for a number past the enum). */
export function statusName (code: number): InvokeResponse.Status {
  return STATUS_NAMES[code] ?? InvokeResponse.Status.UNKNOWN
}

export function sha256 (bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(createHash('sha256').update(bytes).digest())
}

/**
 * What a receipt's `input_sha256` is a digest of: the request's input; for a chain step (its
 * input is not in the request but fetched by the executor from the nodes that hold it) the
 * references it was sent, as the JSON array `[[peer, ref, step, bytes], ...]`: the bytes behind
 * them are named by those invocation ids, whose own receipts cover them.
 */
export function inputDigest (request: Pick<InvokeRequest, 'input' | 'inputs'>): Uint8Array<ArrayBuffer> {
  if (request.inputs.length === 0) return sha256(request.input)
  return sha256(encoder.encode(JSON.stringify(request.inputs.map((i) => [i.peer, i.ref, i.step, i.bytes]))))
}

/** The bytes a receipt's signature covers. */
export function signedBytes (body: Uint8Array): Uint8Array {
  const out = new Uint8Array(domain.byteLength + body.byteLength)
  out.set(domain)
  out.set(body, domain.byteLength)
  return out
}

/** Signs `body` with the executor's key. */
export async function signReceipt (key: PrivateKey, body: ReceiptBody, options: AbortOptions = {}): Promise<Receipt> {
  const encoded = ReceiptBody.encode(body)
  const signature = await key.sign(signedBytes(encoded), options)
  return { body: encoded as Uint8Array<ArrayBuffer>, signature: signature as Uint8Array<ArrayBuffer> }
}

/** What the auctioneer knows of the call, that the receipt must match. */
export interface ExpectedReceipt {
  /** The peer it called: the receipt must be signed by its key and name it. */
  executor: PeerId
  /** Itself. */
  auctioneer: PeerId
  invocationId: string
  /** The function (binary CID). */
  cid: Uint8Array
  inputSha256: Uint8Array
  /** Omitted when the output did not come back (a kept chain output): the executor's digest is then taken as it is. */
  outputSha256?: Uint8Array
  price: number
  /** The status of the answer the receipt came with. */
  status: InvokeResponse.Status
}

/**
 * Checks a receipt against the call it answers: signed by the executor called (over the domain
 * and the body as sent), naming that executor and this auctioneer, for this invocation id, CID,
 * input, output, price and status. Returns the decoded body. Throws `InvalidReceiptError` (which
 * check failed is in the message), or `UnverifiableReceiptError` when the executor's peer id
 * does not carry its key.
 */
export async function verifyReceipt (receipt: Receipt, expected: ExpectedReceipt, options: AbortOptions = {}): Promise<ReceiptBody> {
  if (receipt.body.byteLength === 0 || receipt.body.byteLength > MAX_RECEIPT_BODY_BYTES) throw new InvalidReceiptError(`receipt body is ${receipt.body.byteLength} bytes`)
  if (receipt.signature.byteLength === 0 || receipt.signature.byteLength > MAX_SIGNATURE_BYTES) throw new InvalidReceiptError(`receipt signature is ${receipt.signature.byteLength} bytes`)
  let body: ReceiptBody
  try {
    body = ReceiptBody.decode(receipt.body)
  } catch (err: any) {
    throw new InvalidReceiptError(`undecodable receipt body: ${String(err?.message ?? err).slice(0, 200)}`)
  }
  // the key is the one of the peer called, never one the receipt brings along
  if (!equal(body.executor, expected.executor.toMultihash().bytes)) throw new InvalidReceiptError('the receipt names another executor than the peer called')
  const publicKey = expected.executor.publicKey
  if (publicKey == null) throw new UnverifiableReceiptError(`the peer id ${expected.executor.toString()} does not carry its public key`)
  let valid: boolean
  try {
    valid = await publicKey.verify(signedBytes(receipt.body), receipt.signature, options)
  } catch {
    valid = false
  }
  if (!valid) throw new InvalidReceiptError('bad receipt signature')
  if (!equal(body.auctioneer, expected.auctioneer.toMultihash().bytes)) throw new InvalidReceiptError('the receipt names another auctioneer')
  if (body.invocationId !== expected.invocationId) throw new InvalidReceiptError(`the receipt is for invocation "${body.invocationId.slice(0, 64)}", not "${expected.invocationId}"`)
  if (!equal(body.cid, expected.cid)) throw new InvalidReceiptError('the receipt is for another function')
  if (!equal(body.inputSha256, expected.inputSha256)) throw new InvalidReceiptError('the receipt\'s input digest does not match the input sent')
  if (expected.outputSha256 != null ? !equal(body.outputSha256, expected.outputSha256) : body.outputSha256.byteLength !== 32) throw new InvalidReceiptError('the receipt\'s output digest does not match the output received')
  if (body.price !== expected.price) throw new InvalidReceiptError(`the receipt's price ${body.price} is not the price paid ${expected.price}`)
  if (body.status !== statusCode(expected.status)) throw new InvalidReceiptError(`the receipt's status ${statusName(body.status)} is not the answer's ${expected.status}`)
  return body
}

