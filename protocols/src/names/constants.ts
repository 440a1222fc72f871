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
