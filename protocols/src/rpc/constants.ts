/** A request a peer does not answer in this long fails with RpcTimeoutError. */
export const DEFAULT_TIMEOUT_MS = 10_000
/** Frames above this are refused (the stream is reset): 64 KiB suits bids and small payloads. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024
/** Requests one channel may have running on the responder; more get BUSY at once. */
export const DEFAULT_MAX_IN_FLIGHT = 256
/** A peer opens one channel per protocol; a few spare for reconnects, no more. */
export const MAX_CHANNELS_PER_CONNECTION = 4
/**
 * Answers a channel may have waiting to leave (the peer is not reading them, or the link is
 * full) before the responder stops reading that peer's requests (or two frames, if more): a
 * short stall on an honest link is not throttled, and a peer that never reads its answers
 * holds about this much of them, plus what its running requests answer.
 */
export const MIN_UNSENT_ANSWER_BYTES = 256 * 1024
/**
 * Frames a channel serves in one go; the rest of what arrived waits for the next turn of the
 * event loop, the stream paused meanwhile. A chunk can hold millions of one-byte frames (it is
 * as large as the peer's yamux window, up to 16 MiB); served at once they would block the node
 * for minutes. 256 frames take about a millisecond, and match the responder's in-flight bound.
 */
export const FRAMES_PER_TURN = 256
/**
 * CANCEL frames a requester holds while its stream waits to drain (the link is full). Beyond
 * this many, a cancellation is dropped: the responder's own deadline still ends that request,
 * and a requester whose callers give up in masses holds ~10 bytes per held id, no more.
 */
export const MAX_QUEUED_CANCELS = 1024
/**
 * A request re-sent on a fresh channel gets only what is left of its time; with less than this
 * left it fails at once instead (a frame cannot even cross loopback in less).
 */
export const MIN_RETRY_MS = 1
/**
 * Opening a channel (dial, noise, yamux, protocol select) takes 2-4 ms on a LAN and under a
 * second across the world: one that takes longer than this is to a peer that is not really
 * there, and the callers waiting for it learn so (RpcUnreachableError) rather than wait out a
 * 300 s invoke bound.
 */
export const MAX_OPEN_MS = 10_000
