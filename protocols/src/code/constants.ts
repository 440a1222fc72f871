import { PROTOCOL_PREFIX } from '../constants.js'

export const PROTOCOL_NAME = 'code'
export const PROTOCOL_VERSION = '1.0.0'
export const CODE_PROTOCOL = `${PROTOCOL_PREFIX}/${PROTOCOL_NAME}/${PROTOCOL_VERSION}`

/** A whole exchange (request, lookup, response) must fit in this. */
export const DEFAULT_TIMEOUT_MS = 10_000
/** Modules above this are refused by both sides (the store's default deploy cap). */
export const DEFAULT_MAX_MODULE_BYTES = 4 << 20
/** A request is one binary CID: 64 bytes is plenty. */
export const MAX_REQUEST_BYTES = 128
/** Protobuf framing around the module bytes (status, field tags, lengths). */
export const RESPONSE_OVERHEAD_BYTES = 64
/** Concurrent inbound code streams per connection: a peer cannot open a thousand transfers. */
export const MAX_INBOUND_STREAMS = 8
