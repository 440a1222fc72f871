/**
 * Name records this node has seen and checked, by the CID they name: the ones it signed for
 * its own deploys, the ones the resolver verified when it resolved a name, and trusted ones
 * that came with a peer's call. An invocation by CID carries one of them, so that a node in
 * allowlist mode can tell whose code it is; a check without a record on the wire looks here.
 */
import { MAX_RECORDS_PER_CID, MAX_REMEMBERED_CIDS } from './constants.js'
import type { KnownRecord } from './index.js'

export class RecordBook {
  // insertion order doubles as recency order: a hit is deleted and re-inserted
  private readonly seen = new Map<string, KnownRecord[]>()
  // this node's own records, one per CID it named: bounded by what it deploys, never evicted
  private readonly own = new Map<string, KnownRecord>()

  constructor (private readonly self: string) {}

  remember (record: KnownRecord): void {
    if (record.publisher === this.self) {
      const previous = this.own.get(record.cid)
      if (previous == null || previous.seq <= record.seq) this.own.set(record.cid, record)
      return
    }
    const list = (this.seen.get(record.cid) ?? []).filter((r) => r.publisher !== record.publisher || r.seq > record.seq)
    if (!list.some((r) => r.publisher === record.publisher)) list.unshift(record)
    this.seen.delete(record.cid)
    this.seen.set(record.cid, list.slice(0, MAX_RECORDS_PER_CID))
    while (this.seen.size > MAX_REMEMBERED_CIDS) this.seen.delete(this.seen.keys().next().value as string)
  }

  /** Every record known for `cid`, this node's own first. */
  records (cid: string): KnownRecord[] {
    const own = this.own.get(cid)
    const list = this.seen.get(cid)
    if (list != null) {
      this.seen.delete(cid)
      this.seen.set(cid, list)
    }
    return own == null ? list ?? [] : [own, ...(list ?? [])]
  }

  /** The record to send along with `cid`: the first whose publisher `prefer` accepts, else any. */
  pick (cid: string, prefer: (publisher: string) => boolean): KnownRecord | undefined {
    const all = this.records(cid)
    return all.find((r) => prefer(r.publisher)) ?? all[0]
  }
}
