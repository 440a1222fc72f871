/**
 * Invocations each remote peer has running or queued on this node, capped: the invoke handler
 * asks before admitting one and answers REFUSED (try another node) beyond the cap, so one
 * peer cannot take every slot and the whole queue. Entries exist only while a peer has
 * something running, so the map is bounded by the node's own admission bound.
 */
export class PeerInvocations {
  private readonly counts = new Map<string, number>()

  constructor (private readonly max: number) {}

  /**
   * Counts one more for `peer` and returns its release, or undefined when it is at the cap
   * (unless `force`: counted whatever the cap, for a call already promised a place here).
   */
  acquire (peer: string, force = false): (() => void) | undefined {
    const count = this.counts.get(peer) ?? 0
    if (count >= this.max && !force) return undefined
    this.counts.set(peer, count + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      const left = (this.counts.get(peer) ?? 1) - 1
      if (left <= 0) this.counts.delete(peer)
      else this.counts.set(peer, left)
    }
  }

  running (peer: string): number {
    return this.counts.get(peer) ?? 0
  }
}
