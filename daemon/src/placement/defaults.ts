import type { PolicyName } from './policy-names.js'

/** Placement settings' defaults (docs/placement.md explains each). */
export const PLACEMENT_DEFAULTS = {
  policy: 'auction' as PolicyName,
  // small and constant, Sparrow style: an auction's cost does not grow with the mesh
  candidates: 3,
  // a bid on an open channel takes ~0.2 ms here; the window only matters for a slow peer
  bidWindowMs: 100,
  // covers the window and the claim that follows it; losers' slots are released explicitly
  reservationTtlMs: 500,
  queuePerSlot: 2,
  basePrice: 1,
  priceWeight: 2,
  priceFactors: [{ key: 'power', value: 'battery', factor: 4 }]
}

/** Run time assumed for a function this node has never run, on the reference machine. */
export const DEFAULT_RUN_MS = 5
/** Compiling a stored module, on the reference machine (docs/performance.md: ~2 ms). */
export const COMPILE_MS = 3
/** Fetching a module from the mesh first (docs/performance.md: mesh cold start ~115 ms). */
export const FETCH_MS = 120
