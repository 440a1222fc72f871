/** What the queue orders: earliest `at` first, and among equal times the one pushed first. */
export interface Keyed {
  at: number
  seq: number
  /** Where the item is in the heap, -1 once out of it: kept by the heap, for `remove`. */
  pos?: number
}

const before = (a: Keyed, b: Keyed): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/**
 * A binary min-heap of events. The sequence number breaks ties, so events at the same virtual
 * time run in the order they were scheduled, which is what makes a run repeatable. Each item
 * knows its place, so a cancelled timer leaves at once (`remove`) instead of waiting for its
 * time: most timers are cancelled (bid timeouts, reservation TTLs), and at 10,000 nodes those
 * left in would make the heap ten times larger, and every push and pop slower.
 */
export class EventHeap<T extends Keyed> {
  private readonly items: T[] = []

  get size (): number {
    return this.items.length
  }

  peek (): T | undefined {
    return this.items[0]
  }

  push (item: T): void {
    this.up(item, this.items.push(item) - 1)
  }

  pop (): T | undefined {
    const top = this.items[0]
    if (top !== undefined) this.removeAt(0)
    return top
  }

  /** Takes `item` out wherever it is; false when it is not in the heap. */
  remove (item: T): boolean {
    const i = item.pos ?? -1
    if (i < 0 || this.items[i] !== item) return false
    this.removeAt(i)
    return true
  }

  private removeAt (i: number): void {
    const items = this.items
    const gone = items[i]!
    gone.pos = -1
    const last = items.pop()!
    if (i === items.length) return
    // the last item fills the hole, then moves up or down to where it belongs
    if (i > 0 && before(last, items[(i - 1) >> 1]!)) this.up(last, i)
    else this.down(last, i)
  }

  private up (item: T, i: number): void {
    const items = this.items
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = items[parent]!
      if (!before(item, p)) break
      items[i] = p
      p.pos = i
      i = parent
    }
    items[i] = item
    item.pos = i
  }

  private down (item: T, i: number): void {
    const items = this.items
    const n = items.length
    for (;;) {
      const left = 2 * i + 1
      if (left >= n) break
      const right = left + 1
      const child = right < n && before(items[right]!, items[left]!) ? right : left
      const c = items[child]!
      if (!before(c, item)) break
      items[i] = c
      c.pos = i
      i = child
    }
    items[i] = item
    item.pos = i
  }
}
