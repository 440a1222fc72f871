import type { SimNode } from './node.js'
import type { Candidate } from '../../../daemon/src/placement/candidates.js'
import type { Clock } from '../../../daemon/src/utils/clock.js'

interface Advert {
  at: number
  load: number
  up: boolean
}

/** Adverts kept per node: enough for any delay up to this many intervals. */
const HISTORY = 4

/**
 * What one node knows of the others' load. `fresh`: their live state (exact knowledge, the
 * supermarket model). `gossip`: their latest capacity advert, published every interval (each
 * node at its own phase) and seen `delayMs` later, so a view is up to interval + delay old, as
 * with the daemon's adverts (papers.md B6). A peer's partial view is drawn uniformly per
 * placement when `viewSize` is set.
 */
export class CapacityViews {
  private readonly adverts: Advert[][]

  constructor (private readonly nodes: SimNode[], private readonly clock: Clock, private readonly init: { mode: 'fresh' | 'gossip', intervalMs: number, delayMs: number, viewSize: number }, private readonly random: () => number) {
    this.adverts = nodes.map(() => [])
  }

  /** Starts every node's adverts at a random phase; they go on while `active()` says so. */
  start (active: () => boolean): void {
    if (this.init.mode !== 'gossip') return
    for (const node of this.nodes) {
      const publish = (): void => {
        const history = this.adverts[node.index]!
        history.push({ at: this.clock.now(), load: node.load(), up: node.up })
        if (history.length > HISTORY) history.shift()
        if (active()) this.clock.setTimeout(publish, this.init.intervalMs)
      }
      this.clock.setTimeout(publish, this.random() * this.init.intervalMs)
    }
  }

  /** The peers `self` may choose from, as it sees them, those it has banned left out (placement.ts `peerCandidates`). */
  peers (self: SimNode): Candidate[] {
    const n = this.nodes.length
    const size = this.init.viewSize
    const out: Candidate[] = []
    const add = (i: number): void => {
      const node = this.nodes[i]!
      if (node === self || self.reputation.isExcluded(node.name)) return
      const c = this.seen(node)
      if (c != null) out.push(c)
    }
    if (size === 0 || size >= n - 1) {
      for (let i = 0; i < n; i++) add(i)
      return out
    }
    // Floyd's sample of `size` distinct indices among the n - 1 others, in O(size)
    const chosen = new Set<number>()
    for (let j = n - 1 - size; j < n - 1; j++) {
      const t = Math.floor(this.random() * (j + 1))
      chosen.add(chosen.has(t) ? j : t)
    }
    for (const k of chosen) add(k >= self.index ? k + 1 : k)
    return out
  }

  private seen (node: SimNode): Candidate | undefined {
    if (this.init.mode === 'fresh') return node.up ? node.candidate(false) : undefined
    const history = this.adverts[node.index]!
    const visibleBy = this.clock.now() - this.init.delayMs
    for (let i = history.length - 1; i >= 0; i--) {
      const advert = history[i]!
      if (advert.at <= visibleBy) return advert.up ? node.candidate(false, advert.load) : undefined
    }
    return undefined
  }
}
