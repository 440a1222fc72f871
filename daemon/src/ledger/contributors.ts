import type { PeerTally } from './tallies.js'

/**
 * Tit for tat (`placement.preferContributors`, docs/config.md): a peer is a contributor when it
 * has run work for this node (verified receipts) and has not taken back more than twice the fuel
 * it gave. A peer that only ever asks, or one that ran a token invocation and then asks for a
 * lot, is not one, and is served like anyone else.
 */
export function contributes (tally: PeerTally | undefined): boolean {
  if (tally == null || tally.ranForUs.invocations === 0) return false
  return tally.ranForThem.fuel <= 2 * tally.ranForUs.fuel
}
