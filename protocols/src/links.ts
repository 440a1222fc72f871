/**
 * The hook a testbed uses to emulate links between nodes on one machine: before a frame goes to
 * a peer, the protocols here wait what the shaper says that link would take. Unset in
 * production, so it costs nothing there.
 */
import type { PeerId } from '@libp2p/interface'

export interface LinkShaper {
  /** One-way time in ms for `bytes` to reach `peer` (latency, jitter, serialisation, loss); 0 when the link is not shaped. */
  delayMs(peer: PeerId, bytes: number): number
}

/** Waits out the shaped link to `peer`, if any; rejects with the signal's reason when aborted. */
export async function traverse (shaper: LinkShaper | undefined, peer: PeerId, bytes: number, signal?: AbortSignal): Promise<void> {
  const ms = shaper?.delayMs(peer, bytes) ?? 0
  if (ms <= 0) return
  signal?.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
