/**
 * A queue served round-robin by source instead of first come, first served: each source (a
 * remote peer, or the node's own callers as one) keeps its own FIFO, and `shift` takes the head
 * of one source then moves on to the next. A peer that queued 50 calls delays another source's
 * call by one of them, not by 50 (issue 15, item 4).
 */
export class FairQueue<T> {
  private readonly bySource = new Map<string, T[]>()
  /** Sources with something waiting, in the order they are served next. */
  private order: string[] = []
  private count = 0

  get length (): number {
    return this.count
  }

  push (source: string, item: T): void {
    let items = this.bySource.get(source)
    if (items == null) {
      items = []
      this.bySource.set(source, items)
      // a newcomer is served after the sources already waiting, before their second turn
      this.order.push(source)
    }
    items.push(item)
    this.count++
  }

  /** The next item: the oldest of the source whose turn it is; that source goes to the back. */
  shift (): T | undefined {
    const source = this.order.shift()
    if (source == null) return undefined
    const items = this.bySource.get(source) as T[]
    const item = items.shift() as T
    this.count--
    if (items.length > 0) this.order.push(source)
    else this.bySource.delete(source)
    return item
  }

  /** Takes `item` out wherever it waits (a caller that gave up); false if it is not queued. */
  remove (source: string, item: T): boolean {
    const items = this.bySource.get(source)
    const at = items?.indexOf(item) ?? -1
    if (items == null || at < 0) return false
    items.splice(at, 1)
    this.count--
    if (items.length === 0) {
      this.bySource.delete(source)
      this.order = this.order.filter((s) => s !== source)
    }
    return true
  }

  /** Empties the queue, returning everything that waited. */
  drain (): T[] {
    const all = [...this.bySource.values()].flat()
    this.bySource.clear()
    this.order = []
    this.count = 0
    return all
  }
}
