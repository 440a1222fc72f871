/**
 * Defaults for a node without a config (tests, embedders). The daemon passes its own
 * (`fairness.*`, daemon/src/config/schema.ts).
 */

/** Requests per second per peer and protocol. */
export const DEFAULT_REQUESTS_PER_SECOND = 100
/** Requests a peer may make at once beyond its rate. */
export const DEFAULT_BURST = 200
/** Bytes per second per peer and protocol, both ways. */
export const DEFAULT_BYTES_PER_SECOND = 64 * 1024 * 1024
/**
 * Peers whose buckets are remembered, per protocol: 4096 entries * ~200 B is under 1 MiB, and
 * far more peers than a node keeps connections to (300 at most, daemon/src/node).
 */
export const DEFAULT_MAX_PEERS = 4096
