/**
 * Label values for Prometheus metrics that come from outside (a CID any peer may ask this node
 * to run, a peer id). prom-client keeps one series per distinct label set for the life of the
 * process and every scrape returns all of them, so an unbounded label is a memory leak and a
 * scrape that grows without end. The first values seen keep their own series; once `max`
 * distinct ones are held, every further new value is counted under `other`.
 */

/** The label every value beyond the bound is counted under. */
export const OTHER_LABEL = 'other'

export class BoundedLabels {
  private readonly max: number
  private readonly seen = new Set<string>()

  /** @param max - distinct values with a series of their own; `other` comes on top */
  constructor (max: number) {
    this.max = max
  }

  /** `value` if it has (or may still get) a series of its own, else `other`. */
  label (value: string): string {
    if (this.seen.has(value)) return value
    // first come, kept for good: a counter's series cannot be handed over to another value
    // without its past counts going with it
    if (this.seen.size >= this.max) return OTHER_LABEL
    this.seen.add(value)
    return value
  }
}
