/**
 * What a chain-data fetch can learn from the producer, by name. Failures of the channel itself
 * (unreachable, timed out, closed, busy, an undecodable or refused answer) are the rpc layer's
 * errors and pass through as they are.
 */

/**
 * The peer holds no output under that ref: it never produced it, or dropped it (its output
 * cache expired or evicted it, or the node restarted). Fetching again will not help; running
 * the producing step again will.
 */
export class ChainDataNotFoundError extends Error {
  static name = 'ChainDataNotFoundError'
  constructor (message = 'The peer holds no output under that ref') {
    super(message)
    this.name = 'ChainDataNotFoundError'
  }
}

/**
 * The peer holds the output, but it is larger than the protocol carries (`MAX_CHAIN_DATA_BYTES`):
 * the next step has to run where the output is, or the chain fails.
 */
export class ChainDataTooLargeError extends Error {
  static name = 'ChainDataTooLargeError'
  constructor (message = 'The output is larger than the chain-data protocol carries') {
    super(message)
    this.name = 'ChainDataTooLargeError'
  }
}
