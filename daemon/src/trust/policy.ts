import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { UntrustedPublisherError } from '../errors.js'
import { trustMetrics, type TrustMetrics } from './metrics.js'
import { trustedPublishers } from './publishers.js'
import { RecordBook } from './record-book.js'
import { TrustList } from './trust-list.js'
import { claimedPublisher, verifyRecordFor } from './wire-record.js'
import type { KnownRecord, Trust, TrustComponents, TrustedPublisher, TrustInit, TrustMode, TrustStage, Verdict } from './index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

const EMPTY = new Uint8Array(0)

/** A record whose claimed publisher is not trusted here: refused before its signature is checked. */
class UntrustedClaim extends Error {
  constructor (readonly publisher: string) {
    super(`named by ${publisher}, who is not trusted here`)
  }
}

/**
 * The rule of docs/config.md (trust.*), in order: open mode vouches for everything; a CID this
 * node deployed is its own; otherwise a valid record of this node or a trusted publisher must
 * name it, the one sent with the call or one this node has seen. A record sent that fails its
 * checks vouches for nothing (and is reported), but does not spoil a trusted record known here:
 * the code is the same bytes whoever sent the call.
 */
export class TrustPolicy implements Trust {
  readonly mode: TrustMode
  private readonly components: TrustComponents
  private readonly self: string
  private readonly configured: Set<string>
  private readonly list?: TrustList
  private readonly book: RecordBook
  private readonly log: Logger
  private readonly metrics?: TrustMetrics
  // listed publishers as of the last check: recordFor() is synchronous and uses these
  private listed = new Set<string>()
  private listBroken = false

  constructor (components: TrustComponents, init: TrustInit) {
    this.components = components
    this.mode = init.mode ?? 'open'
    this.self = components.peerId.toString()
    this.configured = new Set(init.publishers ?? [])
    if (init.dataDir != null) this.list = new TrustList(init.dataDir)
    this.book = new RecordBook(this.self)
    this.log = components.logger.forComponent('faasmesh:trust')
    if (components.registry != null) this.metrics = trustMetrics(components.registry)
  }

  async vouch (cid: string, nameRecord: Uint8Array = EMPTY, options: AbortOptions = {}): Promise<Verdict> {
    if (this.mode === 'open') return { trusted: true, reason: 'open' }
    if (this.components.isOwn(cid)) return { trusted: true, reason: 'own' }
    const trusted = await this.trustedSet()
    options.signal?.throwIfAborted()
    let sent: Verdict | undefined
    if (nameRecord.byteLength > 0) {
      const known = this.book.records(cid).find((r) => uint8ArrayEquals(r.bytes, nameRecord))
      const claimed = known == null ? claimedPublisher(nameRecord) : undefined
      try {
        // a record of a publisher not trusted here vouches for nothing, valid or not: no signature check
        // (a flood of them costs a decode each, not a verification)
        if (claimed != null && !trusted.has(claimed)) throw new UntrustedClaim(claimed)
        // a record seen before needs no second signature check
        const record = known ?? await verifyRecordFor(cid, nameRecord)
        if (trusted.has(record.publisher)) {
          this.book.remember(record)
          return { trusted: true, reason: 'trusted-publisher', publisher: record.publisher }
        }
        sent = { trusted: false, reason: 'untrusted-publisher', publisher: record.publisher }
      } catch (err: any) {
        sent = err instanceof UntrustedClaim
          ? { trusted: false, reason: 'untrusted-publisher', publisher: err.publisher }
          : { trusted: false, reason: 'invalid-record', detail: String(err?.message ?? err).slice(0, 200) }
      }
    }
    const vouching = this.book.records(cid).find((r) => trusted.has(r.publisher))
    if (vouching != null) return { trusted: true, reason: 'trusted-publisher', publisher: vouching.publisher }
    return sent ?? { trusted: false, reason: 'no-record' }
  }

  async allows (cid: string, stage: TrustStage, nameRecord?: Uint8Array, options: AbortOptions = {}): Promise<boolean> {
    return (await this.verdict(cid, stage, nameRecord, options)).trusted
  }

  async check (cid: string, stage: TrustStage, nameRecord?: Uint8Array, options: AbortOptions = {}): Promise<void> {
    const verdict = await this.verdict(cid, stage, nameRecord, options)
    if (!verdict.trusted) throw new UntrustedPublisherError(`this node runs only code it deployed or that a trusted publisher named; ${cid} ${describe(verdict)}`)
  }

  remember (record: KnownRecord): void {
    this.book.remember(record)
  }

  recordFor (cid: string): Uint8Array {
    return this.book.pick(cid, (p) => p === this.self || this.configured.has(p) || this.listed.has(p))?.bytes ?? EMPTY
  }

  async publishers (): Promise<TrustedPublisher[]> {
    return trustedPublishers(this.configured, await this.list?.list() ?? [])
  }

  private async verdict (cid: string, stage: TrustStage, nameRecord: Uint8Array | undefined, options: AbortOptions): Promise<Verdict> {
    const verdict = await this.vouch(cid, nameRecord, options)
    if (!verdict.trusted) {
      this.metrics?.refused.inc({ stage })
      this.log('refused %s at %s: %s', cid, stage, describe(verdict))
    }
    return verdict
  }

  /** This node, the config's publishers and the trust list's, read again when the file changed. */
  private async trustedSet (): Promise<Set<string>> {
    if (this.list != null) {
      try {
        this.listed = new Set((await this.list.list()).map((p) => p.peer))
        if (this.listBroken) this.log('the trust list %s is readable again', this.list.file)
        this.listBroken = false
      } catch (err: any) {
        // fail closed: a broken list trusts nobody it named until it is fixed
        if (!this.listBroken) this.log.error('ignoring the trust list until it is fixed: %s', err?.message ?? err)
        this.listBroken = true
        this.listed = new Set()
      }
    }
    return new Set([this.self, ...this.configured, ...this.listed])
  }
}

function describe (verdict: Verdict): string {
  switch (verdict.reason) {
    case 'untrusted-publisher': return `is named by ${verdict.publisher ?? 'a publisher'}, who is not trusted here`
    case 'invalid-record': return `came with a record that does not hold (${verdict.detail ?? 'invalid'}), and no trusted record names it`
    case 'no-record': return 'came with no record, and no trusted publisher\'s record known here names it'
    default: return verdict.reason
  }
}
