import { MAX_STATE_APPLIED_IDS, MAX_STATE_ENTRIES, MAX_STATE_ENTRY_BYTES, MAX_STATE_ENTRY_KEY_BYTES, MAX_STATE_KEPT_OUTPUT_BYTES } from '../../../protocols/src/state/constants.js'

/** The state key pattern (`x-faasmesh-state-key`, DESIGN.md section 10): a device id, a user id. */
export const STATE_KEY_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/
/** A key inside a state: at most 256 bytes of UTF-8. */
export const MAX_ENTRY_KEY_BYTES = MAX_STATE_ENTRY_KEY_BYTES
/** What a state may hold in all (keys and values) by default: `state.maxBytes`. */
export const DEFAULT_STATE_MAX_BYTES = 1 << 20
/**
 * The most `state.maxBytes` may be: the state protocol's frame cap is fixed (as the invoke
 * protocol's is), so two nodes never reset each other's channel over a state one of them accepts.
 */
export const MAX_STATE_MAX_BYTES = MAX_STATE_ENTRY_BYTES
/** Entries a state may hold: bounds the work of decoding a hostile record. */
export const MAX_ENTRIES = MAX_STATE_ENTRIES
/** An in-client state travels in a header: at most 64 KiB once base64-encoded. */
export const MAX_CLIENT_STATE_HEADER_BYTES = 64 * 1024
/**
 * Invocation ids a key remembers as applied: a retry of one of its latest 64 commits (through
 * any entry node) is answered, never applied again. Older retries are beyond the invocation
 * dedup window in practice.
 */
export const MAX_APPLIED_IDS = MAX_STATE_APPLIED_IDS
/** An applied invocation's output is kept with its id up to this size (64 x 1 KiB per key at most). */
export const MAX_KEPT_OUTPUT_BYTES = MAX_STATE_KEPT_OUTPUT_BYTES
/** Re-runs of an invocation whose commit met a moved version, before StateConflictError. @default */
export const DEFAULT_MAX_CONFLICT_RETRIES = 16
/** Peers that keep an in-edge state, the primary included. */
export const DEFAULT_REPLICAS = 3
