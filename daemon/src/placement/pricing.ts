import type { PriceFactor } from '../config/index.js'

export interface PricingInit {
  basePrice: number
  /** Rules that scale the price when this node carries the tag. */
  factors: PriceFactor[]
  tags: Record<string, string>
}

/**
 * A node's price for one invocation: the base price, scaled up by load (an idle node asks the
 * base price, a fully busy one twice it, a queueing one more) and by the operator's tag rules,
 * e.g. `power=battery:4`.
 */
export function pricing (init: PricingInit): (utilisation: number) => number {
  const factor = init.factors
    .filter((rule) => init.tags[rule.key] === rule.value)
    .reduce((product, rule) => product * rule.factor, 1)
  return (utilisation) => init.basePrice * factor * (1 + Math.max(0, utilisation))
}
