/**
 * Gateway tokens at the door (DESIGN.md section 12). Each route has a scope: `deploy` for
 * deploying functions and chains, `invoke` for running them and for calls that change state,
 * `admin` for testbed control and node settings; read-only GET routes, `/v1/health`, `/metrics`
 * and the dashboard page have none and stay open. A route added without a scope is open when it
 * is a GET and needs `admin` otherwise, so a new mutating route is closed until someone decides.
 *
 * On loopback nothing is asked: whoever reaches 127.0.0.1 is a person (or program) on this
 * machine. Beyond loopback, a route whose scope is in `api.requireTokenFor` needs
 * `Authorization: Bearer <token>` with that scope or a wider one (admin > deploy > invoke):
 * none, malformed, unknown or revoked is UnauthorizedError (401), too narrow ForbiddenError (403).
 * The check runs on the headers alone, before any body is read. With `api.insecure` and no token
 * in the store, nothing is asked (the daemon warns); the first token created closes the routes.
 */
import { scopeCovers, type TokenStore } from '../auth/index.js'
import { ForbiddenError, NoGatewayTokenError, UnauthorizedError } from '../errors.js'
import { isLoopbackHost } from './exposure.js'
import type { Route } from './routes.js'
import type { TokenScope } from '../config/index.js'
import type { IncomingMessage } from 'node:http'

/** What the gateway needs of the token store. */
export type TokenVerifier = Pick<TokenStore, 'verify' | 'count' | 'dataDir'>

export interface GatewayAuthInit {
  /** The host the gateway listens on. */
  listenHost: string
  /** Scopes that need a token beyond loopback. */
  requireTokenFor: readonly TokenScope[]
  /** `api.insecure`: while the store holds no token, nothing needs one. */
  insecure: boolean
}

/** Throws UnauthorizedError or ForbiddenError when the request may not use a route of that scope. */
export type GatewayAuth = (req: Pick<IncomingMessage, 'headers'>, scope: TokenScope | undefined) => void

/** An `Authorization` value longer than this is no token of ours: refused unread. */
const MAX_AUTHORIZATION_CHARS = 256

/** The scope a route needs: its own, else none for a GET and admin for anything else. */
export function scopeOf (route: Pick<Route, 'method' | 'scope'>): TokenScope | undefined {
  if (route.scope != null) return route.scope === 'open' ? undefined : route.scope
  return route.method === 'GET' ? undefined : 'admin'
}

export function gatewayAuth (init: GatewayAuthInit, tokens: TokenVerifier | undefined): GatewayAuth {
  if (isLoopbackHost(init.listenHost)) return () => {}
  const required = new Set(init.requireTokenFor)
  return (req, scope) => {
    if (scope == null || !required.has(scope)) return
    // started open on purpose: open until the first token is created, then closed at once
    if (init.insecure && (tokens?.count() ?? 0) === 0) return
    const header = req.headers.authorization
    if (header == null || header === '') {
      throw new UnauthorizedError(`this route needs a gateway token with scope ${scope}: send Authorization: Bearer <token> (create one on the node with: faasmesh token create --scope ${scope})`)
    }
    const match = header.length <= MAX_AUTHORIZATION_CHARS ? /^Bearer +(\S+) *$/i.exec(header) : null
    const token = match == null ? undefined : tokens?.verify(match[1]!)
    if (token == null) {
      throw new UnauthorizedError(match == null
        ? 'the Authorization header is not "Bearer <token>"'
        : 'the gateway token is not valid on this node (unknown, revoked or mistyped)')
    }
    if (!scopeCovers(token.scope, scope)) {
      throw new ForbiddenError(`token ${token.id}${token.name !== '' ? ` (${token.name})` : ''} has scope ${token.scope}; this route needs ${scope} or admin`)
    }
  }
}

export interface ExposureCheck {
  host: string
  port: number
  /** `api.insecure`: start beyond loopback with no token. */
  insecure: boolean
  tokens: TokenVerifier | undefined
}

/**
 * A gateway beyond loopback with no token would be open to whoever reaches it: it refuses to
 * start unless that is asked for (`api.insecure`). The message is the command that fixes it.
 */
export function refuseOpenExposure ({ host, port, insecure, tokens }: ExposureCheck): void {
  if (isLoopbackHost(host) || insecure) return
  if ((tokens?.count() ?? 0) > 0) return
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`
  const dataDir = tokens?.dataDir
  const create = `faasmesh token create --scope admin${dataDir != null ? ` --data-dir ${shellWord(dataDir)}` : ''}`
  throw new NoGatewayTokenError(`the HTTP gateway would listen on ${where}, beyond loopback, and this node has no gateway token: create one with \`${create}\` and start again (or bind 127.0.0.1, or set api.insecure to leave its routes open to anyone who reaches the port)`)
}

/** A path as one shell word: quoted only when it has to be. */
function shellWord (text: string): string {
  return /^[A-Za-z0-9_./:@%+=-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`
}
