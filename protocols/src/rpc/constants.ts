/** A request a peer does not answer in this long fails with RpcTimeoutError. */
export const DEFAULT_TIMEOUT_MS = 10_000
/** Frames above this are refused (the stream is reset): 64 KiB suits bids and small payloads. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024
/** Requests one channel may have running on the responder; more get BUSY at once. */
export const DEFAULT_MAX_IN_FLIGHT = 256
/** A peer opens one channel per protocol; a few spare for reconnects, no more. */
export const MAX_CHANNELS_PER_CONNECTION = 4
