import { CID } from 'multiformats/cid'
import { peerIdFromMultihash } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import { statusName, type Receipt, type ReceiptBody } from '../../../protocols/src/receipts/index.js'

/**
 * This node's side of a receipt: `auctioneer`, a peer ran the invocation for this node (a receipt
 * it verified); `executor`, this node ran it for a peer (the receipt it signed).
 */
export type LedgerRole = 'auctioneer' | 'executor'

/**
 * One receipt as the ledger keeps it: the raw body and signature (base64), so anyone can verify
 * it again (docs/protocols.md, "Receipts"), and the body's fields decoded for reading.
 */
export interface LedgerEntry {
  role: LedgerRole
  /** The other side: the executor when `role` is auctioneer, the auctioneer when it is executor. */
  peer: string
  /** When this node recorded it, ms since the epoch (what `since` compares to). */
  at: number
  invocationId: string
  cid: string
  /** Hex digests. */
  inputSha256: string
  outputSha256: string
  fuel: number
  durationUs: number
  price: number
  executor: string
  auctioneer: string
  /** When the executor signed it, by its clock. */
  timestamp: number
  /** An InvokeResponse.Status name. */
  status: string
  /** The signed bytes (ReceiptBody, encoded) and the executor's signature, base64. */
  body: string
  signature: string
}

export function entryOf (role: LedgerRole, receipt: Receipt, body: ReceiptBody, at: number): LedgerEntry {
  const executor = peerText(body.executor)
  const auctioneer = peerText(body.auctioneer)
  return {
    role,
    peer: role === 'auctioneer' ? executor : auctioneer,
    at,
    invocationId: body.invocationId,
    cid: cidText(body.cid),
    inputSha256: Buffer.from(body.inputSha256).toString('hex'),
    outputSha256: Buffer.from(body.outputSha256).toString('hex'),
    fuel: body.fuel,
    durationUs: body.durationUs,
    price: body.price,
    executor,
    auctioneer,
    timestamp: body.timestamp,
    status: statusName(body.status),
    body: Buffer.from(receipt.body).toString('base64'),
    signature: Buffer.from(receipt.signature).toString('base64')
  }
}

function peerText (bytes: Uint8Array): string {
  try {
    return peerIdFromMultihash(Digest.decode(bytes)).toString()
  } catch {
    return Buffer.from(bytes).toString('hex')
  }
}

function cidText (bytes: Uint8Array): string {
  try {
    return CID.decode(bytes).toString()
  } catch {
    return Buffer.from(bytes).toString('hex')
  }
}
