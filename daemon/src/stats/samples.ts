/**
 * A bounded sample of latencies: every value while there is room, then a uniform sample of all
 * seen (reservoir sampling, Vitter's algorithm R), so a busy second or function costs no more
 * memory than a quiet one.
 */
export class Reservoir {
  private readonly values: number[] = []
  private seen = 0

  constructor (private readonly capacity: number, private readonly random: () => number = Math.random) {}

  add (value: number): void {
    this.seen++
    if (this.values.length < this.capacity) {
      this.values.push(value)
      return
    }
    const slot = Math.floor(this.random() * this.seen)
    if (slot < this.capacity) this.values[slot] = value
  }

  /** The samples kept (at most `capacity`). */
  samples (): readonly number[] {
    return this.values
  }
}
