/** The remote handler failed; its error stays on the remote side. */
export class RpcRemoteError extends Error {
  static name = 'RpcRemoteError'
  constructor (message = 'The remote handler failed') {
    super(message)
    this.name = 'RpcRemoteError'
  }
}

/** No answer within the request's deadline (or the remote handler ran out of it). */
export class RpcTimeoutError extends Error {
  static name = 'RpcTimeoutError'
  constructor (message = 'The request timed out') {
    super(message)
    this.name = 'RpcTimeoutError'
  }
}

/** The remote refused the request: too many in flight on the channel. */
export class RpcBusyError extends Error {
  static name = 'RpcBusyError'
  constructor (message = 'The remote is busy') {
    super(message)
    this.name = 'RpcBusyError'
  }
}

/** The channel closed (the peer went away, reset the stream, or sent a bad frame). */
export class RpcChannelClosedError extends Error {
  static name = 'RpcChannelClosedError'
  constructor (message = 'The channel closed') {
    super(message)
    this.name = 'RpcChannelClosedError'
  }
}
