/**
 * Names resolved through the DHT that are remembered (least recently used go first). Any peer
 * can sign records for as many names as it likes under its own key and any caller can ask for
 * them, so the cache is bounded: 1024 entries of ~200 B is ~200 KiB, far more names than a
 * node calls within the cache's TTL.
 */
export const MAX_CACHED_NAMES = 1024

/**
 * Announcements of fresh bindings kept for the deploys waiting on them (`Resolver.announced`):
 * a deploy asks right after its binding, so the latest few hundred are plenty.
 */
export const MAX_ANNOUNCEMENTS_KEPT = 256

/** A deploy's record is handed to at most this many connected peers; the rest ask for it or find it in the DHT. */
export const MAX_ANNOUNCE_PEERS = 64
