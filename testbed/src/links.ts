/**
 * Turns a scenario's links and partitions into each node's link table (the body of its
 * `PUT /v1/testbed/links`): one rule per other node, from the default class and the overrides
 * in order, and the peers on the far side of an active partition.
 */
import { LINK_CLASSES, type LinkSpec } from './link-classes.js'
import { expand, nodeNames, type Scenario } from './scenario.js'
import type { LinkState } from '../../daemon/src/links/index.js'

/** The link from node `a` to node `b`. */
export function linkBetween (scenario: Scenario, a: string, b: string): LinkSpec {
  let spec: LinkSpec = { ...LINK_CLASSES[scenario.links.default] }
  for (const o of scenario.links.overrides) {
    const [x, y] = [expand(scenario, o.between[0]), expand(scenario, o.between[1])]
    if (!((x.includes(a) && y.includes(b)) || (x.includes(b) && y.includes(a)))) continue
    spec = { ...spec, ...(o.class != null ? LINK_CLASSES[o.class] : {}) }
    for (const key of ['latencyMs', 'jitterMs', 'bandwidthMbps', 'lossPct'] as const) {
      if (o[key] != null) spec[key] = o[key]
    }
  }
  return spec
}

/** Physical links the emulated link between `a` and `b` stands for: 1 unless an override says `hops`; 0 from a node to itself. */
export function hopsBetween (scenario: Scenario, a: string, b: string): number {
  if (a === b) return 0
  let hops = 1
  for (const o of scenario.links.overrides) {
    const [x, y] = [expand(scenario, o.between[0]), expand(scenario, o.between[1])]
    if (o.hops != null && ((x.includes(a) && y.includes(b)) || (x.includes(b) && y.includes(a)))) hops = o.hops
  }
  return hops
}

/** Node `name`'s table, given every node's peer id and the partition in force (if any). */
export function linkState (scenario: Scenario, name: string, peerIds: Map<string, string>, partition?: [string[], string[]]): LinkState {
  const others = nodeNames(scenario).filter((n) => n !== name)
  let blocked: string[] = []
  if (partition != null) {
    const [left, right] = partition.map((side) => side.flatMap((ref) => expand(scenario, ref)))
    if (left!.includes(name)) blocked = right!
    else if (right!.includes(name)) blocked = left!
  }
  return {
    rules: others.map((other) => {
      const spec = linkBetween(scenario, name, other)
      return { peer: peerIds.get(other)!, latencyMs: spec.latencyMs, jitterMs: spec.jitterMs, bandwidthKbps: spec.bandwidthMbps * 1000, lossPct: spec.lossPct }
    }),
    blocked: blocked.map((n) => peerIds.get(n)!).filter((p) => p != null)
  }
}
