import type { ListedPublisher, TrustedPublisher } from './index.js'

/** The trusted publishers: the config's (`trust.publishers`), then the trust list's that the config does not name. */
export function trustedPublishers (configured: Iterable<string>, listed: ListedPublisher[]): TrustedPublisher[] {
  const fromConfig = new Set(configured)
  return [
    ...[...fromConfig].map((peer): TrustedPublisher => ({ peer, source: 'config' })),
    ...listed.filter((p) => !fromConfig.has(p.peer)).map((p): TrustedPublisher => ({ peer: p.peer, ...(p.label != null ? { label: p.label } : {}), source: 'cli' }))
  ]
}
