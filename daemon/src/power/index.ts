/**
 * @packageDocumentation
 *
 * The node's power state for energy-aware bidding (docs/placement.md, "Energy-aware
 * bidding"): on mains, or on battery at a level that is configured (`power.batteryPercent`),
 * read from the OS (Linux sysfs, re-read periodically) or unknown (tagged `power=battery` with
 * no readable battery). Placement prices bids by it and declines other peers' calls below
 * `power.declineBelowPercent`; adverts carry the level.
 *
 * @example
 * ```ts
 * const p = power({ batteryPercent: -1, tagged: config.tags.power === 'battery', refreshMs: 2000 })({ logger })
 * await p.start()
 * p.state() // { onBattery: true, percent: 42 }
 * ```
 */
import { PowerMonitor } from './power-monitor.js'
import type { BatteryReading } from './sysfs.js'
import type { AbortOptions, ComponentLogger, Startable } from '@libp2p/interface'

export { DEFAULT_DECLINE_BELOW_PERCENT, DEFAULT_REFRESH_MS, MIN_PRICED_PERCENT, SYSFS_POWER_SUPPLY, UNKNOWN_LEVEL_PERCENT } from './constants.js'
export { advertisedBatteryPercent, batteryPriceFactor, isBelowThreshold, skipsLowBattery } from './curve.js'
export { readSysfsBattery, type BatteryReading } from './sysfs.js'

/** On mains, or on battery at `percent` (absent: the level is unknown). */
export interface PowerState {
  onBattery: boolean
  /** 0-100. */
  percent?: number
}

export interface PowerInit {
  /** A fixed battery level, 0-100; -1 reads the OS. @default -1 */
  batteryPercent?: number
  /** The node is tagged power=battery: on battery even when the OS shows no battery. @default false */
  tagged?: boolean
  /** Where the OS lists power supplies. @default '/sys/class/power_supply' */
  sysfsRoot?: string
  /** How often the OS is read again. @default 2000 */
  refreshMs?: number
}

export interface PowerComponents {
  logger: ComponentLogger
  /** Reads the batteries (tests inject one). @default readSysfsBattery */
  readBattery?(root: string, options?: AbortOptions): Promise<BatteryReading>
}

export interface Power extends Startable {
  /** The latest known state, without I/O. */
  state(): PowerState
  /** Reads the OS now (a no-op with a configured level). */
  refresh(options?: AbortOptions): Promise<PowerState>
}

export function power (init: PowerInit = {}): (components: PowerComponents) => Power {
  return (components) => new PowerMonitor(components, init)
}
