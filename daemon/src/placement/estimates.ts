/**
 * How long each function takes on this node: an exponentially weighted moving average of the
 * measured run time per CID, bounded in size (least recently updated dropped first).
 */
export class RunTimeEstimates {
  private readonly averages = new Map<string, number>()

  constructor (private readonly alpha = 0.3, private readonly maxEntries = 1024) {}

  /** The average run time of `cid` in ms, or undefined when it never ran here. */
  get (cid: string): number | undefined {
    return this.averages.get(cid)
  }

  record (cid: string, runMs: number): void {
    if (!Number.isFinite(runMs) || runMs < 0) return
    const previous = this.averages.get(cid)
    this.averages.delete(cid)
    this.averages.set(cid, previous == null ? runMs : previous + this.alpha * (runMs - previous))
    if (this.averages.size > this.maxEntries) this.averages.delete(this.averages.keys().next().value as string)
  }
}
