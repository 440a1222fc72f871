/**
 * The caps of `/faasmesh/chain-data/1.0.0`. They are the protocol's, the same on every node
 * whatever its executor limits, so two nodes never reset each other's channel over an output
 * one of them holds.
 */

/**
 * One step's output at most: the invoke protocol's `MAX_INVOKE_PAYLOAD_BYTES`, so any output a
 * remote step could return can be fetched by the next one. A literal, not an import: the cap is
 * part of this protocol's contract (test/chain-data.spec.ts checks the two agree).
 */
export const MAX_CHAIN_DATA_BYTES = 4 * 1024 * 1024
/** An answer's `message` is cut to this many characters: at most 3 KiB of UTF-8. */
export const MAX_CHAIN_DATA_MESSAGE_CHARS = 1024
/**
 * Everything in a frame around an output: the rpc frame (id, status, deadline, lengths: < 40 B),
 * the answer's status and length prefix (< 10 B) and its message (<= 3 KiB). A request is a ref
 * of <= 64 B. 64 KiB covers it with room to spare.
 */
const FRAME_OVERHEAD_BYTES = 64 * 1024
/**
 * The chain-data channel's frame cap, on both sides of every channel: 4 MiB + 64 KiB. A channel
 * holds at most two frames each way in its buffers, so its memory stays in the tens of MiB.
 */
export const MAX_CHAIN_DATA_FRAME_BYTES = MAX_CHAIN_DATA_BYTES + FRAME_OVERHEAD_BYTES
/**
 * What a ref may be: a step's invocation id (daemon/src/invocations `INVOCATION_ID_PATTERN`).
 * Checked on both sides, so a peer never gets to look up arbitrary strings.
 */
export const CHAIN_DATA_REF_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/
/** A fetch waits this long by default: a 4 MiB output crosses a slow link in a few seconds. */
export const DEFAULT_CHAIN_DATA_TIMEOUT_MS = 10_000
