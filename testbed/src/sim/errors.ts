/**
 * The node an invocation entered at died before answering: its client's connection is gone,
 * so the invocation is lost whatever happens to it elsewhere (counted as failed, not retried).
 */
export class EntryLostError extends Error {
  static name = 'EntryLostError'

  constructor (message = 'the entry node died') {
    super(message)
    this.name = 'EntryLostError'
  }
}
