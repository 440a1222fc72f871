/**
 * Link classes a scenario can name, with one-way latency, jitter, bandwidth and loss. Latencies
 * follow the edgerun/ether distributions (shared/research/papers.md section 4.1: lan, wlan,
 * business ISP, mobile ISP, as median one-way ms with the p95 spread as jitter) and the
 * cloud backbone's intra-region pairs (same section, cloudping: ~25 ms).
 */
export interface LinkSpec {
  latencyMs: number
  jitterMs: number
  /** 0 = unlimited. */
  bandwidthMbps: number
  lossPct: number
}

export const LINK_CLASSES = {
  lan: { latencyMs: 0.5, jitterMs: 0.1, bandwidthMbps: 1000, lossPct: 0 },
  wlan: { latencyMs: 4.5, jitterMs: 3, bandwidthMbps: 300, lossPct: 0.5 },
  isp: { latencyMs: 7, jitterMs: 2, bandwidthMbps: 50, lossPct: 0.1 },
  mobile: { latencyMs: 24, jitterMs: 8, bandwidthMbps: 25, lossPct: 1 },
  cloud: { latencyMs: 25, jitterMs: 5, bandwidthMbps: 1000, lossPct: 0 }
} as const satisfies Record<string, LinkSpec>

export type LinkClassName = keyof typeof LINK_CLASSES
