import { batteryPriceFactor, type PowerState } from '../power/index.js'
import type { PriceFactor } from '../config/index.js'

export interface PricingInit {
  basePrice: number
  /** Rules that scale the price when this node carries the tag. */
  factors: PriceFactor[]
  tags: Record<string, string>
  /** The node's power state, read at each bid; without it, mains. */
  power?: () => PowerState
}

/**
 * A node's price for one invocation: the base price, scaled up by load (an idle node asks the
 * base price, a fully busy one twice it, a queueing one more), by the operator's tag rules,
 * e.g. `power=battery:4`, and on battery by the level ((100 / percent)², docs/placement.md,
 * "Energy-aware bidding"): the rules are static, the level moves, so both apply.
 */
export function pricing (init: PricingInit): (utilisation: number) => number {
  const factor = init.factors
    .filter((rule) => init.tags[rule.key] === rule.value)
    .reduce((product, rule) => product * rule.factor, 1)
  return (utilisation) => {
    const battery = init.power == null ? 1 : batteryPriceFactor(init.power())
    return init.basePrice * factor * battery * (1 + Math.max(0, utilisation))
  }
}
