import { RpcTimeoutError, RpcUnreachableError } from '../../../protocols/src/rpc/index.js'
import type { SimNode } from './node.js'
import type { Clock } from '../../../daemon/src/utils/clock.js'
import type { Auction, Bid, CallForBids } from '../../../protocols/src/auction/index.js'
import type { AbortOptions, PeerId } from '@libp2p/interface'

/** A call for bids or a bid on the wire: ids, a CID, a reservation token, numbers (protocols/src/auction). */
export const AUCTION_MESSAGE_BYTES = 120

export interface SimTransportComponents {
  clock: Clock
  node(name: string): SimNode | undefined
  /** One-way delay of a message, undefined when it is lost. */
  delay(from: SimNode, to: SimNode, bytes: number): number | undefined
  /** Counts messages sent, for the placement cost per invocation. */
  sent(count: number): void
  /** A partition stands between two nodes: a call is refused, and one in flight goes unanswered. */
  cut(from: SimNode, to: SimNode): boolean
}

/**
 * `/faasmesh/auction` between simulated nodes, at the narrowest interface the Auctioneer uses
 * (`requestBid`): the call for bids reaches the peer's real Bidder after a modelled link delay,
 * its Bid comes back after another. No answer within `timeoutMs` (a lost message, a slow link)
 * rejects with RpcTimeoutError, a node that is down with RpcUnreachableError, as the real
 * channel does; what the Auctioneer makes of them (reputation, late bids) is its own code.
 */
export function simAuction (fromName: string, components: SimTransportComponents): Pick<Auction, 'requestBid'> {
  const { clock } = components
  return {
    async requestBid (peer: PeerId, call: CallForBids, options: AbortOptions & { timeoutMs?: number } = {}): Promise<Bid> {
      const from = components.node(fromName)!
      const to = components.node(peer.toString())
      if (to == null || !to.up || !from.up) throw new RpcUnreachableError(`${peer.toString()} is down`)
      if (components.cut(from, to)) throw new RpcUnreachableError(`${peer.toString()} is cut off`)
      components.sent(1)
      return new Promise<Bid>((resolve, reject) => {
        let settled = false
        const timeout = clock.setTimeout(() => {
          settled = true
          reject(new RpcTimeoutError(`no bid from ${to.name} within ${options.timeoutMs} ms`))
        }, options.timeoutMs ?? 500)
        const there = components.delay(from, to, AUCTION_MESSAGE_BYTES)
        if (there == null) return
        clock.setTimeout(() => {
          // the peer bids whether or not the caller still waits, as a real one does
          if (!to.up || components.cut(from, to)) return
          const bid = to.bidder.bid(call, from.name)
          // a release-only call is answered too (DECLINED RELEASED): one more message
          components.sent(1)
          const back = components.delay(to, from, AUCTION_MESSAGE_BYTES)
          if (back == null) return
          clock.setTimeout(() => {
            if (settled || components.cut(from, to)) return
            settled = true
            clock.clearTimeout(timeout)
            resolve(bid)
          }, back)
        }, there)
      })
    }
  }
}
