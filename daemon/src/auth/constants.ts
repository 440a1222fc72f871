/** The store's file under the data dir: records with hashes, never a token. */
export const TOKENS_FILE = 'tokens.json'

/** Every token starts with this, so a leaked one is recognisable (and greppable) as ours. */
export const TOKEN_PREFIX = 'fm'

/** Random bytes of a token's id (16 hex digits): ids only name tokens, collisions are checked anyway. */
export const ID_BYTES = 8

/** Random bytes of a token's secret: 256 bits, 43 base64url characters. */
export const SECRET_BYTES = 32

/** `fm_<16 hex>_<43 base64url>`: 63 characters. A longer header value is refused unread. */
export const TOKEN_CHARS = TOKEN_PREFIX.length + 1 + ID_BYTES * 2 + 1 + Math.ceil(SECRET_BYTES * 4 / 3)

/** Tokens a store holds at most: a person creates a few, never thousands; bounds the file we parse. */
export const MAX_TOKENS = 1024

/** A tokens file larger than this is refused unparsed (1024 records are about 200 KiB). */
export const MAX_FILE_BYTES = 1 << 20

/** Token names: what people type to revoke one. */
export const NAME_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/

/** How long a writer waits for another writer's lock before giving up. */
export const LOCK_TIMEOUT_MS = 5_000

/** A lock older than this was left by a writer that died: it is taken over. */
export const STALE_LOCK_MS = 30_000
