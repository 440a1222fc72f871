/** Segments the receipts are spread over: the bound is kept by dropping a tenth at a time. */
export const SEGMENTS = 10
/** A batch is written this long after its first receipt... */
export const FLUSH_MS = 200
/** ...or as soon as it holds this many. */
export const BATCH_ENTRIES = 512
/** Receipts waiting for the disk at most (~600 B each: 6 MiB); beyond it new ones are not stored (their tallies are). */
export const MAX_PENDING = 10_000
/** Peers tallied at most (~200 B each in tallies.json). */
export const MAX_PEERS = 10_000
/** `GET /v1/receipts` answers this many by default... */
export const DEFAULT_LIMIT = 100
/** ...and at most this many. */
export const MAX_LIMIT = 1000
