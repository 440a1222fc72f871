import { DEFAULT_REFRESH_MS, SYSFS_POWER_SUPPLY } from './constants.js'
import { readSysfsBattery, type BatteryReading } from './sysfs.js'
import type { Power, PowerComponents, PowerInit, PowerState } from './index.js'
import type { AbortOptions, Logger } from '@libp2p/interface'

/**
 * Keeps the node's power state: a configured level is fixed; otherwise the OS is read at
 * start and again every `refreshMs` (never at module scope: a test or a host without sysfs
 * must not pay for it on import). Bids read the cached state, synchronously.
 */
export class PowerMonitor implements Power {
  private readonly log: Logger
  private readonly configured?: number
  private readonly tagged: boolean
  private readonly root: string
  private readonly refreshMs: number
  private readonly read: (root: string, options?: AbortOptions) => Promise<BatteryReading>
  private current: PowerState
  private timer?: ReturnType<typeof setInterval>
  private reading?: Promise<PowerState>

  constructor (components: PowerComponents, init: PowerInit) {
    this.log = components.logger.forComponent('faasmesh:power')
    const configured = init.batteryPercent ?? -1
    if (configured >= 0) this.configured = Math.min(100, configured)
    this.tagged = init.tagged ?? false
    this.root = init.sysfsRoot ?? SYSFS_POWER_SUPPLY
    this.refreshMs = init.refreshMs ?? DEFAULT_REFRESH_MS
    this.read = components.readBattery ?? readSysfsBattery
    // until the first read: the tag alone, level unknown
    this.current = this.configured != null ? { onBattery: true, percent: this.configured } : { onBattery: this.tagged }
  }

  state (): PowerState {
    return this.current
  }

  async refresh (options: AbortOptions = {}): Promise<PowerState> {
    if (this.configured != null) return this.current
    // one read at a time: a slow filesystem does not pile reads up
    this.reading ??= this.readOnce(options).finally(() => { this.reading = undefined })
    return this.reading
  }

  async start (): Promise<void> {
    if (this.configured != null || this.timer != null) return
    await this.refresh()
    this.timer = setInterval(() => { void this.refresh() }, this.refreshMs)
    this.timer.unref?.()
  }

  async stop (): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
  }

  private async readOnce (options: AbortOptions): Promise<PowerState> {
    try {
      const reading = await this.read(this.root, options)
      // the tag says battery whatever the OS says; the OS says it when the host discharges
      const next: PowerState = { onBattery: this.tagged || reading.discharging }
      if (reading.percent != null) next.percent = reading.percent
      if (next.onBattery !== this.current.onBattery || next.percent !== this.current.percent) {
        this.log('power: %s%s', next.onBattery ? 'battery' : 'mains', next.percent != null ? ` at ${next.percent} %` : '')
      }
      this.current = next
    } catch (err: any) {
      // keep the last state: a transient read error is no reason to change the price
      this.log.error('reading the battery failed: %s', err?.message ?? err)
    }
    return this.current
  }
}
