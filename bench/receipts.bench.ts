/**
 * What signed receipts cost per remote invocation (DESIGN.md section 12): the executor's sha-256
 * of input and output, its Ed25519 signature and ledger append, and the auctioneer's hashing,
 * verification and ledger append, next to the raw remote invoke round trip they ride on (two
 * libp2p nodes, TCP + noise + yamux on 127.0.0.1, one process), all in the same run.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { identify } from '@libp2p/identify'
import { defaultLogger } from '@libp2p/logger'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import { invokeProtocol, InvokeResponse, type Invoke, type InvokeRequest } from '../protocols/src/invoke/index.js'
import { ledger, receiptDesk, type Ledger, type ReceiptDesk } from '../daemon/src/ledger/index.js'
import { sample, summarize } from './stats.js'
import type { Row } from './report.js'
import type { Libp2p, PeerId, PrivateKey } from '@libp2p/interface'

type InvokeNode = Libp2p<{ invoke: Invoke }>

const CID_BYTES = CID.parse('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy').bytes as Uint8Array<ArrayBuffer>
/** A small call, where the receipt's share of the round trip is largest. */
const INPUT = new Uint8Array(100).fill(7)
const OUTPUT = new Uint8Array(100).fill(9)

async function invokeNode (privateKey: PrivateKey): Promise<InvokeNode> {
  return createLibp2p({
    privateKey,
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), invoke: invokeProtocol() }
  }) as unknown as Promise<InvokeNode>
}

function answer (): InvokeResponse {
  return { status: InvokeResponse.Status.OK, output: OUTPUT, durationUs: 50, fuel: 1000, cold: false, fetched: false, message: '', stateVersion: 0, stateBytes: 0, clientState: new Uint8Array(0), outputBytes: 0, inputBytesMoved: 0, logs: [] }
}

function request (i: number, price: number): InvokeRequest {
  return { cid: CID_BYTES, input: INPUT, deadlineMs: 5000, reservation: new Uint8Array(0), invocationId: `bench-${i}`, inputs: [], keepOutput: false, nameRecord: new Uint8Array(0), price }
}

interface Side { desk: ReceiptDesk, book: Ledger }

async function side (dir: string, name: string, peerId: PeerId, privateKey: PrivateKey): Promise<Side> {
  const logger = defaultLogger()
  // maxReceipts well above the run: drops (a rm of a segment) would be part of a real run too, but not of every call
  const book = ledger({ dataDir: join(dir, name), maxReceipts: 1_000_000 })({ logger })
  await book.start()
  return { book, desk: receiptDesk()({ privateKey, peerId, ledger: book, logger }) }
}

export async function benchReceipts (quick: boolean): Promise<Row[]> {
  const n = quick ? 300 : 2000
  const dir = await mkdtemp(join(tmpdir(), 'faasmesh-bench-receipts-'))
  const [executorKey, auctioneerKey] = await Promise.all([generateKeyPair('Ed25519'), generateKeyPair('Ed25519')])
  const [executor, auctioneer] = await Promise.all([invokeNode(executorKey), invokeNode(auctioneerKey)])
  try {
    await auctioneer.dial(executor.getMultiaddrs())
    // the keys the nodes run with, as the daemon's desk gets them
    const exec = await side(dir, 'executor', executor.peerId, executorKey)
    const auct = await side(dir, 'auctioneer', auctioneer.peerId, auctioneerKey)
    executor.services.invoke.setHandler(async (req, { peer }) => {
      const response = answer()
      // a price marks the calls that carry receipts: the two kinds alternate, so that both see the same load
      if (req.price > 0) response.receipt = await exec.desk.sign(req, peer, response, OUTPUT)
      return response
    })
    let failed = 0
    const rawSamples: number[] = []
    const receiptedSamples: number[] = []
    await sample(2 * n, async (i) => {
      const receipted = i >= 0 && i % 2 === 1
      const req = request(i + 1_000_000, receipted ? 1.5 : 0)
      const t0 = performance.now()
      const response = await auctioneer.services.invoke.invoke(executor.peerId, req)
      if (receipted) {
        const result = await auct.desk.check({ executor: executor.peerId, invocationId: req.invocationId, cid: req.cid, input: req.input, inputs: [], price: req.price, keepOutput: false }, response)
        if (result !== 'verified') failed++
      }
      if (i >= 0) (receipted ? receiptedSamples : rawSamples).push(performance.now() - t0)
    })
    const raw = summarize(rawSamples)
    const receipted = summarize(receiptedSamples)
    // the receipt work alone, both sides, no network: what each remote invocation adds in CPU
    const work = summarize(await sample(n, async (i) => {
      const req = request(i + 2_000_000, 1.5)
      const response = answer()
      response.receipt = await exec.desk.sign(req, auctioneer.peerId, response, OUTPUT)
      const result = await auct.desk.check({ executor: executor.peerId, invocationId: req.invocationId, cid: req.cid, input: req.input, inputs: [], price: req.price, keepOutput: false }, response)
      if (result !== 'verified') failed++
    }))
    if (failed > 0) throw new Error(`${failed} receipts did not verify`)
    await Promise.all([exec.book.stop(), auct.book.stop()])
    return [
      { group: 'receipts', name: 'receipt work per invocation: 2x sha-256 + sign + verify + 2 ledger appends (no network)', result: { ...work, throughput: 1000 / work.median }, baselineName: 'raw remote invoke round trip (100 B in/out, no receipt)', baseline: raw },
      { group: 'receipts', name: 'remote invoke round trip with a signed, verified and recorded receipt', result: receipted, baselineName: 'raw remote invoke round trip (100 B in/out, no receipt)', baseline: raw }
    ]
  } finally {
    await Promise.all([executor.stop(), auctioneer.stop()])
    await rm(dir, { recursive: true, force: true })
  }
}
