/**
 * How many reservations remote auctioneers may hold (docs/placement.md, "Hoarding"). `admit` is
 * what the node admits, `slots x (1 + queuePerSlot)`: past it, every bid is declined FULL.
 */

/**
 * Reservations all strangers (peers that never claimed one here) together may hold: half of what
 * the node admits, so that an honest entry node's first burst, before any claim here, still
 * spreads as before. Peer ids are free, so however many identities call for bids, they share
 * this pool; it is overbooked (not counted against anyone else's room), so strangers cannot make
 * the node look full to this node's own auctions nor to the peers that use it; should every
 * stranger claim, the node admits at most this many more than `admit`.
 */
export function strangerPool (admit: number): number {
  return Math.ceil(admit / 2)
}

/**
 * Reservations one peer may hold: half of what the node admits (a busy entry node runs several
 * auctions at once), shrinking with its claim ratio, at least one until its lapses get it
 * excluded.
 */
export function perPeerCap (admit: number, claimRatio: number): number {
  return Math.max(1, Math.ceil(admit / 2 * claimRatio))
}

/**
 * Reservations all peers that have claimed here may hold together: all but a quarter of what the
 * node admits, kept for its own auctions (nothing kept below 4, where every unit counts).
 */
export function remotePool (admit: number): number {
  return admit - Math.floor(admit / 4)
}
