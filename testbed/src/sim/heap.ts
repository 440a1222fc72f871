/** What the queue orders: earliest `at` first, and among equal times the one pushed first. */
export interface Keyed {
  at: number
  seq: number
}

const before = (a: Keyed, b: Keyed): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

/**
 * A binary min-heap of events. The sequence number breaks ties, so events at the same virtual
 * time run in the order they were scheduled, which is what makes a run repeatable.
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
    const items = this.items
    let i = items.push(item) - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(item, items[parent]!)) break
      items[i] = items[parent]!
      i = parent
    }
    items[i] = item
  }

  pop (): T | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    let i = 0
    const n = items.length
    for (;;) {
      const left = 2 * i + 1
      if (left >= n) break
      const right = left + 1
      const child = right < n && before(items[right]!, items[left]!) ? right : left
      if (!before(items[child]!, last)) break
      items[i] = items[child]!
      i = child
    }
    items[i] = last
    return top
  }
}
