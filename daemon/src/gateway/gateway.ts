import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { Counter, type Registry } from 'prom-client'
import { AbortError, MethodNotAllowedError, RouteNotFoundError } from '../errors.js'
import { gatewayAuth, refuseOpenExposure, scopeOf, type GatewayAuth } from './auth.js'
import { discardBody, readBody } from './body.js'
import { answerClientError } from './client-error.js'
import {
  DEFAULT_BODY_IDLE_TIMEOUT_MS, DEFAULT_DISCARD_MAX_BYTES, DEFAULT_DISCARD_TIMEOUT_MS, DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS, DEFAULT_REQUEST_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, MAX_HEADER_BYTES, SAFE_METHODS
} from './constants.js'
import { crossSiteGuard, type CrossSiteGuard } from './cross-site.js'
import { endRequestSpan, startRequestSpan } from './request-span.js'
import { ROUTES, sendJson } from './routes.js'
import { statusOf } from './status.js'
import type { GatewayComponents, GatewayInit, Gateway as GatewayInterface } from './index.js'
import type { Logger } from '@libp2p/interface'

export class Gateway implements GatewayInterface {
  private readonly components: GatewayComponents
  private readonly init: Required<GatewayInit>
  private readonly log: Logger
  private readonly guard: CrossSiteGuard
  private readonly auth: GatewayAuth
  private server?: Server
  private address?: { host: string, port: number }
  private readonly inflight = new Set<Promise<void>>()
  private readonly requests?: Counter<'route' | 'status'>

  constructor (components: GatewayComponents, init: GatewayInit) {
    this.components = components
    this.init = {
      host: '127.0.0.1',
      port: 8787,
      maxInputBytes: 1 << 20,
      drainTimeoutMs: 10_000,
      allowedHosts: [],
      headersTimeoutMs: DEFAULT_HEADERS_TIMEOUT_MS,
      requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
      bodyIdleTimeoutMs: DEFAULT_BODY_IDLE_TIMEOUT_MS,
      maxConnections: DEFAULT_MAX_CONNECTIONS,
      discardMaxBytes: DEFAULT_DISCARD_MAX_BYTES,
      discardTimeoutMs: DEFAULT_DISCARD_TIMEOUT_MS,
      insecure: false,
      requireTokenFor: ['deploy', 'admin'],
      ...init
    }
    this.log = components.logger.forComponent('faasmesh:gateway')
    this.guard = crossSiteGuard({ listenHost: this.init.host, allowedHosts: this.init.allowedHosts })
    this.auth = gatewayAuth({ listenHost: this.init.host, requireTokenFor: this.init.requireTokenFor, insecure: this.init.insecure }, components.tokens)
    this.requests = registerMetrics(components.registry)
  }

  get url (): string {
    if (this.address == null) throw new Error('gateway is not listening')
    const host = this.address.host.includes(':') ? `[${this.address.host}]` : this.address.host
    return `http://${host}:${this.address.port}`
  }

  async start (): Promise<void> {
    if (this.server != null) return
    // beyond loopback with no token and no api.insecure: refused before the port opens
    refuseOpenExposure({ host: this.init.host, port: this.init.port, insecure: this.init.insecure, tokens: this.components.tokens })
    const { requestTimeoutMs } = this.init
    // Node refuses a headers timeout longer than the request timeout
    const headersTimeoutMs = Math.min(this.init.headersTimeoutMs, requestTimeoutMs)
    const server = createServer({
      // an in-client state travels in a header of up to 64 KiB (DESIGN.md section 10)
      maxHeaderSize: MAX_HEADER_BYTES,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      // Node enforces both timeouts on this sweep (30 s by default, which would let a dribble outlive a short timeout)
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeoutMs / 4)))
    }, (req, res) => {
      const done = this.handle(req, res)
      this.inflight.add(done)
      void done.finally(() => this.inflight.delete(done))
    })
    server.maxConnections = this.init.maxConnections
    server.on('clientError', answerClientError)
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
    const traced = startRequestSpan(this.components.tracing, req, res, route?.name ?? 'unknown')
    try {
      // before routing: a stranger's page learns nothing, not even which routes exist
      if (!SAFE_METHODS.has(req.method ?? '')) this.guard(req)
      if (route == null) {
        throw candidates.length > 0
          ? new MethodNotAllowedError(`${req.method} is not allowed on ${path}; use ${candidates.map((r) => r.method).join(' or ')}`)
          : new RouteNotFoundError(`no route ${String(req.method).slice(0, 20)} ${path.slice(0, 200)}`)
      }
      // on the headers alone: a stranger's body is never read for a route it may not use
      this.auth(req, scopeOf(route))
      const signal = controller.signal
      await route.handle({
        req,
        res,
        params: route.pattern.exec(path)!.slice(1),
        signal,
        components: this.components,
        maxInputBytes: this.init.maxInputBytes,
        body: async (maxBytes) => readBody(req, maxBytes, { signal, idleTimeoutMs: this.init.bodyIdleTimeoutMs }),
        ...(traced != null ? { trace: traced.context } : {})
      })
    } catch (err: any) {
      await this.answerError(req, res, path, err)
    } finally {
      endRequestSpan(traced, res)
      this.requests?.inc({ route: route?.name ?? 'unknown', status: String(res.statusCode) })
    }
  }

  /**
   * `{ error: { name, message } }` with the status from the table. The client may still be
   * sending a body nobody read (a 413, a 403 before routing): read and discard it first, within
   * bounds, so the client reads this answer instead of failing its write; past the bounds, or for
   * a client too slow to wait for, answer and close.
   */
  private async answerError (req: IncomingMessage, res: ServerResponse, path: string, err: any): Promise<void> {
    const status = statusOf(err)
    if (status === 500) this.log.error('%s %s failed: %e', req.method, path, err)
    if (res.headersSent || !res.writable || req.socket.destroyed || !req.socket.writable) {
      // mid-answer, or answered already by the clientError listener: nothing more can be said
      res.destroy()
      return
    }
    const drained = status !== 408 && await discardBody(req, { maxBytes: this.init.discardMaxBytes, timeoutMs: this.init.discardTimeoutMs })
    if (res.destroyed || !req.socket.writable) return
    const headers: Record<string, string> = {}
    // an oversized or unread body ends the connection: the client is told not to reuse it
    if (!drained || status === 413) headers.connection = 'close'
    // RFC 6750: a 401 names the scheme the client should use
    if (status === 401) headers['www-authenticate'] = 'Bearer realm="faasmesh"'
    if (status === 405) headers.allow = ROUTES.filter((r) => r.pattern.test(path)).map((r) => r.method).join(', ')
    // a chain's failed step is named, with its own error's name (DESIGN.md section 11)
    const step = err?.name === 'ChainStepError' ? { step: String(err.step), cause: String(err.causeName) } : {}
    sendJson(res, status, { error: { name: String(err?.name ?? 'Error'), message: String(err?.message ?? err), ...step } }, headers)
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
