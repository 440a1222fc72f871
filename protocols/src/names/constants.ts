import { PROTOCOL_PREFIX } from '../constants.js'

/** Function names (DESIGN.md section 2): lowercase, digits and '-', 1-63 characters. */
export const FUNCTION_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/

/** DHT keys of name records: `/faasmesh/fn/<publisher>/<name>`; `faasmesh` selects our validator. */
export const NAME_KEY_PREFIX = `${PROTOCOL_PREFIX}/fn/`
/** The DHT key namespace (the first path component) our validator and selector are registered for. */
export const NAME_KEY_NAMESPACE = PROTOCOL_PREFIX.slice(1)

/** Domain separation: a name-record signature can never be replayed as any other signature. */
export const SIGNATURE_DOMAIN = 'faasmesh-name-record:'

/** A record is a name, a CID, two integers, a public key and a signature: well under 1 KiB. */
export const MAX_RECORD_BYTES = 1024

/** `/faasmesh/names/1.0.0`: a name record asked of a peer directly, or handed to it by its publisher. */
export const NAMES_PROTOCOL_NAME = 'names'
export const NAMES_PROTOCOL_VERSION = '1.0.0'
export const NAMES_PROTOCOL = `${PROTOCOL_PREFIX}/${NAMES_PROTOCOL_NAME}/${NAMES_PROTOCOL_VERSION}`
/** A whole exchange, either side: one small frame each way on a connection that usually exists. */
export const DEFAULT_NAMES_TIMEOUT_MS = 2_000
/** A peer id is at most ~60 characters in text: anything longer is not one. */
export const MAX_PUBLISHER_CHARS = 128
/** A request is a kind, a publisher, a name and at most one record: 1 KiB + 256 B covers all. */
export const MAX_NAME_REQUEST_BYTES = MAX_RECORD_BYTES + 256
/** A response is a status and at most one record. */
export const MAX_NAME_RESPONSE_BYTES = MAX_RECORD_BYTES + 64
/** Concurrent inbound name streams per connection: a peer cannot open a thousand lookups. */
export const MAX_NAME_INBOUND_STREAMS = 16
