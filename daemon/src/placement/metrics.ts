import { Counter, Histogram, type Registry } from 'prom-client'

export type PlacementMetrics = ReturnType<typeof placementMetrics>

/** Auction and placement metrics (docs/placement.md, "Watching it"). */
export function placementMetrics (registry: Registry) {
  return {
    bids: new Counter({
      name: 'faasmesh_auction_bids_total',
      help: 'Answers to this node\'s calls for bids, by outcome: bid, declined, late (after the window closed), timeout, invalid or error',
      labelNames: ['outcome'],
      registers: [registry]
    }),
    fastPath: new Counter({
      name: 'faasmesh_placement_fast_path_total',
      help: 'Auctions skipped because this node\'s own bid could not lose against its peers\' recent best (the local fast path)',
      registers: [registry]
    }),
    asked: new Counter({
      name: 'faasmesh_auction_bids_asked_total',
      help: 'Calls for bids this node sent (itself included)',
      registers: [registry]
    }),
    window: new Histogram({
      name: 'faasmesh_auction_window_seconds',
      help: 'Time from the calls for bids to the close of the window',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry]
    }),
    spread: new Histogram({
      name: 'faasmesh_auction_second_price_spread',
      help: 'Runner-up price minus winner price (second-price accounting)',
      buckets: [0, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16],
      registers: [registry]
    }),
    placements: new Counter({
      name: 'faasmesh_placements_total',
      help: 'Invocations this node placed, by policy and where they ran (self or remote)',
      labelNames: ['policy', 'executor'],
      registers: [registry]
    }),
    retries: new Counter({
      name: 'faasmesh_placement_retries_total',
      help: 'Attempts that failed and passed the invocation on, by reason',
      labelNames: ['reason'],
      registers: [registry]
    }),
    overhead: new Histogram({
      name: 'faasmesh_placement_seconds',
      help: 'Time from the placement decision\'s start to the attempt that answered, by policy',
      labelNames: ['policy'],
      buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry]
    }),
    declined: new Counter({
      name: 'faasmesh_placement_bids_declined_total',
      help: 'Calls for bids this node declined, by reason: full, deadline, peer_limit (the auctioneer holds its cap), stranger_pool, remote_pool, excluded (its reservations kept lapsing), stopping (this node drains), contributors_first (every slot busy, and the auctioneer has run no work for this node: placement.preferContributors)',
      labelNames: ['reason'],
      registers: [registry]
    }),
    reservations: new Counter({
      name: 'faasmesh_placement_reservations_total',
      help: 'Reservations this node granted that ended, by holder (self, known: has claimed here, stranger) and outcome (claimed, released, lapsed)',
      labelNames: ['holder', 'outcome'],
      registers: [registry]
    }),
    exclusions: new Counter({
      name: 'faasmesh_placement_hoarders_excluded_total',
      help: 'Times a remote auctioneer was excluded from this node\'s bids for letting its reservations lapse',
      registers: [registry]
    }),
    unreservedFetches: new Counter({
      name: 'faasmesh_placement_unreserved_fetches_total',
      help: 'Code fetched for invocations that came without a reservation, before admitting them, by outcome (fetched, refused: too many in flight or a recent failure of that peer\'s, failed)',
      labelNames: ['outcome'],
      registers: [registry]
    }),
    served: new Counter({
      name: 'faasmesh_remote_invocations_total',
      help: 'Invocations peers placed on this node, by status',
      labelNames: ['status'],
      registers: [registry]
    })
  }
}
