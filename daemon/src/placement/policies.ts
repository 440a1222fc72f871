import { loadOf, type BidRecord, type Candidate, type Plan } from './candidates.js'
import { uniformSample, weightedSample } from './sampling.js'
import type { AuctionCall, Auctioneer } from './auctioneer.js'
import type { PolicyName } from './policy-names.js'

export interface PlanContext {
  /** This node, from its live state. */
  self: Candidate
  /** Peers from the capacity view, those with a bad reputation left out. */
  peers: Candidate[]
  call: AuctionCall
  /** k: candidates an auction asks, this node included. */
  candidates: number
  /** Peers that hold a chain step's input: an auction asks them besides its sample (their bids save the transfer). */
  holders?: string[]
}

/** Chooses where one invocation goes: an ordered list of targets, with the bids behind it. */
export type Planner = (context: PlanContext) => Promise<Plan>

const single = (candidate: Candidate): Plan => ({ targets: [{ candidate }], bids: [], asked: 0, held: [] })

/**
 * Auction weight, Sparrow style: free slots first (a full node still gets a small chance, its
 * advert may be stale), faster and warm nodes more often, queueing ones less.
 */
function auctionWeight (c: Candidate): number {
  return (c.slotsFree + 0.25) * c.speed * (c.warm ? 2 : 1) / (1 + c.queueLength)
}

/** Score of a bid: estimated completion (bid round trip included) plus the weighted price. */
const byScore = (priceWeight: number) => (r: BidRecord): number => (r.estimatedMs ?? 0) + (r.rttMs ?? 0) + priceWeight * (r.price ?? 0)
/** Power of two choices compares completion alone. */
const byCompletion = (r: BidRecord): number => (r.estimatedMs ?? 0) + (r.rttMs ?? 0)

/**
 * Power of d choices: d candidates drawn uniformly, asked for bids, the soonest completion wins.
 * The daemon uses d = 2; the simulator also runs d = 3 (the supermarket model).
 */
export function powerOfD (auctioneer: Auctioneer, d: number, random: () => number = Math.random): Planner {
  return async ({ self, peers, call }) => auctioneer.run(uniformSample([self, ...peers], d, random), call, byCompletion)
}

/** The six policies behind one interface; they share the attempt path, so comparisons are fair. */
export function planners (auctioneer: Auctioneer, random: () => number = Math.random): Record<PolicyName, Planner> {
  let next = 0
  return {
    local: async ({ self }) => single(self),
    random: async ({ self, peers }) => single(uniformSample([self, ...peers], 1, random)[0] ?? self),
    'round-robin': async ({ self, peers }) => {
      const ring = [self, ...peers].sort((a, b) => a.peer < b.peer ? -1 : 1)
      return single(ring[next++ % ring.length] ?? self)
    },
    'least-loaded': async ({ self, peers }) => {
      // from gossip only: lowest busy+queued per slot, then the faster, then at random
      const all = uniformSample([self, ...peers], peers.length + 1, random)
      all.sort((a, b) => loadOf(a) - loadOf(b) || b.speed - a.speed)
      return single(all[0] ?? self)
    },
    'power-of-two': powerOfD(auctioneer, 2, random),
    auction: async ({ self, peers, call, candidates, holders = [] }) => {
      // a step's input is where its predecessors ran: those nodes are always asked, the sample fills the rest of k
      const held = peers.filter((p) => holders.includes(p.peer))
      const others = held.length === 0 ? peers : peers.filter((p) => !held.includes(p))
      const sampled = weightedSample(others, Math.max(0, candidates - 1 - held.length), auctionWeight, random)
      return auctioneer.run([self, ...held, ...sampled], call, byScore(call.priceWeight))
    }
  }
}
