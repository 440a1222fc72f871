/**
 * The headers that say where an invocation's time went (docs/http-api.md): `x-faasmesh-timings`
 * (`lookup=0.412,placement=12.100,...`, ms per phase, the phases of the placement record) and the
 * standard `Server-Timing` (the same phases and `total`, which browsers' developer tools show).
 */
import { PHASES, type Timings } from '../placement/timings.js'

export function timingHeaders (timings: Timings | undefined, totalMs: number | undefined): Record<string, string> {
  if (timings == null) return {}
  const phases = PHASES.filter((phase) => timings[phase] != null)
  const serverTiming = phases.map((phase) => `${phase};dur=${timings[phase]!.toFixed(3)}`)
  if (totalMs != null) serverTiming.push(`total;dur=${totalMs.toFixed(3)}`)
  return {
    'x-faasmesh-timings': phases.map((phase) => `${phase}=${timings[phase]!.toFixed(3)}`).join(','),
    'server-timing': serverTiming.join(', ')
  }
}

/** `x-faasmesh-timings` back to ms per phase (the CLI's and tests' reading); unknown or malformed parts are skipped. */
export function parseTimingsHeader (text: string | null | undefined): Timings {
  const timings: Timings = {}
  for (const part of (text ?? '').split(',')) {
    const [phase, value] = part.split('=')
    const ms = Number(value)
    if (phase != null && /^[a-z]{1,32}$/.test(phase.trim()) && value != null && Number.isFinite(ms)) timings[phase.trim()] = ms
  }
  return timings
}
