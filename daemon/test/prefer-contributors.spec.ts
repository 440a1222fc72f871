/**
 * `placement.preferContributors` (tit for tat, docs/config.md): when this node bids for a remote
 * auctioneer that has run work for it (by verified receipts in the ledger), it bids at half the
 * price, and once its slots are all busy or promised only such peers (and this node's own
 * auctions) may still queue here; everyone else is declined FULL, as with the option off they
 * would not be.
 */
import { expect } from 'chai'
import { CID } from 'multiformats/cid'
import { Bid, type CallForBids } from '../../protocols/src/auction/index.js'
import { contributes } from '../src/ledger/index.js'
import { Bidder, CONTRIBUTOR_PRICE } from '../src/placement/bidder.js'
import { RunTimeEstimates } from '../src/placement/estimates.js'
import { PeerLedger } from '../src/placement/peer-ledger.js'
import { pricing } from '../src/placement/pricing.js'
import { Reservations } from '../src/placement/reservations.js'
import type { PeerTally } from '../src/ledger/index.js'

const CID_BYTES = CID.parse('bafkreigo4p64ub4xtcr4lfifea4su4n4lbqijavygp6soaalwhab6jwgti').bytes as Uint8Array<ArrayBuffer>
const GIVER = 'giver'
const TAKER = 'taker'

function call (auctionId: string): CallForBids {
  return { auctionId, cid: CID_BYTES, inputBytes: 10, deadlineMs: 0, release: [], inputs: [], nameRecord: new Uint8Array(0) }
}

/** The tallies a ledger would hold: the giver ran work for this node, the taker only asked. */
const TALLIES: Record<string, PeerTally> = {
  [GIVER]: { peer: GIVER, ranForUs: { invocations: 5, fuel: 5000, price: 5 }, ranForThem: { invocations: 2, fuel: 2000, price: 2 }, lastAt: 1 },
  [TAKER]: { peer: TAKER, ranForUs: { invocations: 0, fuel: 0, price: 0 }, ranForThem: { invocations: 9, fuel: 9000, price: 9 }, lastAt: 1 }
}

function bidder (prefer: boolean, state: { running: number }): { bidder: Bidder, reservations: Reservations } {
  const ledger = new PeerLedger()
  const reservations = new Reservations(5000, () => {})
  const b = new Bidder({
    running: () => state.running,
    slots: () => 2,
    codeState: () => Bid.Code.WARM,
    estimates: new RunTimeEstimates(),
    reservations,
    ledger,
    price: pricing({ basePrice: 1, factors: [], tags: {} }),
    // what daemon.ts wires when the option is on
    ...(prefer ? { contributes: (peer: string) => contributes(TALLIES[peer]) } : {})
  }, { queuePerSlot: 1, speed: 1 })
  return { bidder: b, reservations }
}

describe('placement.preferContributors: tit for tat in bids', function () {
  const made: Reservations[] = []
  afterEach(function () { for (const r of made.splice(0)) r.clear() })

  it('bids for a contributor at a lower price than for a peer that only takes', function () {
    const { bidder: b, reservations } = bidder(true, { running: 0 })
    made.push(reservations)
    const giver = b.bid(call('g'), GIVER)
    const taker = b.bid(call('t'), TAKER)
    expect(giver.status).to.equal(Bid.Status.BID)
    expect(taker.status).to.equal(Bid.Status.BID)
    expect(giver.price).to.be.below(taker.price)
    // the taker's bid saw one more reservation (the giver's): compare at the same load
    const again = bidder(true, { running: 0 })
    made.push(again.reservations)
    expect(giver.price).to.be.closeTo(again.bidder.bid(call('t2'), TAKER).price * CONTRIBUTOR_PRICE, 1e-9)
  })

  it('with every slot busy, only the contributor (and this node) may still queue here', function () {
    const { bidder: b, reservations } = bidder(true, { running: 2 })
    made.push(reservations)
    expect(b.bid(call('t'), TAKER)).to.deep.include({ status: Bid.Status.DECLINED, reason: Bid.Reason.FULL })
    expect(b.bid(call('g'), GIVER).status).to.equal(Bid.Status.BID)
    expect(b.bid(call('s')).status).to.equal(Bid.Status.BID)
  })

  it('with the option off, nobody is preferred', function () {
    const { bidder: b, reservations } = bidder(false, { running: 2 })
    made.push(reservations)
    const taker = b.bid(call('t'), TAKER)
    expect(taker.status).to.equal(Bid.Status.BID)
    const other = bidder(false, { running: 2 })
    made.push(other.reservations)
    expect(other.bidder.bid(call('g'), GIVER).price).to.equal(taker.price)
  })
})
