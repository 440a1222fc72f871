import { seeded } from '../rng.js'

/** Independent generators per purpose, so that adding a draw to one (say, link jitter) leaves the others' sequences as they were. */
export type Stream = 'arrivals' | 'entry' | 'service' | 'placement' | 'links' | 'views'
const STREAMS: Stream[] = ['arrivals', 'entry', 'service', 'placement', 'links', 'views']

export function streams (seed: number): Record<Stream, () => number> {
  // a prime stride keeps seed s's streams apart from seed s+1's
  return Object.fromEntries(STREAMS.map((name, i) => [name, seeded(Math.imul(seed >>> 0, 7919) + i * 104_729)])) as Record<Stream, () => number>
}

export const SERVICE_DISTRIBUTIONS = ['exponential', 'deterministic', 'lognormal'] as const
export type ServiceDistribution = typeof SERVICE_DISTRIBUTIONS[number]

/** A draw with mean `meanMs`: exponential, always the mean, or lognormal with log-spread `sigma`. */
export function drawer (dist: ServiceDistribution, meanMs: number, sigma: number, random: () => number): () => number {
  if (dist === 'deterministic') return () => meanMs
  if (dist === 'exponential') return () => exponential(meanMs, random)
  // lognormal with arithmetic mean meanMs: mu = ln(mean) - sigma^2 / 2
  const mu = Math.log(meanMs) - sigma * sigma / 2
  return () => Math.exp(mu + sigma * normal(random))
}

export function exponential (mean: number, random: () => number): number {
  // 1 - u is in (0, 1]: never log(0)
  return -mean * Math.log(1 - random())
}

/** Standard normal (Box-Muller, one of the pair). */
function normal (random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
}
