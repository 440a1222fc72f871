import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidParametersError } from '../errors.js'
import { removeTempFiles, writeFileAtomic } from '../utils/atomic-write.js'
import { BATCH_ENTRIES, DEFAULT_LIMIT, FLUSH_MS, MAX_LIMIT, MAX_PEERS, MAX_PENDING, SEGMENTS } from './constants.js'
import { Segments } from './segments.js'
import { Tallies, type PeerTally } from './tallies.js'
import type { LedgerComponents, LedgerInit, Ledger as LedgerInterface, ReceiptQuery } from './index.js'
import type { LedgerEntry } from './entry.js'
import type { Logger } from '@libp2p/interface'

/**
 * The ledger: receipts in bounded JSONL segments under `<dataDir>/ledger`, tallies per peer in
 * `tallies.json` beside them. `record` never waits for the disk: entries are batched and written
 * every FLUSH_MS (or at BATCH_ENTRIES), one batch at a time, and the tallies saved atomically
 * after each batch. A crash loses at most the batch not yet written.
 */
export class Ledger implements LedgerInterface {
  private readonly dir: string
  private readonly segments: Segments
  private readonly tallies = new Tallies(MAX_PEERS)
  private readonly log: Logger
  private pending: LedgerEntry[] = []
  private timer?: ReturnType<typeof setTimeout>
  private writing: Promise<void> = Promise.resolve()
  /** Tallies moved since they were last written (a dropped receipt still moves them). */
  private talliesChanged = false
  private started = false

  constructor (private readonly components: LedgerComponents, init: LedgerInit) {
    this.dir = join(init.dataDir, 'ledger')
    const maxReceipts = init.maxReceipts ?? 100_000
    this.segments = new Segments(this.dir, maxReceipts, Math.max(1, Math.ceil(maxReceipts / SEGMENTS)))
    this.log = components.logger.forComponent('faasmesh:ledger')
  }

  async start (): Promise<void> {
    if (this.started) return
    await mkdir(this.dir, { recursive: true })
    await removeTempFiles(this.dir)
    const { torn } = await this.segments.open()
    if (torn > 0) this.log('cut off the torn last line of %d segment(s): a batch a crash interrupted', torn)
    try {
      this.tallies.load(JSON.parse(await readFile(this.tallyPath(), 'utf8'))?.peers)
    } catch (err: any) {
      if (err?.code !== 'ENOENT') this.log.error('could not read the tallies, starting from none: %s', err?.message ?? err)
    }
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    await this.flush()
    this.started = false
  }

  record (entry: LedgerEntry): void {
    this.tallies.add(entry)
    this.talliesChanged = true
    // the disk fell this far behind: the receipt is lost, its tally is not
    if (this.pending.length >= MAX_PENDING) {
      this.components.metrics?.dropped.inc()
      return
    }
    this.pending.push(entry)
    if (this.pending.length >= BATCH_ENTRIES) void this.flush().catch(() => {})
    else this.timer ??= setTimeout(() => { void this.flush().catch(() => {}) }, FLUSH_MS)
    this.timer?.unref?.()
  }

  /** Writes what is pending (after any batch in flight). */
  async flush (): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    const batch = this.pending
    this.pending = []
    // a reader (GET /v1/receipts) flushes too: with nothing new, there is nothing to rewrite
    if (batch.length === 0 && !this.talliesChanged) {
      await this.writing
      return
    }
    this.writing = this.writing.then(async () => {
      if (!this.started && batch.length === 0) return
      const tallies = this.talliesChanged
      this.talliesChanged = false
      try {
        if (batch.length > 0) await this.segments.append(batch)
        if (tallies) await writeFileAtomic(this.tallyPath(), JSON.stringify({ v: 1, peers: this.tallies.list() }) + '\n')
      } catch (err: any) {
        this.talliesChanged ||= tallies
        this.log.error('could not write %d receipt(s): %s', batch.length, err?.message ?? err)
      }
    })
    await this.writing
  }

  async receipts (query: ReceiptQuery = {}): Promise<LedgerEntry[]> {
    const limit = query.limit ?? DEFAULT_LIMIT
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new InvalidParametersError(`limit must be 1-${MAX_LIMIT}`)
    await this.flush()
    const out: LedgerEntry[] = []
    for await (const entry of this.segments.newest()) {
      // segments are in time order: nothing older follows
      if (query.since != null && entry.at < query.since) break
      if (query.peer != null && entry.peer !== query.peer) continue
      out.push(entry)
      if (out.length >= limit) break
    }
    return out
  }

  peers (): PeerTally[] {
    return this.tallies.list()
  }

  tally (peer: string): PeerTally | undefined {
    return this.tallies.get(peer)
  }

  get size (): number {
    return this.segments.count + this.pending.length
  }

  private tallyPath (): string {
    return join(this.dir, 'tallies.json')
  }
}
