import { InvalidParametersError } from '../errors.js'
import { DEFAULT_LIMIT, MAX_LIMIT } from './constants.js'
import type { ReceiptQuery } from './index.js'

/** `?peer=&since=&limit=` of `GET /v1/receipts`; a malformed value is the caller's error (400). */
export function parseReceiptQuery (params: URLSearchParams): ReceiptQuery {
  const query: ReceiptQuery = { limit: DEFAULT_LIMIT }
  const peer = params.get('peer')
  if (peer != null && peer !== '') {
    // a peer id is base58btc or a CID in base32: 128 characters is far more than either needs
    if (!/^[A-Za-z0-9]{1,128}$/.test(peer)) throw new InvalidParametersError(`peer must be a peer id, got "${peer.slice(0, 60)}"`)
    query.peer = peer
  }
  const since = params.get('since')
  if (since != null && since !== '') {
    if (!/^\d{1,15}$/.test(since)) throw new InvalidParametersError(`since must be a time in ms since the epoch, got "${since.slice(0, 40)}"`)
    query.since = Number(since)
  }
  const limit = params.get('limit')
  if (limit != null && limit !== '') {
    if (!/^\d{1,7}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_LIMIT) throw new InvalidParametersError(`limit must be 1-${MAX_LIMIT}, got "${limit.slice(0, 40)}"`)
    query.limit = Number(limit)
  }
  return query
}
