/**
 * The caps of `/faasmesh/state/1.0.0`. They are the protocol's, the same on every node whatever
 * its `state.maxBytes`, so two nodes never reset each other's channel over a state one of them
 * accepts. The daemon's caps (daemon/src/state/constants.ts) are these: its `state.maxBytes` may
 * be lower, never higher.
 */

/** Keys and values of one state at most: the daemon's `MAX_STATE_MAX_BYTES`. */
export const MAX_STATE_ENTRY_BYTES = 2 * 1024 * 1024
/** Entries a record may hold: the daemon's `MAX_ENTRIES`; bounds the work of decoding one. */
export const MAX_STATE_ENTRIES = 4096
/** A key inside a state: at most 256 bytes of UTF-8. */
export const MAX_STATE_ENTRY_KEY_BYTES = 256
/** Applied invocation ids a record remembers: the daemon's `MAX_APPLIED_IDS`. */
export const MAX_STATE_APPLIED_IDS = 64
/** An applied id's output is kept up to this size: the daemon's `MAX_KEPT_OUTPUT_BYTES`. */
export const MAX_STATE_KEPT_OUTPUT_BYTES = 1024
/**
 * Writes one COMMIT may carry: a commit may delete every key of a full state and write as many
 * new ones. More is refused undecoded (INVALID).
 */
export const MAX_STATE_WRITES = 2 * MAX_STATE_ENTRIES
/** An answer's `message` is cut to this many characters: at most 3 KiB of UTF-8. */
export const MAX_STATE_MESSAGE_CHARS = 1024
/**
 * Everything in a frame besides the values of a full state, for the largest frame there is (a
 * COMMIT; a record with its applied ids is smaller):
 * - the names of the keys it deletes: up to MAX_STATE_WRITES x 256 B = 2 MiB (the keys it writes
 *   count in the state's own 2 MiB);
 * - protobuf framing of MAX_STATE_WRITES writes at <= 13 B each: 104 KiB; of a record, 4096
 *   entries at <= 12 B each (48 KiB) plus 64 applied ids x (1 KiB output + 64 B id + 12 B): 69 KiB;
 * - the output marker (<= 1025 B), the state key (<= 128 B), the invocation id (<= 64 B), the
 *   rpc frame (id, status, deadline, lengths: < 40 B), and an answer's message (<= 3 KiB).
 * 2 MiB + 256 KiB covers all of it with room to spare.
 */
const FRAME_OVERHEAD_BYTES = MAX_STATE_WRITES * MAX_STATE_ENTRY_KEY_BYTES + 256 * 1024
/**
 * The state channel's frame cap, on both sides of every channel: 4.25 MiB. A channel holds at
 * most two frames each way in its buffers, so its memory stays in the tens of MiB.
 */
export const MAX_STATE_FRAME_BYTES = MAX_STATE_ENTRY_BYTES + FRAME_OVERHEAD_BYTES
/**
 * A request or answer body above this is never sent: the rpc frame around it (< 40 B) would
 * pass the cap and reset the channel.
 */
export const MAX_STATE_BODY_BYTES = MAX_STATE_FRAME_BYTES - 64
/** A state request waits this long by default: read repair and replication included. */
export const DEFAULT_STATE_TIMEOUT_MS = 10_000
