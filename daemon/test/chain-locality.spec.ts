/**
 * Input locality in placement (issue 14): what a bidder adds for a chain step's input held
 * elsewhere, the link estimate behind it, and the auction always asking the input's holders.
 * The same across real daemons over emulated links is in chains.e2e.ts.
 */
import { expect } from 'chai'
import { peerIdFromString } from '@libp2p/peer-id'
import { CID } from 'multiformats/cid'
import { Bid, type CallForBids } from '../../protocols/src/auction/index.js'
import { DEFAULT_LINK, transferEstimate } from '../src/chains/transfer.js'
import { LinkTable } from '../src/links/index.js'
import { Bidder } from '../src/placement/bidder.js'
import { RunTimeEstimates } from '../src/placement/estimates.js'
import { PeerLedger } from '../src/placement/peer-ledger.js'
import { planners } from '../src/placement/policies.js'
import { pricing } from '../src/placement/pricing.js'
import { Reservations } from '../src/placement/reservations.js'
import type { Auctioneer } from '../src/placement/auctioneer.js'
import type { Candidate } from '../src/placement/candidates.js'

const CID_BYTES = CID.parse('bafkreigo4p64ub4xtcr4lfifea4su4n4lbqijavygp6soaalwhab6jwgti').bytes as Uint8Array<ArrayBuffer>
const SELF = '12D3KooWP29d6wKnQEHJvJYZPjYzGoo3BLtss5B71B38WN4Mvybk'
const OTHER = '12D3KooWJ7VjKpi7yFnNL9fNB5HHHu1vRmUNfHJ2PWSMrKjeCJui'
const bytesOf = (peer: string): Uint8Array<ArrayBuffer> => peerIdFromString(peer).toMultihash().bytes as Uint8Array<ArrayBuffer>

function bidder (transferMs?: (holder: Uint8Array, bytes: number) => number): Bidder {
  const ledger = new PeerLedger()
  return new Bidder({
    running: () => 0,
    slots: () => 2,
    codeState: () => Bid.Code.WARM,
    estimates: new RunTimeEstimates(),
    reservations: new Reservations(5000, () => {}),
    ledger,
    price: pricing({ basePrice: 1, factors: [], tags: {} }),
    ...(transferMs != null ? { transferMs } : {})
  }, { queuePerSlot: 1, speed: 1 })
}

function call (inputs: CallForBids['inputs']): CallForBids {
  return { auctionId: 'a', cid: CID_BYTES, inputBytes: 0, deadlineMs: 0, release: [], inputs, nameRecord: new Uint8Array(0) }
}

describe('chains: input locality in placement', function () {
  it('estimates a transfer over an emulated link, nothing for what this node holds, and a LAN default otherwise', function () {
    const links = new LinkTable()
    links.set({ rules: [{ peer: OTHER, latencyMs: 20, jitterMs: 5, bandwidthKbps: 8_000, lossPct: 50 }], blocked: [] })
    const shaped = transferEstimate(SELF, links)
    // the request's latency, then the answer's latency and 1 MB at 8 Mb/s: jitter and loss left out
    expect(shaped(bytesOf(OTHER), 1_000_000)).to.equal(20 + 20 + 1000)
    expect(shaped(bytesOf(SELF), 1_000_000)).to.equal(0)
    const unshaped = transferEstimate(SELF)
    expect(unshaped(bytesOf(OTHER), 1_000_000)).to.equal(DEFAULT_LINK.rttMs + 1_000_000 * 8 / (DEFAULT_LINK.mbps * 1000))
    expect(unshaped(bytesOf(SELF), 1_000_000)).to.equal(0)
  })

  it('bids the transfer of a step\'s input held elsewhere, and nothing for the part it holds', function () {
    // a fresh node for each bid: a bid reserves a slot, which would lengthen the next
    const estimate = (inputs: CallForBids['inputs']): number => bidder(transferEstimate(SELF)).bid(call(inputs)).estimatedMs
    const bare = estimate([])
    const elsewhere = estimate([{ peer: bytesOf(OTHER), bytes: 4_000_000 }])
    const here = estimate([{ peer: bytesOf(SELF), bytes: 4_000_000 }])
    expect(here).to.equal(bare)
    // 4 MB over the default 100 Mb/s link: 320 ms and a round trip
    expect(elsewhere - bare).to.be.within(320, 322)
    const both = estimate([{ peer: bytesOf(SELF), bytes: 4_000_000 }, { peer: bytesOf(OTHER), bytes: 1_000_000 }])
    expect(both - bare).to.be.within(80, 82)
    // a node that knows no transfer cost bids as before
    expect(bidder().bid(call([{ peer: bytesOf(OTHER), bytes: 4_000_000 }])).estimatedMs).to.equal(bare)
  })

  it('an auction always asks the nodes that hold the step\'s input, besides its sample', async function () {
    const asked: string[][] = []
    const auctioneer = { run: async (candidates: Candidate[]) => { asked.push(candidates.map((c) => c.peer)); return { targets: [], bids: [], asked: candidates.length, held: [] } } } as unknown as Auctioneer
    const candidate = (peer: string, self = false): Candidate => ({ peer, self, slotsTotal: 1, slotsFree: 1, queueLength: 0, speed: 1, warm: false })
    const peers = Array.from({ length: 20 }, (_, i) => candidate(`peer-${i}`))
    const plan = planners(auctioneer).auction
    for (let i = 0; i < 50; i++) {
      await plan({ self: candidate('me', true), peers, candidates: 3, holders: ['peer-17'], call: { cid: CID_BYTES, inputBytes: 0, deadlineMs: 0, windowMs: 100, priceWeight: 2 } })
    }
    for (const round of asked) {
      expect(round).to.have.length(3)
      expect(round).to.include('peer-17')
      expect(new Set(round).size).to.equal(3)
    }
    // without holders, the sample alone: the same peer is not always there
    asked.length = 0
    for (let i = 0; i < 50; i++) await plan({ self: candidate('me', true), peers, candidates: 3, call: { cid: CID_BYTES, inputBytes: 0, deadlineMs: 0, windowMs: 100, priceWeight: 2 } })
    expect(asked.filter((r) => r.includes('peer-17')).length).to.be.lessThan(50)
  })
})
