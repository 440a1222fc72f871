/**
 * The replica set of an in-edge state key (DESIGN.md section 10): the `state.replicas` peers,
 * this node included, whose sha256 of the peer id (as a string) is closest by XOR to sha256 of
 * `<space>:<stateKey>`, nearest first; the first is the primary. Every node computes it from its
 * own view of the mesh (the capacity view), so two nodes agree as long as their views do.
 */
import { createHash } from 'node:crypto'
import { DEFAULT_REPLICAS } from './constants.js'

/** Peer hashes kept between calls: a mesh's peers, with room for churn; the cache starts over past it. */
const MAX_CACHED_PEER_HASHES = 4096

/** The spaces a replicated key lives in: a key's data and the directory of in-function homes. */
export type ReplicaSpace = 'data' | 'home'

export interface ReplicaSetsInit {
  /** Peers that keep a key, the primary included (`state.replicas`). @default DEFAULT_REPLICAS */
  replicas?: number
}

export interface ReplicaSetsComponents {
  /** This node's peer id. */
  self: string
  /** The faasmesh peers this node knows of (its capacity view); self, repeats and order do not matter. */
  peers(): string[]
}

export class ReplicaSets {
  readonly replicas: number
  private readonly hashes = new Map<string, Uint8Array>()

  constructor (private readonly components: ReplicaSetsComponents, init: ReplicaSetsInit = {}) {
    this.replicas = Math.max(1, Math.floor(init.replicas ?? DEFAULT_REPLICAS))
  }

  /** The replica set of `stateKey` in `space`, nearest first: `[primary, ...replicas]`, never empty. */
  of (space: ReplicaSpace, stateKey: string): string[] {
    const candidates = new Set(this.components.peers())
    candidates.add(this.components.self)
    return closest(sha256(`${space}:${stateKey}`), [...candidates], this.replicas, (peer) => this.hash(peer))
  }

  private hash (peer: string): Uint8Array {
    let hash = this.hashes.get(peer)
    if (hash == null) {
      if (this.hashes.size >= MAX_CACHED_PEER_HASHES) this.hashes.clear()
      hash = sha256(peer)
      this.hashes.set(peer, hash)
    }
    return hash
  }
}

/** The `count` candidates whose hash is closest to `target` by XOR, nearest first. */
export function closest (target: Uint8Array, candidates: string[], count: number, hash: (peer: string) => Uint8Array = sha256): string[] {
  return candidates
    .map((peer) => ({ peer, distance: xor(hash(peer), target) }))
    .sort((a, b) => compareBytes(a.distance, b.distance) || (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0))
    .slice(0, count)
    .map((c) => c.peer)
}

export function sha256 (text: string): Uint8Array {
  return createHash('sha256').update(text, 'utf8').digest()
}

function xor (a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength)
  for (let i = 0; i < out.byteLength; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0)
  return out
}

function compareBytes (a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.byteLength; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return d
  }
  return 0
}
