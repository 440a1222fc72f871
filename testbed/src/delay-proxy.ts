/**
 * A TCP proxy that puts an emulated link in front of a server the mesh reaches outside libp2p
 * (the external state model's Redis): every chunk waits the link's one-way latency, each way,
 * and the bytes of each direction are paced at the link's bandwidth (one queue per direction,
 * shared by every connection through this proxy, as one physical link would be). It counts the
 * bytes it carried, so a run knows the traffic to the database.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net'

export interface DelayProxyInit {
  /** Where connections go. */
  target: { host: string, port: number }
  /** One-way latency, each direction. */
  latencyMs: number
  /** Pacing of each direction; 0 = unlimited. */
  bandwidthMbps: number
  /** Address to listen on. @default '127.0.0.1' */
  host?: string
}

export interface DelayProxy {
  readonly port: number
  /** Bytes carried so far: `up` from clients to the target, `down` back. */
  bytes(): { up: number, down: number }
  /** Stops listening and cuts every connection. */
  close(): Promise<void>
}

/** A direction's data held back beyond this pauses its sender until the link catches up. */
const MAX_QUEUED_BYTES = 16 << 20

/** One direction of the link: when its transmitter is next free, in performance.now() ms. */
class Pacer {
  private busyUntil = 0
  bytes = 0

  constructor (private readonly latencyMs: number, private readonly bandwidthMbps: number) {}

  /** When a chunk of `n` bytes sent now arrives at the far end. */
  arrival (n: number): number {
    this.bytes += n
    const start = Math.max(performance.now(), this.busyUntil)
    // Mb/s = 1000 bits per ms
    this.busyUntil = start + (this.bandwidthMbps > 0 ? n * 8 / (this.bandwidthMbps * 1000) : 0)
    return this.busyUntil + this.latencyMs
  }
}

/**
 * Chunks from `from` delivered to `to` in order, each at its arrival time. One timer at a time,
 * for the head of the queue: arrivals never decrease, so the order holds.
 */
function pipeDelayed (from: Socket, to: Socket, pacer: Pacer): void {
  const queue: Array<{ at: number, chunk: Buffer }> = []
  let queued = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let ended = false
  const pump = (): void => {
    timer = undefined
    const now = performance.now()
    while (queue.length > 0 && queue[0]!.at <= now + 0.5) {
      const { chunk } = queue.shift()!
      queued -= chunk.byteLength
      if (!to.destroyed) to.write(chunk)
    }
    if (from.isPaused() && queued < MAX_QUEUED_BYTES / 2) from.resume()
    if (queue.length > 0) timer = setTimeout(pump, Math.max(0, queue[0]!.at - performance.now()))
    else if (ended && !to.destroyed) to.end()
  }
  from.on('data', (chunk: Buffer) => {
    queue.push({ at: pacer.arrival(chunk.byteLength), chunk })
    queued += chunk.byteLength
    if (queued > MAX_QUEUED_BYTES) from.pause()
    if (timer == null) timer = setTimeout(pump, Math.max(0, queue[0]!.at - performance.now()))
  })
  from.on('end', () => {
    ended = true
    if (timer == null) pump()
  })
  from.on('close', () => {
    // a connection cut (not ended) takes what it still held with it
    if (!ended) {
      if (timer != null) clearTimeout(timer)
      queue.length = 0
      to.destroy()
    }
  })
}

export async function startDelayProxy (init: DelayProxyInit): Promise<DelayProxy> {
  const up = new Pacer(init.latencyMs, init.bandwidthMbps)
  const down = new Pacer(init.latencyMs, init.bandwidthMbps)
  const sockets = new Set<Socket>()
  // half-open: a side that has sent everything still receives what the link holds for it
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = createConnection({ host: init.target.host, port: init.target.port, allowHalfOpen: true })
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.setNoDelay(true)
      s.on('error', () => { client.destroy(); upstream.destroy() })
      s.on('close', () => { sockets.delete(s) })
    }
    pipeDelayed(client, upstream, up)
    pipeDelayed(upstream, client, down)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, init.host ?? '127.0.0.1', () => { server.off('error', reject); resolve() })
  })
  const address = server.address()
  if (address == null || typeof address === 'string') throw new Error('the delay proxy has no TCP port')
  return {
    port: address.port,
    bytes: () => ({ up: up.bytes, down: down.bytes }),
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
    }
  }
}
