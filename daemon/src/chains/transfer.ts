/**
 * What a bidder adds to its estimate for a chain step's input that is elsewhere: a request and
 * an answer over the link to its holder. A testbed's emulated link says what that link is;
 * otherwise a LAN-class default, since the daemon does not measure bandwidth.
 */
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'

/** The link assumed to a holder the node knows nothing about. */
export const DEFAULT_LINK = { rttMs: 1, mbps: 100 }

export interface LinkEstimates {
  /** One-way ms for `bytes` to `peer`, without jitter or loss; undefined when the link is not shaped. */
  expectedMs(peer: string, bytes: number): number | undefined
}

/** `(holder peer id bytes, bytes) => ms`, 0 when `self` holds it. */
export function transferEstimate (self: string, links?: LinkEstimates): (holder: Uint8Array, bytes: number) => number {
  return (holder, bytes) => {
    const peer = uint8ArrayToString(holder, 'base58btc')
    if (peer === self) return 0
    const request = links?.expectedMs(peer, 0)
    const answer = links?.expectedMs(peer, bytes)
    if (request != null && answer != null) return request + answer
    return DEFAULT_LINK.rttMs + bytes * 8 / (DEFAULT_LINK.mbps * 1000)
  }
}
