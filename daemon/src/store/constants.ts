/** Function names (DESIGN.md section 2); the protocol's rule, shared by the DHT name records. */
export { FUNCTION_NAME_PATTERN } from '../../../protocols/src/names/index.js'

/** Modules larger than this are refused at deploy, before compiling. */
export const DEFAULT_MAX_MODULE_BYTES = 4 << 20

/** Modules fetched from peers may take this much disk before the least recently used go. */
export const DEFAULT_MAX_CACHE_BYTES = 256 << 20
