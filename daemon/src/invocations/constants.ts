/** DESIGN.md section 9: an idempotency key a client may choose, 1-64 chars of `[A-Za-z0-9._:-]`. */
export const INVOCATION_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/
/** How long an outcome is remembered for a repeat of its id. */
export const DEFAULT_DEDUP_WINDOW_MS = 10 * 60_000
/**
 * Ids remembered at most. An entry without its output is ~200 bytes, so 10,000 cost ~2 MiB; any
 * peer can send ids, so the table is bounded by count, and the oldest settled ids go first.
 */
export const DEFAULT_MAX_REMEMBERED = 10_000
/** Output bytes the remembered outcomes may hold together: 1,000 answers of 64 KiB. */
export const DEFAULT_MAX_REMEMBERED_BYTES = 64 * 1024 * 1024
/**
 * A run whose only waiter lost its channel (not one that cancelled) is kept this long for the
 * retry on a fresh channel to join: a lost connection is not a cancellation.
 */
export const DEFAULT_ORPHAN_GRACE_MS = 2_000
