import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { Counter, type Registry } from 'prom-client'
import { AbortError, MethodNotAllowedError, RouteNotFoundError } from '../errors.js'
import { ROUTES, sendJson } from './routes.js'
import { statusOf } from './status.js'
import type { GatewayComponents, GatewayInit, Gateway as GatewayInterface } from './index.js'
import type { Logger } from '@libp2p/interface'

export class Gateway implements GatewayInterface {
  private readonly components: GatewayComponents
  private readonly init: Required<GatewayInit>
  private readonly log: Logger
  private server?: Server
  private address?: { host: string, port: number }
  private readonly inflight = new Set<Promise<void>>()
  private readonly requests?: Counter<'route' | 'status'>

  constructor (components: GatewayComponents, init: GatewayInit) {
    this.components = components
    this.init = { host: '127.0.0.1', port: 8787, maxInputBytes: 1 << 20, drainTimeoutMs: 10_000, ...init }
    this.log = components.logger.forComponent('faasmesh:gateway')
    this.requests = registerMetrics(components.registry)
  }

  get url (): string {
    if (this.address == null) throw new Error('gateway is not listening')
    const host = this.address.host.includes(':') ? `[${this.address.host}]` : this.address.host
    return `http://${host}:${this.address.port}`
  }

  async start (): Promise<void> {
    if (this.server != null) return
    const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
      const done = this.handle(req, res)
      this.inflight.add(done)
      void done.finally(() => this.inflight.delete(done))
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.init.port, this.init.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
    const addr = server.address()
    if (addr == null || typeof addr === 'string') throw new Error('unexpected server address')
    this.address = { host: addr.address, port: addr.port }
    this.server = server
    this.log('listening on %s', this.url)
  }

  /** Stops accepting requests, lets the ones in flight finish (bounded), then closes. */
  async stop (): Promise<void> {
    const server = this.server
    if (server == null) return
    this.server = undefined
    const closed = new Promise<void>((resolve) => { server.close(() => { resolve() }) })
    server.closeIdleConnections()
    const drained = Promise.all([...this.inflight])
    const timer = new Promise<void>((resolve) => setTimeout(resolve, this.init.drainTimeoutMs).unref())
    await Promise.race([drained, timer])
    server.closeAllConnections()
    await closed
  }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const controller = new AbortController()
    // 'close' on the response before it finished means the client went away
    res.once('close', () => { if (!res.writableFinished) controller.abort(new AbortError('the client closed the connection')) })
    const path = (req.url ?? '/').split('?')[0]!
    const candidates = ROUTES.filter((r) => r.pattern.test(path))
    const route = candidates.find((r) => r.method === req.method)
    try {
      if (route == null) {
        throw candidates.length > 0
          ? new MethodNotAllowedError(`${req.method} is not allowed on ${path}; use ${candidates.map((r) => r.method).join(' or ')}`)
          : new RouteNotFoundError(`no route ${req.method} ${path.slice(0, 200)}`)
      }
      await route.handle({
        req,
        res,
        params: route.pattern.exec(path)!.slice(1),
        signal: controller.signal,
        components: this.components,
        maxInputBytes: this.init.maxInputBytes
      })
    } catch (err: any) {
      const status = statusOf(err)
      if (status === 500) this.log.error('%s %s failed: %e', req.method, path, err)
      if (!res.headersSent && !res.destroyed) {
        // a body we stopped reading cannot be drained cheaply: close the connection after answering
        const headers: Record<string, string> = status === 413 ? { connection: 'close' } : {}
        if (status === 405) headers.allow = ROUTES.filter((r) => r.pattern.test(path)).map((r) => r.method).join(', ')
        sendJson(res, status, { error: { name: String(err?.name ?? 'Error'), message: String(err?.message ?? err) } }, headers)
      } else {
        res.destroy()
      }
    } finally {
      this.requests?.inc({ route: route?.name ?? 'unknown', status: String(res.statusCode) })
    }
  }
}

function registerMetrics (registry: Registry): Counter<'route' | 'status'> {
  return new Counter({
    name: 'faasmesh_gateway_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['route', 'status'],
    registers: [registry]
  })
}
