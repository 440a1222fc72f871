import { LINK_CLASSES, type LinkSpec } from '../link-classes.js'
import type { Scenario } from '../scenario.js'

/**
 * The scenario's links as one-way delays: latency, uniform jitter of +-jitterMs, bytes over
 * the bandwidth, and loss (a lost message never arrives: its sender times out, as when a
 * retransmission comes too late). Overrides between groups or nodes apply both ways, the last
 * one that matches wins, as in `testbed run`.
 */
export class LinkModel {
  private readonly specs: LinkSpec[] = []
  /** Spec index per pair of groups, or -1 where a node-level override may apply. */
  private readonly byGroups = new Map<string, number>()
  private readonly nodeOverrides: Array<{ a: string, b: string, spec: number }> = []

  constructor (scenario: Scenario, private readonly random: () => number) {
    this.specs.push({ ...LINK_CLASSES[scenario.links.default] })
    const groups = new Set(scenario.nodes.map((g) => g.name))
    for (const o of scenario.links.overrides) {
      const spec = { ...(o.class != null ? LINK_CLASSES[o.class] : this.specs[0]!), ...definedOf(o) }
      this.specs.push(spec)
      const [a, b] = o.between
      if (groups.has(a) && groups.has(b)) {
        this.byGroups.set(`${a}\n${b}`, this.specs.length - 1)
        this.byGroups.set(`${b}\n${a}`, this.specs.length - 1)
      } else {
        this.nodeOverrides.push({ a, b, spec: this.specs.length - 1 })
      }
    }
  }

  /** The one-way delay of `bytes` from one node to another, or undefined when the message is lost. */
  delay (from: { name: string, group: string }, to: { name: string, group: string }, bytes: number): number | undefined {
    const spec = this.specs[this.specOf(from, to)]!
    if (spec.lossPct > 0 && this.random() * 100 < spec.lossPct) return undefined
    const jitter = spec.jitterMs > 0 ? spec.jitterMs * (2 * this.random() - 1) : 0
    const transfer = spec.bandwidthMbps > 0 ? bytes * 8 / (spec.bandwidthMbps * 1000) : 0
    return Math.max(0, spec.latencyMs + jitter) + transfer
  }

  private specOf (from: { name: string, group: string }, to: { name: string, group: string }): number {
    for (let i = this.nodeOverrides.length - 1; i >= 0; i--) {
      const o = this.nodeOverrides[i]!
      const matches = (x: string, n: { name: string, group: string }): boolean => x === n.name || x === n.group
      if ((matches(o.a, from) && matches(o.b, to)) || (matches(o.a, to) && matches(o.b, from))) return o.spec
    }
    return this.byGroups.get(`${from.group}\n${to.group}`) ?? 0
  }
}

function definedOf (o: Partial<LinkSpec>): Partial<LinkSpec> {
  const out: Partial<LinkSpec> = {}
  for (const key of ['latencyMs', 'jitterMs', 'bandwidthMbps', 'lossPct'] as const) if (o[key] != null) out[key] = o[key]
  return out
}
