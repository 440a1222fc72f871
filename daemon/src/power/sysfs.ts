/**
 * Reads the host's batteries from Linux sysfs (`/sys/class/power_supply/<name>/`): `type`
 * Battery, `capacity` in percent, `status` Discharging when the host runs on it. Peripheral
 * batteries (a mouse, a headset: `scope` Device) are not the host's and are skipped. The root is
 * a parameter so tests read a fake tree. Never throws: a host where nothing is readable has no
 * battery, and runs on mains.
 */
import { open, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { MAX_SUPPLIES, MAX_SYSFS_FILE_BYTES, SYSFS_POWER_SUPPLY } from './constants.js'
import type { AbortOptions } from '@libp2p/interface'

export interface BatteryReading {
  /** At least one host battery with a readable capacity. */
  present: boolean
  /** Some host battery is discharging: the host runs on battery. */
  discharging: boolean
  /** Mean capacity of the host batteries, 0-100; absent when none is readable. */
  percent?: number
}

export async function readSysfsBattery (root: string = SYSFS_POWER_SUPPLY, options: AbortOptions = {}): Promise<BatteryReading> {
  let names: string[]
  try {
    names = (await readdir(root)).sort().slice(0, MAX_SUPPLIES)
  } catch {
    return { present: false, discharging: false }
  }
  const levels: number[] = []
  let discharging = false
  for (const name of names) {
    options.signal?.throwIfAborted()
    const dir = join(root, name)
    if (await readLine(join(dir, 'type')) !== 'Battery') continue
    if (await readLine(join(dir, 'scope')) === 'Device') continue
    const capacity = Number(await readLine(join(dir, 'capacity')) ?? NaN)
    if (!Number.isFinite(capacity)) continue
    levels.push(Math.min(100, Math.max(0, capacity)))
    if (await readLine(join(dir, 'status')) === 'Discharging') discharging = true
  }
  if (levels.length === 0) return { present: false, discharging: false }
  return { present: true, discharging, percent: Math.round(levels.reduce((a, b) => a + b, 0) / levels.length) }
}

/** The first line of a small file, trimmed; undefined when it cannot be read. */
async function readLine (path: string): Promise<string | undefined> {
  let handle
  try {
    handle = await open(path, 'r')
    // a bounded read: a sysfs attribute is a short line, a stranger file is not read whole
    const buffer = Buffer.alloc(MAX_SYSFS_FILE_BYTES)
    const { bytesRead } = await handle.read(buffer, 0, buffer.byteLength, 0)
    return buffer.subarray(0, bytesRead).toString('utf8').split('\n')[0]!.trim()
  } catch {
    return undefined
  } finally {
    await handle?.close().catch(() => {})
  }
}
