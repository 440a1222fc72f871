/**
 * @packageDocumentation
 *
 * Signed receipts (DESIGN.md section 12, docs/protocols.md "Receipts"): the node that ran a remote
 * invocation signs what it ran for whom (`ReceiptBody`: invocation id, CID, sha2-256 of input
 * and output, fuel, duration, price, executor, auctioneer, time, status) with its libp2p key,
 * over `"faasmesh-receipt:" + encoded body`, and sends it back as `InvokeResponse.receipt`. The
 * auctioneer checks it against the call it made. Pure functions over a `PrivateKey` or the peer
 * id in the body, shared by both ends and the tests.
 *
 * @example
 * ```ts
 * const receipt = await signReceipt(privateKey, body)
 * const checked = await verifyReceipt(receipt, { executor, auctioneer, invocationId, cid, inputSha256, outputSha256, price, status })
 * ```
 */
export { Receipt, ReceiptBody } from '../invoke/pb/invoke.js'
export { InvalidReceiptError, UnverifiableReceiptError } from './errors.js'
export { RECEIPT_DOMAIN, MAX_RECEIPT_BODY_BYTES, inputDigest, sha256, signReceipt, signedBytes, statusCode, statusName, verifyReceipt, type ExpectedReceipt } from './receipt.js'
