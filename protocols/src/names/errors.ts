/** The peer answered a name request with an error, a malformed or refused request, or something unexpected. */
export class NameExchangeError extends Error {
  static name = 'NameExchangeError'
  constructor (message = 'Name exchange failed') {
    super(message)
    this.name = 'NameExchangeError'
  }
}

/** The peer refused the request unread: this node asked more of it than its per-peer share. */
export class NameExchangeBusyError extends Error {
  static name = 'NameExchangeBusyError'
  constructor (message = 'The peer is busy') {
    super(message)
    this.name = 'NameExchangeBusyError'
  }
}
