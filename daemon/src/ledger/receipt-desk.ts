import { InvokeResponse, type InvokeRequest } from '../../../protocols/src/invoke/index.js'
import { inputDigest, sha256, signReceipt, statusCode, verifyReceipt, type Receipt } from '../../../protocols/src/receipts/index.js'
import { entryOf } from './entry.js'
import type { Ledger, ReceiptCall, ReceiptDesk as ReceiptDeskInterface, ReceiptResult } from './index.js'
import type { LedgerMetrics } from './metrics.js'
import type { Logger, PeerId, PrivateKey } from '@libp2p/interface'

const Status = InvokeResponse.Status
/**
 * Answers that say the function ran (to its end or to a limit of its own): those are receipted.
 * Refusals, stops and conflicts ran nothing and carry none.
 */
const RAN: ReadonlySet<InvokeResponse.Status> = new Set([
  Status.OK, Status.TIMEOUT, Status.OUT_OF_FUEL, Status.OUT_OF_MEMORY, Status.TRAP, Status.STATE_CONFLICT, Status.STATE_TOO_LARGE
])

export interface ReceiptDeskComponents {
  privateKey: PrivateKey
  peerId: PeerId
  ledger: Pick<Ledger, 'record'>
  metrics?: Pick<LedgerMetrics, 'receipts' | 'signed'>
  log: Logger
}

/**
 * Both ends of receipts: the executor signs one for each answer of a function it ran for a peer
 * and keeps it in its ledger; the auctioneer checks the one it gets, keeps it when it verifies,
 * and says what it found, for placement to punish (reputation `bad-receipt`).
 */
export class ReceiptDesk implements ReceiptDeskInterface {
  constructor (private readonly components: ReceiptDeskComponents) {}

  async sign (request: InvokeRequest, auctioneer: PeerId, response: InvokeResponse, output: Uint8Array): Promise<Receipt | undefined> {
    if (!RAN.has(response.status)) return undefined
    const { privateKey, peerId } = this.components
    const body = {
      invocationId: request.invocationId,
      cid: request.cid,
      inputSha256: inputDigest(request),
      // a kept chain output is not sent back: the digest commits to the bytes kept here, which the next steps fetch
      outputSha256: sha256(output),
      fuel: response.fuel,
      durationUs: response.durationUs,
      price: Number.isFinite(request.price) ? request.price : 0,
      executor: peerId.toMultihash().bytes as Uint8Array<ArrayBuffer>,
      auctioneer: auctioneer.toMultihash().bytes as Uint8Array<ArrayBuffer>,
      timestamp: Date.now(),
      status: statusCode(response.status)
    }
    const receipt = await signReceipt(privateKey, body)
    this.components.metrics?.signed.inc()
    this.components.ledger.record(entryOf('executor', receipt, body, body.timestamp))
    return receipt
  }

  async check (call: ReceiptCall, response: InvokeResponse): Promise<ReceiptResult> {
    const { metrics, log } = this.components
    if (response.receipt == null || response.receipt.body.byteLength === 0) {
      if (!RAN.has(response.status)) return 'none'
      metrics?.receipts.inc({ result: 'missing' })
      return 'missing'
    }
    try {
      const body = await verifyReceipt(response.receipt, {
        executor: call.executor,
        auctioneer: this.components.peerId,
        invocationId: call.invocationId,
        cid: call.cid,
        inputSha256: inputDigest({ input: call.input as Uint8Array<ArrayBuffer>, inputs: call.inputs }),
        // a kept output did not come back: its digest is the executor's word
        outputSha256: call.keepOutput ? undefined : sha256(response.output),
        price: call.price,
        status: response.status
      })
      this.components.ledger.record(entryOf('auctioneer', response.receipt, body, Date.now()))
      metrics?.receipts.inc({ result: 'verified' })
      return 'verified'
    } catch (err: any) {
      log('invalid receipt from %p for %s: %s', call.executor, call.invocationId, err?.message ?? err)
      metrics?.receipts.inc({ result: 'invalid' })
      return 'invalid'
    }
  }
}
