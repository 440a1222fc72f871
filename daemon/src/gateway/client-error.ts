/**
 * Answers what Node's HTTP parser and timers refuse before a route sees the request: headers
 * or a whole request too slow (408), headers too large (431), a malformed request (400). Node's
 * own answer has no body; this one is the gateway's `{ error: { name, message } }`.
 */
import { STATUS_CODES } from 'node:http'
import { InvalidParametersError, RequestHeadersTooLargeError, RequestTimeoutError } from '../errors.js'
import { CLIENT_ERROR_LINGER_MS } from './constants.js'
import { statusOf } from './status.js'
import type { Socket } from 'node:net'

export function clientErrorOf (err: Error & { code?: string }): Error {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT': return new RequestTimeoutError('the request (headers and body) was not received in time')
    case 'HPE_HEADER_OVERFLOW': return new RequestHeadersTooLargeError('the request headers are larger than the server accepts')
    default: return new InvalidParametersError(`malformed HTTP request (${String(err.code ?? 'unknown').slice(0, 40)})`)
  }
}

/** The `clientError` listener: one JSON answer when the socket can still take it, then close. */
export function answerClientError (err: Error & { code?: string }, socket: Socket): void {
  // a response already under way (or a client already gone) cannot take another one
  const response = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage
  if (err.code === 'ECONNRESET' || !socket.writable || response?.headersSent === true) {
    socket.destroy()
    return
  }
  const named = clientErrorOf(err)
  const status = statusOf(named)
  const body = JSON.stringify({ error: { name: named.name, message: named.message } })
  socket.end([
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    '',
    body
  ].join('\r\n'))
  // a client that neither reads nor closes does not keep the socket
  setTimeout(() => { socket.destroy() }, CLIENT_ERROR_LINGER_MS).unref()
}
