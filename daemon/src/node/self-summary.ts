/** This node as `GET /v1/node` shows it: what its own advert says of it, plus whom it is connected to. */
import { advertisedBatteryPercent, type PowerState } from '../power/index.js'
import type { NodeSummary } from '../gateway/index.js'

export interface SelfSummaryParts {
  tags: Record<string, string>
  speed: number
  /** `performance.now()` when the node started. */
  startedAt: number
  slotsTotal(): number
  freeSlots(): number
  queued(): number
  power(): PowerState
  /** Peer ids of open libp2p connections (repeats allowed). */
  connectedPeers(): string[]
}

export function selfSummary (parts: SelfSummaryParts): () => NodeSummary {
  return () => {
    const battery = advertisedBatteryPercent(parts.power())
    return {
      tags: parts.tags,
      slots: { total: parts.slotsTotal(), free: parts.freeSlots() },
      queueLength: parts.queued(),
      speed: parts.speed,
      ...(battery != null ? { batteryPercent: battery } : {}),
      uptimeMs: Math.round(performance.now() - parts.startedAt),
      connections: [...new Set(parts.connectedPeers())].sort()
    }
  }
}
