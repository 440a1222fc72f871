/**
 * The HTTP API of DESIGN.md section 6, as a table of routes. Handlers see only the store, the
 * invoker and the registry: the gateway never touches libp2p or the executor directly.
 */
import { InvalidParametersError, RouteNotFoundError, UnsupportedStateModelError } from '../errors.js'
import { newInvocationId, parseInvocationId } from '../invocations/index.js'
import { parseLinkState } from '../links/index.js'
import { parseReceiptQuery } from '../ledger/index.js'
import { checkStateKey, clientStateFromHeader, clientStateToHeader, STATE_MODELS, type StateModel } from '../state/index.js'
import { MAX_CHAIN_SPEC_BYTES } from '../chains/spec.js'
import type { StateSpec } from '../invoker/index.js'
import { DASHBOARD_PAGE, serveDashboardFile } from './dashboard.js'
import { chainCids, MAX_ROLLBACK_BODY_BYTES, rollbackTarget } from './lifecycle.js'
import { placementIdOf } from '../placement/index.js'
import type { GatewayComponents } from './index.js'
import type { TokenScope } from '../config/index.js'
import { timingHeaders } from './timing-headers.js'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Context } from '@opentelemetry/api'

export interface RouteContext {
  req: IncomingMessage
  res: ServerResponse
  params: string[]
  /** Aborted when the client goes away. */
  signal: AbortSignal
  components: GatewayComponents
  maxInputBytes: number
  /** Reads the request body, at most `maxBytes`, with the gateway's idle timeout and `signal`. */
  body(maxBytes: number): Promise<Uint8Array>
  /** The context of the request's span (tracing on): what the route does is its child. */
  trace?: Context
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** Matched against the path; capture groups become `params`. */
  pattern: RegExp
  /** Label for metrics. */
  name: string
  /**
   * What a gateway token must allow to use it beyond loopback (auth.ts): 'open' for none. Left
   * out, a GET is open and anything else needs admin.
   */
  scope?: TokenScope | 'open'
  handle(ctx: RouteContext): Promise<void>
}

export function sendJson (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}

function headerInt (req: IncomingMessage, name: string): number | undefined {
  const value = req.headers[name]
  if (value == null) return undefined
  const text = Array.isArray(value) ? value[0] ?? '' : value
  if (!/^\d{1,9}$/.test(text.trim())) throw new InvalidParametersError(`${name} must be a positive integer, got "${text.slice(0, 40)}"`)
  return Number(text)
}

/** A path segment, percent-decoded; malformed escapes are the caller's error, not a 500. */
function segment (params: string[], index: number): string {
  try {
    return decodeURIComponent(params[index] ?? '')
  } catch {
    throw new InvalidParametersError(`malformed percent-encoding in "${(params[index] ?? '').slice(0, 80)}"`)
  }
}

function queryParam (req: IncomingMessage, name: string): string | null {
  return new URL(req.url ?? '/', 'http://gateway').searchParams.get(name)
}

function headerString (req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

function ledgerOf (components: GatewayComponents): NonNullable<GatewayComponents['ledger']> {
  if (components.ledger == null) throw new RouteNotFoundError('this node keeps no ledger')
  return components.ledger
}

function stateLayer (components: GatewayComponents): NonNullable<GatewayComponents['state']> {
  if (components.state == null) throw new UnsupportedStateModelError('this node keeps no state')
  return components.state
}

function modelOf (components: GatewayComponents, text: string | null | undefined): StateModel {
  const state = stateLayer(components)
  if (text == null || text === '') return state.defaultModel
  if (!(STATE_MODELS as readonly string[]).includes(text)) {
    throw new UnsupportedStateModelError(`unknown state model "${text.slice(0, 40)}"; use one of ${STATE_MODELS.join(', ')}`)
  }
  return text as StateModel
}

/** The state an invocation asks for through its headers (DESIGN.md section 10), checked before anything runs. */
function stateOf (req: IncomingMessage, components: GatewayComponents): StateSpec | undefined {
  const key = headerString(req, 'x-faasmesh-state-key')
  const model = headerString(req, 'x-faasmesh-state-model')
  const carried = headerString(req, 'x-faasmesh-state')
  if (key == null) {
    if (model != null || carried != null) throw new InvalidParametersError('x-faasmesh-state-model and x-faasmesh-state need x-faasmesh-state-key')
    return undefined
  }
  const spec: StateSpec = { key: checkStateKey(key), model: modelOf(components, model) }
  // the mesh shares one configuration in practice: a model this entry node lacks is refused here
  // rather than carried from node to node
  if (!stateLayer(components).offers(spec.model)) throw new UnsupportedStateModelError(`this node offers no ${spec.model} state${spec.model === 'external' ? ' (state.externalUrl is not set)' : ''}`)
  if (carried != null) {
    if (spec.model !== 'in-client') throw new InvalidParametersError(`x-faasmesh-state is the in-client model's; this call's model is ${spec.model}`)
    spec.clientState = clientStateFromHeader(carried)
  }
  return spec
}

/** The state key and model a state route names: `/v1/state/:stateKey?model=M`, a model the mesh keeps. */
function keptState (req: IncomingMessage, params: string[], components: GatewayComponents): { key: string, model: StateModel } {
  const key = checkStateKey(segment(params, 0))
  const model = modelOf(components, queryParam(req, 'model'))
  if (model === 'in-client') throw new InvalidParametersError('in-client state is kept by its client, not by the mesh')
  return { key, model }
}

/** The headers of a stateful invocation's answer. */
function stateHeaders (state: NonNullable<Awaited<ReturnType<GatewayComponents['invoker']['invoke']>>['state']>): Record<string, string> {
  return {
    'x-faasmesh-state-model': state.model,
    'x-faasmesh-state-version': String(state.version),
    'x-faasmesh-state-bytes': String(state.bytes),
    ...(state.clientState != null ? { 'x-faasmesh-state': clientStateToHeader(state.clientState) } : {})
  }
}

/** `x-faasmesh-locality: on|off` (chains): absent, the chain's default (on). */
function localityOf (req: IncomingMessage): boolean | undefined {
  const text = headerString(req, 'x-faasmesh-locality')
  if (text == null) return undefined
  if (text === 'on') return true
  if (text === 'off') return false
  throw new InvalidParametersError(`x-faasmesh-locality must be "on" or "off", got "${text.slice(0, 40)}"`)
}

/**
 * How many connected peers hold the record of a binding just made here: the answer waits for
 * the hand-over (bounded by the resolver's announce timeout), so that a 201 means the mesh can
 * find the name (docs/http-api.md).
 */
async function announced (components: GatewayComponents, binding: { name: string, cid: string }, signal: AbortSignal): Promise<{ peers: number }> {
  return await components.announcements?.announced(binding.name, binding.cid, { signal }) ?? { peers: 0 }
}

function chainStore (components: GatewayComponents): NonNullable<GatewayComponents['chains']> {
  if (components.chains == null) throw new RouteNotFoundError('this node keeps no chains')
  return components.chains
}

function testbedLinks (components: GatewayComponents): NonNullable<GatewayComponents['links']> {
  if (components.links == null) throw new RouteNotFoundError('testbed control is off on this node (set testbed.control to use /v1/testbed/links)')
  return components.links
}

export const ROUTES: readonly Route[] = [
  {
    method: 'GET',
    pattern: /^\/$/,
    name: 'dashboard',
    scope: 'open',
    async handle ({ req, res }) {
      await serveDashboardFile(req, res, DASHBOARD_PAGE)
    }
  },
  {
    method: 'GET',
    // a fixed list of names (dashboard.ts): anything else is 404, never a path on disk
    pattern: /^\/dashboard\/([^/]+)$/,
    name: 'dashboard-file',
    scope: 'open',
    async handle ({ req, res, params }) {
      await serveDashboardFile(req, res, segment(params, 0))
    }
  },
  {
    method: 'GET',
    pattern: /^\/v1\/node$/,
    name: 'node',
    scope: 'open',
    async handle ({ res, components }) {
      sendJson(res, 200, { peerId: components.peerId.toString(), version: components.version, addrs: components.addrs(), ...components.node?.() })
    }
  },
  {
    method: 'GET',
    pattern: /^\/v1\/stats\/(series|functions)$/,
    name: 'stats',
    scope: 'open',
    async handle ({ res, params, components }) {
      const stats = components.stats
      if (stats == null) throw new RouteNotFoundError('this node keeps no invocation stats')
      sendJson(res, 200, params[0] === 'series' ? { intervalMs: 1000, points: stats.series() } : { functions: stats.functions() })
    }
  },
  {
    method: 'GET',
    pattern: /^\/v1\/health$/,
    name: 'health',
    scope: 'open',
    async handle ({ res, components }) {
      sendJson(res, 200, { ok: true, peerId: components.peerId.toString(), version: components.version, addrs: components.addrs(), trust: { mode: components.trust?.mode ?? 'open' } })
    }
  },
  {
    method: 'GET',
    pattern: /^\/v1\/functions$/,
    name: 'functions',
    scope: 'open',
    async handle ({ res, components }) {
      const functions = (await components.store.list()).map((f) => ({ ...f, warm: components.isWarm(f.cid) }))
      sendJson(res, 200, { functions })
    }
  },
  {
    method: 'POST',
    pattern: /^\/v1\/functions\/([^/]+)$/,
    name: 'deploy',
    scope: 'deploy',
    async handle ({ res, params, signal, components, body }) {
      const bytes = await body(components.store.maxModuleBytes)
      const deployed = await components.store.deploy(segment(params, 0), bytes, { signal })
      sendJson(res, 201, { ...deployed, announced: await announced(components, deployed, signal) })
    }
  },
  {
    method: 'DELETE',
    pattern: /^\/v1\/functions\/([^/]+)$/,
    name: 'function-delete',
    scope: 'deploy',
    async handle ({ res, params, signal, components }) {
      // a chain that calls a version by CID keeps its module (by name, it fails once the name is gone)
      const keep = chainCids(await components.chains?.list())
      sendJson(res, 200, await components.store.remove(segment(params, 0), { signal, keep }))
    }
  },
  {
    method: 'GET',
    pattern: /^\/v1\/functions\/([^/]+)\/versions$/,
    name: 'function-versions',
    scope: 'open',
    async handle ({ res, params, components }) {
      const name = segment(params, 0)
      sendJson(res, 200, { name, versions: components.store.versions(name) })
    }
  },
  {
    method: 'POST',
    pattern: /^\/v1\/functions\/([^/]+)\/rollback$/,
    name: 'function-rollback',
    scope: 'deploy',
    async handle ({ res, params, signal, components, body }) {
      const to = rollbackTarget(await body(MAX_ROLLBACK_BODY_BYTES))
      const rolled = await components.store.rollback(segment(params, 0), to, { signal })
      sendJson(res, 200, { ...rolled, announced: await announced(components, rolled, signal) })
    }
  },
  {
    method: 'GET',
    pattern: /^\/v1\/chains$/,
    name: 'chains',
    scope: 'open',
    async handle ({ res, components }) {
      sendJson(res, 200, { chains: await chainStore(components).list() })
    }
  },
  {
    method: 'POST',
    pattern: /^\/v1\/chains\/([^/]+)$/,
    name: 'chain-deploy',
    scope: 'deploy',
    async handle ({ res, params, signal, components, body }) {
      const chains = chainStore(components)
      const bytes = await body(MAX_CHAIN_SPEC_BYTES)
      const deployed = await chains.deploy(segment(params, 0), bytes, { signal })
      sendJson(res, 201, { ...deployed, announced: await announced(components, deployed, signal) })
    }
  },
  {
    method: 'POST',
    // `/v1/invoke/<name|cid>` or `/v1/invoke/<publisher>/<name>`
    pattern: /^\/v1\/invoke\/([^/]+)(?:\/([^/]+))?$/,
    name: 'invoke',
    scope: 'invoke',
    async handle ({ req, res, params, signal, components, maxInputBytes, body, trace }) {
      const policy = headerString(req, 'x-faasmesh-policy')
      const deadlineMs = headerInt(req, 'x-faasmesh-deadline-ms')
      const chosen = headerString(req, 'x-faasmesh-invocation-id')
      const invocationId = chosen == null ? newInvocationId() : parseInvocationId(chosen)
      // every answer carries the id, errors too: a client that lost one retries with it
      res.setHeader('x-faasmesh-invocation-id', invocationId)
      const state = stateOf(req, components)
      const locality = localityOf(req)
      const input = await body(maxInputBytes)
      const target = params[1] != null ? `${segment(params, 0)}/${segment(params, 1)}` : segment(params, 0)
      const result = await components.invoker.invoke(target, input, { policy, deadlineMs, invocationId, signal, ...(state != null ? { state } : {}), ...(locality != null ? { locality } : {}), ...(trace != null ? { trace } : {}) })
        .catch((err) => {
          // a failed call names its placement record too: its error and logs are there
          const placementId = placementIdOf(err)
          if (placementId != null) res.setHeader('x-faasmesh-placement-id', placementId)
          throw err
        })
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': result.output.byteLength,
        'x-faasmesh-cid': result.cid,
        'x-faasmesh-executor': result.executor,
        'x-faasmesh-policy': result.policy,
        'x-faasmesh-duration-ms': result.durationMs.toFixed(3),
        'x-faasmesh-placement-ms': result.placementMs.toFixed(3),
        'x-faasmesh-cold': String(result.cold),
        'x-faasmesh-fetched': String(result.fetched),
        'x-faasmesh-fuel': String(result.fuelUsed),
        'x-faasmesh-bids': `${result.bids.received}/${result.bids.asked}`,
        'x-faasmesh-placement-id': result.placementId,
        ...timingHeaders(result.timings, result.totalMs),
        ...(result.state != null ? stateHeaders(result.state) : {}),
        ...(result.chain != null ? { 'x-faasmesh-chain-steps': String(result.chain.steps), 'x-faasmesh-bytes-moved': String(result.chain.bytesMoved) } : {})
      })
      res.end(result.output)
    }
  },
  {
    method: 'GET',
    pattern: /^\/v1\/state\/([^/]+)$/,
    name: 'state',
    scope: 'open',
    async handle ({ req, res, params, signal, components }) {
      const { key, model } = keptState(req, params, components)
      const view = await stateLayer(components).view(model, key, { signal })
      if (view == null) throw new RouteNotFoundError(`state key "${key}" has no ${model} state`)
      const entries: Record<string, string> = {}
      for (const [name, value] of view.entries) entries[name] = Buffer.from(value).toString('base64')
      sendJson(res, 200, { model, version: view.version, ...(view.home != null ? { home: view.home } : {}), entries })
    }
  },
  {
    method: 'DELETE',
    pattern: /^\/v1\/state\/([^/]+)$/,
    name: 'state-delete',
    scope: 'invoke',
    async handle ({ req, res, params, signal, components }) {
      const { key, model } = keptState(req, params, components)
      const removed = await stateLayer(components).remove(model, key, { signal })
      if (!removed) throw new RouteNotFoundError(`state key "${key}" has no ${model} state`)
      sendJson(res, 200, { model, key, removed })
    }
  },
  {
    method: 'GET',
    pattern: /^\/v1\/peers$/,
    name: 'peers',
    scope: 'open',
    async handle ({ res, components }) {
      const peers = components.peers().sort((a, b) => a.peerId.localeCompare(b.peerId))
      sendJson(res, 200, { peers })
    }
  },
  {
    method: 'GET',
    pattern: /^\/v1\/bans$/,
    name: 'bans',
    scope: 'open',
    async handle ({ res, components }) {
      // peers disconnected and refused for being far over their limits (daemon/src/fairness)
      sendJson(res, 200, { bans: components.bans?.() ?? [] })
    }
  },
  {
    method: 'GET',
    pattern: /^\/v1\/placements$/,
    name: 'placements',
    scope: 'open',
    async handle ({ res, components }) {
      sendJson(res, 200, { placements: components.placements.recent(), reputations: components.placements.reputations() })
    }
  },
  {
    method: 'GET',
    pattern: /^\/v1\/placements\/([0-9a-f]{1,32})$/,
    name: 'placement',
    scope: 'open',
    async handle ({ res, params, components }) {
      const record = components.placements.get(segment(params, 0))
      if (record == null) throw new RouteNotFoundError(`no recent placement ${segment(params, 0)}; this node keeps its latest 128`)
      sendJson(res, 200, record)
    }
  },
  {
    method: 'GET',
    pattern: /^\/v1\/receipts$/,
    name: 'receipts',
    async handle ({ req, res, components }) {
      const query = parseReceiptQuery(new URL(req.url ?? '/', 'http://gateway').searchParams)
      sendJson(res, 200, { self: components.peerId.toString(), receipts: await ledgerOf(components).receipts(query) })
    }
  },
  {
    method: 'GET',
    pattern: /^\/v1\/ledger$/,
    name: 'ledger',
    async handle ({ res, components }) {
      sendJson(res, 200, { self: components.peerId.toString(), peers: ledgerOf(components).peers() })
    }
  },
  {
    method: 'GET',
    pattern: /^\/v1\/testbed\/links$/,
    name: 'testbed-links',
    scope: 'open',
    async handle ({ res, components }) {
      sendJson(res, 200, testbedLinks(components).state())
    }
  },
  {
    method: 'PUT',
    pattern: /^\/v1\/testbed\/links$/,
    name: 'testbed-links-set',
    scope: 'admin',
    async handle ({ res, components, body }) {
      const links = testbedLinks(components)
      const text = await body(1 << 20)
      let json: unknown
      try {
        json = JSON.parse(new TextDecoder().decode(text))
      } catch {
        throw new InvalidParametersError('testbed links: the body is not JSON')
      }
      await links.set(parseLinkState(json))
      sendJson(res, 200, links.state())
    }
  },
  {
    method: 'GET',
    pattern: /^\/metrics$/,
    name: 'metrics',
    scope: 'open',
    async handle ({ res, components }) {
      const text = await components.registry.metrics()
      res.writeHead(200, { 'content-type': components.registry.contentType, 'content-length': Buffer.byteLength(text) })
      res.end(text)
    }
  }
]
