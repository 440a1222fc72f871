/**
 * @packageDocumentation
 *
 * Receipts and the ledger (DESIGN.md section 12, docs/protocols.md "Receipts"). The executor of
 * every remote invocation signs a receipt; the auctioneer verifies it. Both keep theirs in a
 * bounded on-disk ledger under `<dataDir>/ledger` (append-only JSONL segments, the oldest dropped
 * beyond `ledger.maxReceipts`, written in batches off the invoke path) and tally per peer what
 * each ran for the other; the tallies outlive dropped receipts. `GET /v1/receipts`,
 * `GET /v1/ledger`, `faasmesh receipts`, `faasmesh ledger`.
 *
 * @example
 * ```ts
 * const book = ledger({ dataDir, maxReceipts })({ logger, registry })
 * await book.start()
 * const desk = receiptDesk()({ privateKey, peerId, ledger: book, logger, registry })
 * ```
 */
import { Ledger as LedgerClass } from './ledger.js'
import { ledgerMetrics, type LedgerMetrics } from './metrics.js'
import { ReceiptDesk as ReceiptDeskClass } from './receipt-desk.js'
import type { LedgerEntry } from './entry.js'
import type { PeerTally } from './tallies.js'
import type { InvokeRequest, InvokeResponse } from '../../../protocols/src/invoke/index.js'
import type { Receipt } from '../../../protocols/src/receipts/index.js'
import type { ComponentLogger, PeerId, PrivateKey } from '@libp2p/interface'
import type { Registry } from 'prom-client'

export type { LedgerEntry, LedgerRole } from './entry.js'
export type { PeerTally, Work } from './tallies.js'
export { DEFAULT_LIMIT, MAX_LIMIT } from './constants.js'
export { contributes } from './contributors.js'
export { parseReceiptQuery } from './query.js'

export interface LedgerInit {
  /** The node's data dir: the ledger lives in `<dataDir>/ledger`. */
  dataDir: string
  /** Receipts kept on disk at most; the oldest tenth goes when it is passed. @default 100000 */
  maxReceipts?: number
}

export interface LedgerComponents {
  logger: ComponentLogger
  metrics?: Pick<LedgerMetrics, 'dropped'>
}

export interface ReceiptQuery {
  /** Only receipts with this peer (the other side). */
  peer?: string
  /** Only receipts this node recorded at or after this time, ms since the epoch. */
  since?: number
  /** At most this many, newest first. @default 100 (at most 1000) */
  limit?: number
}

export interface Ledger {
  start(): Promise<void>
  /** Writes what is pending. */
  stop(): Promise<void>
  /** Counts the receipt in its peer's tally at once, and queues it for the disk. */
  record(entry: LedgerEntry): void
  flush(): Promise<void>
  /** Newest first. Throws InvalidParametersError for a limit out of range. */
  receipts(query?: ReceiptQuery): Promise<LedgerEntry[]>
  /** Every tallied peer. */
  peers(): PeerTally[]
  tally(peer: string): PeerTally | undefined
  /** Receipts on disk and pending. */
  readonly size: number
}

/** The auctioneer's view of one remote call, for checking its receipt. */
export interface ReceiptCall {
  /** The peer called. */
  executor: PeerId
  invocationId: string
  cid: Uint8Array
  input: Uint8Array
  /** A chain step's input references, as sent. */
  inputs: Array<{ peer: string, ref: string, step: string, bytes: number }>
  /** What this node pays: InvokeRequest.price as sent. */
  price: number
  /** The output stayed with the executor (a chain step): its digest cannot be checked here. */
  keepOutput: boolean
}

/**
 * `verified`: kept in the ledger; `missing`: an answer of a function that ran came without one;
 * `invalid`: it failed a check; `none`: no receipt, and none was due (nothing ran).
 */
export type ReceiptResult = 'verified' | 'missing' | 'invalid' | 'none'

export interface ReceiptDesk {
  /** The executor's side: a signed receipt for an answer of a function that ran (undefined for any other), kept in the ledger. */
  sign(request: InvokeRequest, auctioneer: PeerId, response: InvokeResponse, output: Uint8Array): Promise<Receipt | undefined>
  /** The auctioneer's side: checks the answer's receipt against the call, keeps it when it verifies. */
  check(call: ReceiptCall, response: InvokeResponse): Promise<ReceiptResult>
}

export interface ReceiptDeskComponents {
  privateKey: PrivateKey
  peerId: PeerId
  ledger: Pick<Ledger, 'record'>
  logger: ComponentLogger
  registry?: Registry
}

export function ledger (init: LedgerInit): (components: { logger: ComponentLogger, registry?: Registry }) => Ledger {
  return ({ logger, registry }) => new LedgerClass({ logger, metrics: registry != null ? metricsOf(registry) : undefined }, init)
}

export function receiptDesk (): (components: ReceiptDeskComponents) => ReceiptDesk {
  return ({ privateKey, peerId, ledger, logger, registry }) => new ReceiptDeskClass({
    privateKey,
    peerId,
    ledger,
    metrics: registry != null ? metricsOf(registry) : undefined,
    log: logger.forComponent('faasmesh:receipts')
  })
}

/** One set of metrics per registry: the ledger and the desk share it. */
const registered = new WeakMap<Registry, LedgerMetrics>()
function metricsOf (registry: Registry): LedgerMetrics {
  let metrics = registered.get(registry)
  if (metrics == null) {
    metrics = ledgerMetrics(registry)
    registered.set(registry, metrics)
  }
  return metrics
}
