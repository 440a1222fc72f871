/**
 * Refuses cross-site requests to mutating routes (issue 11). Without it, any web page the local
 * user visits can deploy, overwrite and invoke functions: a `text/plain` form POST needs no CORS
 * preflight, and DNS rebinding (a name of the attacker's that resolves to 127.0.0.1) even makes
 * the request same-origin in the browser's eyes. Three checks, all on headers a page cannot forge:
 *
 * - `Host` must be a name this gateway answers to: an IP literal, `localhost`, the listen host,
 *   or one of `allowedHosts`. This is what stops DNS rebinding, whose `Host` is the attacker's
 *   name. Any IP literal passes: a browser sends one only for a URL naming that address, so no
 *   page can point it at us by DNS; allowing all of them keeps port forwards (Docker's
 *   `127.0.0.1:18787 -> 8787`) and every interface of a gateway bound to `0.0.0.0` working.
 * - `Origin`, when present, must be this very origin (`http(s)://` + the request's `Host`).
 *   `Origin: null` (a sandboxed frame, a `file:` page, some redirects) is refused: it can be anyone.
 *   No `Origin` passes: browsers always send one on a cross-origin POST, so a request without one
 *   comes from curl, the CLI or a script, which are not confused deputies.
 * - `Sec-Fetch-Site`, when present, must be `same-origin` or `none` (typed by the user).
 *   `same-site` is refused: a page on another port of the same host is same-site.
 */
import { isIP } from 'node:net'
import { ForbiddenError } from '../errors.js'
import type { IncomingMessage } from 'node:http'

export interface CrossSiteInit {
  /** The host the gateway listens on; a name there (not a wildcard) is accepted in `Host`. */
  listenHost: string
  /** More names the gateway answers to: `name` (any port) or `name:port`. */
  allowedHosts: readonly string[]
}

/** Throws ForbiddenError when a request may come from another site's page. */
export type CrossSiteGuard = (req: Pick<IncomingMessage, 'headers'>) => void

interface HostPort { name: string, port?: string }

/** What a `Host` header, or an entry of `allowedHosts`, names; lower case, without a trailing dot. */
export function parseHost (value: string): HostPort | undefined {
  const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]\s/@]+))(?::(\d{1,5}))?$/.exec(value.trim().toLowerCase())
  if (match == null) return undefined
  return { name: (match[1] ?? match[2]!).replace(/\.$/, ''), port: match[3] }
}

const FETCH_SITES_ALLOWED = new Set(['same-origin', 'none'])

/** At most this much of a header goes into an error message. */
const SHOWN_CHARS = 100

export function crossSiteGuard (init: CrossSiteInit): CrossSiteGuard {
  const allowed = init.allowedHosts.map(parseHost).filter((h): h is HostPort => h != null)
  const listen = parseHost(init.listenHost.includes(':') ? `[${init.listenHost}]` : init.listenHost)
  if (listen != null && isIP(listen.name) === 0) allowed.push({ name: listen.name })

  const hostAllowed = ({ name, port }: HostPort): boolean =>
    isIP(name) !== 0 || name === 'localhost' || allowed.some((a) => a.name === name && (a.port == null || a.port === port))

  return (req) => {
    const site = header(req, 'sec-fetch-site')
    if (site != null && !FETCH_SITES_ALLOWED.has(site.toLowerCase())) {
      throw new ForbiddenError(`cross-site request refused: Sec-Fetch-Site is ${show(site)}; this route accepts only same-origin requests`)
    }
    const host = header(req, 'host') ?? ''
    const parsed = parseHost(host)
    if (parsed == null || !hostAllowed(parsed)) {
      throw new ForbiddenError(`request refused: Host ${show(host)} is not a name this gateway answers to (use its IP address or localhost, or add the name to api.allowedHosts)`)
    }
    const origin = header(req, 'origin')
    if (origin != null && !sameOrigin(origin, host)) {
      throw new ForbiddenError(`cross-site request refused: Origin ${show(origin)} is not this gateway (http://${host})`)
    }
  }
}

/** `Origin` names the scheme, host and port of the request's own `Host` (default ports left out by both). */
function sameOrigin (origin: string, host: string): boolean {
  try {
    const from = new URL(origin)
    return (from.protocol === 'http:' || from.protocol === 'https:') && from.host === new URL(`http://${host}`).host
  } catch {
    // `null`, or anything else that is not an origin
    return false
  }
}

function header (req: Pick<IncomingMessage, 'headers'>, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

function show (value: string): string {
  return JSON.stringify(value.length > SHOWN_CHARS ? `${value.slice(0, SHOWN_CHARS)}...` : value)
}
