/**
 * The energy-aware price and the decline rule (docs/placement.md, "Energy-aware bidding").
 * Pure functions of the node's power state, so the bidder and the tests share them.
 */
import { MIN_PRICED_PERCENT, UNKNOWN_LEVEL_PERCENT } from './constants.js'
import type { PowerState } from './index.js'

/**
 * What the battery multiplies the price by: 1 on mains; on battery (100 / level)², so a full
 * battery asks the mains price, 80 % 1.6 times, half full 4 times, 30 % 11 times, 20 % 25 times
 * and 10 % or less 100 times. Squared because the price buys milliseconds (placement.priceWeight,
 * 2 ms a unit): 100 / level alone makes a 30 % battery only ~5 ms dearer than mains, less than a
 * bid's round trip on a busy host, so a battery node would keep all its own callers' work; and
 * each percent should matter more as the charge runs out. A level that cannot be read is priced
 * as {@link UNKNOWN_LEVEL_PERCENT}.
 */
export function batteryPriceFactor (state: PowerState): number {
  if (!state.onBattery) return 1
  const level = state.percent ?? UNKNOWN_LEVEL_PERCENT
  return (100 / Math.max(MIN_PRICED_PERCENT, Math.min(100, level))) ** 2
}

/**
 * True when a node on battery is below the threshold: it then declines other peers' calls for
 * bids. An unknown level never declines (the node cannot know it is low).
 */
export function isBelowThreshold (state: PowerState, declineBelowPercent: number): boolean {
  return state.onBattery && state.percent != null && state.percent < declineBelowPercent
}

/** What the node's adverts carry: the level on battery, nothing on mains or when unknown. */
export function advertisedBatteryPercent (state: PowerState): number | undefined {
  if (!state.onBattery || state.percent == null) return undefined
  return Math.min(100, Math.max(0, Math.round(state.percent)))
}

/**
 * Whether a policy that places from the adverts alone (least-loaded, power-of-two) leaves out
 * a peer advertising `batteryPercent`: below this node's own threshold it would decline a bid
 * (power-of-two) or run on a low battery (least-loaded sends without asking). The remote's own
 * threshold is not advertised: ours stands in for it. The auction asks such peers anyway (they
 * decline BATTERY themselves); random and round-robin stay blind baselines.
 */
export function skipsLowBattery (policy: string, batteryPercent: number | undefined, declineBelowPercent: number): boolean {
  if (policy !== 'least-loaded' && policy !== 'power-of-two') return false
  return batteryPercent != null && batteryPercent < declineBelowPercent
}
