/**
 * Names resolved through the DHT that are remembered (least recently used go first). Any peer
 * can sign records for as many names as it likes under its own key and any caller can ask for
 * them, so the cache is bounded: 1024 entries of ~200 B is ~200 KiB, far more names than a
 * node calls within the cache's TTL.
 */
export const MAX_CACHED_NAMES = 1024
