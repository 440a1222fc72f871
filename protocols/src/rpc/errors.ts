/**
 * The channel's failures, by name. Placement has to know whether a failed invocation may have
 * run on the peer, so every failure says whether the request left this node: `sent` is true once
 * its frame was handed to the stream (the peer may have run it, or may still be running it),
 * false when it never was (the peer cannot have seen it).
 */

/** Options of the errors that carry `sent`. */
export interface RpcSentOptions {
  /** Whether the request's frame had been handed to the stream. @default true */
  sent?: boolean
}

/** The remote handler failed; its error stays on the remote side. The request was sent. */
export class RpcRemoteError extends Error {
  static name = 'RpcRemoteError'
  constructor (message = 'The remote handler failed') {
    super(message)
    this.name = 'RpcRemoteError'
  }
}

/**
 * No answer within the request's time: the remote handler ran out of it, the answer did not come,
 * or the channel did not open in time. `sent` tells whether the peer may have seen the request.
 */
export class RpcTimeoutError extends Error {
  static name = 'RpcTimeoutError'
  /** Whether the request's frame had been handed to the stream before the time ran out. */
  readonly sent: boolean
  constructor (message = 'The request timed out', options: RpcSentOptions = {}) {
    super(message)
    this.name = 'RpcTimeoutError'
    this.sent = options.sent ?? true
  }
}

/** The remote refused the request without running it: too many in flight on the channel. */
export class RpcBusyError extends Error {
  static name = 'RpcBusyError'
  constructor (message = 'The remote is busy') {
    super(message)
    this.name = 'RpcBusyError'
  }
}

/**
 * The channel closed (the peer went away, reset the stream, or sent a bad frame) while the request
 * waited for its answer. A request the channel closed under before it was sent fails with
 * `RpcUnreachableError` instead, so in practice `sent` is true here.
 */
export class RpcChannelClosedError extends Error {
  static name = 'RpcChannelClosedError'
  /** Whether the request's frame had been handed to the stream before the channel closed. */
  readonly sent: boolean
  constructor (message = 'The channel closed', options: RpcSentOptions = {}) {
    super(message)
    this.name = 'RpcChannelClosedError'
    this.sent = options.sent ?? true
  }
}

/**
 * The request never left this node: no channel to the peer could be opened (dial failure, the
 * peer does not run the protocol, refused, the open timed out...) or the channel closed before
 * the request was written. `cause` is the original error.
 */
export class RpcUnreachableError extends Error {
  static name = 'RpcUnreachableError'
  /** Never sent, by definition: the peer cannot have run it. */
  readonly sent = false
  constructor (message = 'The peer is unreachable', options: { cause?: unknown } = {}) {
    super(message, options)
    this.name = 'RpcUnreachableError'
  }
}

/** The peer's answer could not be decoded by the protocol's codec. The request was sent. */
export class RpcProtocolError extends Error {
  static name = 'RpcProtocolError'
  constructor (message = 'The peer sent an undecodable answer', options: { cause?: unknown } = {}) {
    super(message, options)
    this.name = 'RpcProtocolError'
  }
}

/**
 * The responder's abort reason for a request whose requester cancelled it (a CANCEL frame): the
 * caller went away or its time ran out, and nobody waits for the answer.
 */
export class RpcCancelledError extends Error {
  static name = 'RpcCancelledError'
  constructor (message = 'The requester cancelled the request') {
    super(message)
    this.name = 'RpcCancelledError'
  }
}

/** `err` as "Name: message", for the message of an error that wraps it (callers read `cause`). */
export function describe (err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err)
}
