import type { PlacementRecord } from './index.js'

/**
 * What this node pays `peer` for running an invocation, signed into its receipt: the auction's
 * second price (the runner-up's bid, docs/placement.md) when there was one, the peer's own bid
 * when it was the only bidder, and 0 when no auction was held (policies that ask for no bids,
 * or a target that never bid, such as an in-function home).
 */
export function pricePaid (record: Pick<PlacementRecord, 'bids' | 'secondPrice'>, peer: string): number {
  const own = record.bids.findLast((b) => b.peer === peer && b.outcome === 'bid')?.price
  if (own == null || !Number.isFinite(own)) return 0
  return record.secondPrice != null && Number.isFinite(record.secondPrice) ? record.secondPrice : own
}
