/**
 * Keeps dialing the bootstrap peers until they answer, and again whenever the connection drops.
 * libp2p's own bootstrap module dials once and never retries (shared/research/libp2p-v3.md
 * section 7.4), so a node started before its bootstrap peer would otherwise stay alone.
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Libp2p, Logger, Startable } from '@libp2p/interface'
import { timeoutSignal } from '../../../protocols/src/timeout-signal.js'

/** First retry after 500 ms, doubling up to 10 s: a restarted bootstrap node is found quickly. */
const MIN_BACKOFF_MS = 500
const MAX_BACKOFF_MS = 10_000
const DIAL_TIMEOUT_MS = 5_000

interface Target {
  addr: Multiaddr
  peer?: string
  backoffMs: number
  nextAttempt: number
  dialing: boolean
}

export class BootstrapRedialer implements Startable {
  private readonly targets: Target[]
  private timer?: ReturnType<typeof setInterval>
  private readonly controller = new AbortController()

  constructor (private readonly node: Libp2p, addrs: string[], private readonly log: Logger) {
    this.targets = addrs.map((a) => {
      const addr = multiaddr(a)
      return { addr, peer: addr.getComponents().findLast((c) => c.name === 'p2p')?.value, backoffMs: MIN_BACKOFF_MS, nextAttempt: 0, dialing: false }
    })
  }

  async start (): Promise<void> {
    if (this.targets.length === 0 || this.timer != null) return
    this.tick()
    this.timer = setInterval(() => { this.tick() }, MIN_BACKOFF_MS)
  }

  async stop (): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    this.controller.abort()
  }

  private isConnected (target: Target): boolean {
    if (target.peer == null) return false
    return this.node.getConnections().some((c) => c.remotePeer.toString() === target.peer)
  }

  private tick (): void {
    const now = Date.now()
    for (const target of this.targets) {
      if (target.dialing || now < target.nextAttempt || this.isConnected(target)) continue
      if (target.peer === this.node.peerId.toString()) continue // our own address in a shared list
      target.dialing = true
      const signal = AbortSignal.any([this.controller.signal, timeoutSignal(DIAL_TIMEOUT_MS)])
      this.node.dial(target.addr, { signal }).then(() => {
        this.log('connected to bootstrap peer %a', target.addr)
        target.backoffMs = MIN_BACKOFF_MS
        target.nextAttempt = 0
      }, (err: any) => {
        this.log('bootstrap peer %a not reachable (%s); retrying in %d ms', target.addr, err?.name ?? err, target.backoffMs)
        target.nextAttempt = Date.now() + target.backoffMs
        target.backoffMs = Math.min(MAX_BACKOFF_MS, target.backoffMs * 2)
      }).finally(() => { target.dialing = false })
    }
  }
}
