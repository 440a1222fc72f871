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
  /** Peers looked at for views so far: what a placement costs the simulator, besides messages. */
  viewed = 0
  /** Floyd's sample, per call: `marks[i] === stamp` says i is chosen already. */
  private readonly marks: Uint32Array
  private readonly chosen: number[] = []
  private stamp = 0

  /**
   * `cut`: a partition stands between two nodes; the daemon drops a peer from its view when the
   * connection goes (adverts peer:disconnect), so a peer cut off or dead is never in a view.
   */
  constructor (private readonly nodes: SimNode[], private readonly clock: Clock, private readonly init: { mode: 'fresh' | 'gossip', intervalMs: number, delayMs: number, viewSize: number }, private readonly random: () => number, private readonly cut: (a: SimNode, b: SimNode) => boolean = () => false) {
    this.adverts = nodes.map(() => [])
    this.marks = new Uint32Array(nodes.length)
  }

  /** Starts every node's adverts at a random phase; they go on while `active()` says so. */
  start (active: () => boolean): void {
    if (this.init.mode !== 'gossip') return
    for (const node of this.nodes) {
      const publish = (): void => {
        const history = this.adverts[node.index]!
        // a dead node sends nothing; its interval goes on, so it advertises again once restarted
        if (node.up) history.push({ at: this.clock.now(), load: node.load(), up: true })
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
    if (size === 0 || size >= n - 1) {
      for (let i = 0; i < n; i++) this.add(self, this.nodes[i]!, out)
      return out
    }
    // Floyd's sample of `size` distinct indices among the n - 1 others, in O(size); the marks
    // stand for a set (an array reused, stamped per call), in the order the sample chose them
    const stamp = ++this.stamp
    const chosen = this.chosen
    chosen.length = 0
    for (let j = n - 1 - size; j < n - 1; j++) {
      const t = Math.floor(this.random() * (j + 1))
      const k = this.marks[t] === stamp ? j : t
      this.marks[k] = stamp
      chosen.push(k)
    }
    for (const k of chosen) this.add(self, this.nodes[k >= self.index ? k + 1 : k]!, out)
    return out
  }

  private add (self: SimNode, node: SimNode, out: Candidate[]): void {
    this.viewed++
    if (node === self || !node.up || self.reputation.isExcluded(node.name) || this.cut(self, node)) return
    const c = this.seen(node)
    if (c != null) out.push(c)
  }

  /** A node died: its adverts go (a restarted node is seen again from its first advert after). */
  forget (node: SimNode): void {
    this.adverts[node.index]!.length = 0
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
