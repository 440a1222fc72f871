/**
 * Defaults that bound what one HTTP client can hold of the gateway. Each says why; the config
 * table (config/schema.ts) exposes the ones an operator may need to change.
 */

/** Headers are a few hundred bytes; 10 s covers a slow mobile link and cuts a header dribble (slowloris) short. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000

/**
 * Time to receive a whole request, headers and body. It does not cover the answer: a long
 * invocation (deadlines go up to 300 s) runs after the body is in. 60 s moves the largest input
 * (64 MiB) at about 9 Mbit/s, and cuts a body sent one byte at a time.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000

/** A body that stops arriving for this long is a stalled or hostile client: 408 and close. */
export const DEFAULT_BODY_IDLE_TIMEOUT_MS = 10_000

/**
 * Open connections at once; more are closed on arrival. Each costs a file descriptor and a few
 * KiB; 512 leaves room under the common 1024-descriptor limit for libp2p and the store, and is far
 * above what the executor's slots and queue (64 by default) can use.
 */
export const DEFAULT_MAX_CONNECTIONS = 512

/**
 * After an error answered before the body was read (413, 403, 404...), the rest of the body is
 * read and thrown away, up to this many bytes, so that the client, which is still sending,
 * reads the answer instead of failing its write (EPIPE). Beyond it the connection is closed.
 * 16 MiB is four default modules, and costs nothing but bandwidth to read.
 */
export const DEFAULT_DISCARD_MAX_BYTES = 16 << 20

/** ... and for at most this long: a client that sends that slowly is not waiting for an answer. */
export const DEFAULT_DISCARD_TIMEOUT_MS = 5_000

/** After answering a malformed or too slow request, the socket is destroyed at most this much later. */
export const CLIENT_ERROR_LINGER_MS = 1_000

/** An idle keep-alive connection is closed after this long. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000

/** Methods that change nothing: the only ones a cross-site request may use. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD'])

/**
 * Request headers Node accepts in all: an in-client state header of up to 64 KiB plus room for
 * the rest (Node's default, 16 KiB, would refuse most in-client states with 431). A larger
 * `x-faasmesh-state` within this bound is refused by name (StateTooLargeError, 413).
 */
export const MAX_HEADER_BYTES = 96 * 1024
