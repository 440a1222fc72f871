/** `faasmesh invoke -v`: where an invocation's time went, phase by phase (docs/observability.md). */
import { PHASES } from '../placement/timings.js'
import type { PlacementRecord } from '../placement/index.js'

/** What the phases leave of the total: the invoke protocol's round trip, receipts, the sandbox's channel, the event loops. */
export const OTHER = 'other'

/** The phases that happened, in order, then `other` (total less their sum); empty when the record has none. */
export function timingRows (record: Pick<PlacementRecord, 'timings' | 'totalMs'>): Array<[string, number]> {
  const timings = record.timings
  if (timings == null) return []
  const rows = PHASES.filter((phase) => timings[phase] != null).map((phase): [string, number] => [phase, timings[phase]!])
  const sum = rows.reduce((total, [, ms]) => total + ms, 0)
  if (record.totalMs != null) rows.push([OTHER, Math.max(0, record.totalMs - sum)])
  return rows
}

export function describeTimings (record: Pick<PlacementRecord, 'timings' | 'totalMs'>): string[] {
  const rows = timingRows(record)
  if (rows.length === 0) return []
  const width = Math.max(...rows.map(([phase]) => phase.length))
  return [
    `  time       ${record.totalMs == null ? '' : `${record.totalMs.toFixed(2)} ms in all, `}by phase (ms):`,
    ...rows.map(([phase, ms]) => `    ${phase.padEnd(width)}  ${ms.toFixed(2).padStart(9)}${phase === OTHER ? '  (the invoke protocol, receipts, the sandbox\'s channel)' : ''}`)
  ]
}
