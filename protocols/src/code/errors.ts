/** The peer does not have the module. */
export class CodeNotFoundError extends Error {
  static name = 'CodeNotFoundError'
  constructor (message = 'The peer does not have that code') {
    super(message)
    this.name = 'CodeNotFoundError'
  }
}

/** The bytes a peer sent do not hash to the CID asked for. */
export class CodeIntegrityError extends Error {
  static name = 'CodeIntegrityError'
  constructor (message = 'Code does not match its CID') {
    super(message)
    this.name = 'CodeIntegrityError'
  }
}

/** The peer answered with an error, an oversized module, or something else unexpected. */
export class CodeTransferError extends Error {
  static name = 'CodeTransferError'
  constructor (message = 'Code transfer failed') {
    super(message)
    this.name = 'CodeTransferError'
  }
}

/** The peer refused the request unread: this node asked more of it than its per-peer share. */
export class CodeBusyError extends Error {
  static name = 'CodeBusyError'
  constructor (message = 'The peer is busy') {
    super(message)
    this.name = 'CodeBusyError'
  }
}
