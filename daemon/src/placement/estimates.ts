/**
 * How long each function takes on this node: the median of its latest run times per CID,
 * bounded in size (least recently updated dropped first). A median, not a moving average: one
 * slow run (the first in a fresh worker, a busy moment) must not make the node bid high for
 * good, since a node that bids high is rarely chosen and so rarely learns better.
 */
export class RunTimeEstimates {
  private readonly samples = new Map<string, number[]>()

  constructor (private readonly window = 8, private readonly maxEntries = 1024) {}

  /** The typical run time of `cid` here in ms, or undefined when it never ran here. */
  get (cid: string): number | undefined {
    const recent = this.samples.get(cid)
    if (recent == null || recent.length === 0) return undefined
    const sorted = [...recent].sort((a, b) => a - b)
    const mid = sorted.length >> 1
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
  }

  record (cid: string, runMs: number): void {
    if (!Number.isFinite(runMs) || runMs < 0) return
    const recent = this.samples.get(cid) ?? []
    this.samples.delete(cid)
    recent.push(runMs)
    if (recent.length > this.window) recent.shift()
    this.samples.set(cid, recent)
    if (this.samples.size > this.maxEntries) this.samples.delete(this.samples.keys().next().value as string)
  }
}
