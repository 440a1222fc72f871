/** Function names (DESIGN.md section 2); the protocol's rule, shared by the DHT name records. */
export { FUNCTION_NAME_PATTERN } from '../../../protocols/src/names/index.js'

/** Modules larger than this are refused at deploy, before compiling. */
export const DEFAULT_MAX_MODULE_BYTES = 4 << 20

/** Modules fetched from peers may take this much disk before the least recently used go. */
export const DEFAULT_MAX_CACHE_BYTES = 256 << 20

/**
 * Versions of a name kept in its history (and their modules pinned) for `rollback`: 20 deploys
 * of a 4 MiB module at most is 80 MiB per name, and usually far less (most modules are KiBs).
 */
export const MAX_VERSIONS_PER_NAME = 20
