/**
 * @packageDocumentation
 *
 * Emulated links for testbeds (docs/testbed.md): per remote peer, a one-way latency with
 * jitter, a bandwidth and a loss rate applied to this node's auction, invoke, code-transfer, state and chain-data
 * frames; and a blocklist that cuts connections to a set of peers and refuses them until it is
 * lifted (partitions). Only built when `testbed.control` is on; the testbed sets it through
 * `PUT /v1/testbed/links`.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { InvalidParametersError } from '../errors.js'
import type { LinkShaper } from '../../../protocols/src/links.js'
import type { PeerId } from '@libp2p/interface'

export interface LinkRule {
  /** Remote peer id. */
  peer: string
  /** One-way latency. */
  latencyMs: number
  /** Uniform jitter, +/- this much. */
  jitterMs: number
  /** 0 = unlimited. */
  bandwidthKbps: number
  /** Chance, in percent, that a frame is lost once and retransmitted. */
  lossPct: number
}

export interface LinkState {
  rules: LinkRule[]
  /** Peers this node is cut off from (a partition). */
  blocked: string[]
}

/** A lost frame costs a retransmission timeout (Linux's minimum RTO) plus the round trip. */
const RETRANSMIT_MS = 200

export class LinkTable implements LinkShaper {
  private rules = new Map<string, LinkRule>()
  private blocked = new Set<string>()

  constructor (private readonly random: () => number = Math.random) {}

  state (): LinkState {
    return { rules: [...this.rules.values()], blocked: [...this.blocked] }
  }

  /** Replaces every rule and the blocklist; returns the peers newly blocked. */
  set (state: LinkState): string[] {
    const before = this.blocked
    this.rules = new Map(state.rules.map((r) => [r.peer, r]))
    this.blocked = new Set(state.blocked)
    return state.blocked.filter((p) => !before.has(p))
  }

  isBlocked (peer: string): boolean {
    return this.blocked.has(peer)
  }

  /** One-way ms for `bytes` to `peer` on average (no jitter, no loss); undefined when the link is not shaped. */
  expectedMs (peer: string, bytes: number): number | undefined {
    const rule = this.rules.get(peer)
    if (rule == null) return undefined
    return rule.latencyMs + (rule.bandwidthKbps > 0 ? bytes * 8 / rule.bandwidthKbps : 0)
  }

  delayMs (peer: PeerId, bytes: number): number {
    const rule = this.rules.get(peer.toString())
    if (rule == null) return 0
    let ms = rule.latencyMs + rule.jitterMs * (2 * this.random() - 1)
    if (rule.bandwidthKbps > 0) ms += bytes * 8 / rule.bandwidthKbps
    if (rule.lossPct > 0 && this.random() * 100 < rule.lossPct) ms += RETRANSMIT_MS + 2 * rule.latencyMs
    return Math.max(0, ms)
  }
}

function isPeerId (value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 128) return false
  try {
    peerIdFromString(value)
    return true
  } catch {
    return false
  }
}

/** Checks a `PUT /v1/testbed/links` body; throws `InvalidParametersError` naming the bad field. */
export function parseLinkState (value: unknown): LinkState {
  const fail = (message: string): never => { throw new InvalidParametersError(`testbed links: ${message}`) }
  if (value == null || typeof value !== 'object' || Array.isArray(value)) fail('expected { rules: [...], blocked: [...] }')
  const { rules = [], blocked = [] } = value as { rules?: unknown, blocked?: unknown }
  if (!Array.isArray(rules) || rules.length > 1024) fail('rules must be a list of at most 1024 rules')
  if (!Array.isArray(blocked) || blocked.length > 1024 || !blocked.every(isPeerId)) fail('blocked must be a list of peer ids')
  const number = (rule: Record<string, unknown>, key: string, max: number): number => {
    const v = rule[key] ?? 0
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > max) fail(`rules[].${key} must be a number from 0 to ${max}, got ${JSON.stringify(v)}`)
    return v as number
  }
  return {
    rules: (rules as unknown[]).map((raw) => {
      if (raw == null || typeof raw !== 'object') return fail('each rule must be an object')
      const rule = raw as Record<string, unknown>
      if (!isPeerId(rule.peer)) fail(`rules[].peer must be a peer id, got ${JSON.stringify(rule.peer).slice(0, 80)}`)
      return {
        peer: rule.peer as string,
        latencyMs: number(rule, 'latencyMs', 60_000),
        jitterMs: number(rule, 'jitterMs', 60_000),
        bandwidthKbps: number(rule, 'bandwidthKbps', 1e9),
        lossPct: number(rule, 'lossPct', 100)
      }
    }),
    blocked: blocked as string[]
  }
}
