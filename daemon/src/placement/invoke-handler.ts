import { createHash } from 'node:crypto'
import { CID } from 'multiformats/cid'
import { InvokeResponse, InvokeState, type InvokeHandler, type InvokeRequest } from '../../../protocols/src/invoke/index.js'
import { DeadlineExceededError, NoCapacityError } from '../errors.js'
import { DEFAULT_ORPHAN_GRACE_MS, fingerprintOf, INVOCATION_ID_PATTERN, newInvocationId, type InvocationTable } from '../invocations/index.js'
import { checkStateKey, type StateCall } from '../state/index.js'
import { statusOf } from './invoke-status.js'
import { logsOf } from '../executor/index.js'
import { modelFromWire } from './state-wire.js'
import { timingsToWire } from './timings.js'
import { isChainCid, STEP_ID_PATTERN } from '../chains/spec.js'
import type { LocalRun, LocalRunner, LocalRunOptions } from './local-runner.js'
import type { StepInput } from '../chains/data.js'
import type { PlacementMetrics } from './metrics.js'
import type { Reservations } from './reservations.js'
import type { UnreservedFetches } from './unreserved-fetches.js'
import type { ReceiptDesk } from '../ledger/index.js'
import type { FetchTimings, Resolved } from '../resolver/index.js'
import type { Logger, PeerId } from '@libp2p/interface'

export interface InvokeHandlerComponents {
  runner: LocalRunner
  reservations: Reservations
  /** The ids this node ran or runs: a repeat joins the run or gets its outcome. */
  invocations: Pick<InvocationTable<LocalRun>, 'run' | 'has'>
  /** True once the node is draining: nothing new is taken. */
  stopping(): boolean
  /**
   * True when this node has room for one more invocation without a reservation; `home`: for one
   * whose state key lives here (it can run nowhere else, so it may queue beyond the usual room,
   * within a bound).
   */
  hasRoom(home?: boolean): boolean
  /** True when the store holds the function's code. */
  hasCode(cid: string): boolean
  /**
   * Publisher trust: false for code this node will not run, given the name record the request
   * carries (empty: none); answered UNTRUSTED before anything is fetched. Without it, all code is trusted.
   */
  vouch?(cid: string, nameRecord: Uint8Array): Promise<boolean>
  /** Gets code for an invocation without a reservation, before it is admitted. */
  fetches: Pick<UnreservedFetches, 'fetch'>
  metrics?: Pick<PlacementMetrics, 'unreservedFetches'>
  /** Signs a receipt for each answer of a function that ran (and keeps it in the ledger). */
  receipts?: Pick<ReceiptDesk, 'sign'>
  /**
   * Per remote peer cap (daemon/src/fairness): invocations a peer may have running or queued
   * here; beyond it REFUSED, and `limited` is told. Without it, no cap per peer.
   */
  perPeer?: PerPeerInvocations
  log: Logger
}

export interface PerPeerInvocations {
  invocations: { acquire(peer: string, force?: boolean): (() => void) | undefined }
  limited(peer: string, protocol: string): void
}

/**
 * Serves `/faasmesh/invoke/1.0.0`: runs an invocation placed here by a peer, at most once per
 * invocation id (a repeat, e.g. the auctioneer's retry after a lost answer, joins the run or
 * gets the recorded outcome). A call that claims a reservation this node granted that peer for
 * that function is always admitted; one without (a policy that does not ask for bids, a
 * reservation that lapsed) is admitted while there is room, else REFUSED so the auctioneer
 * moves on. Its code, when absent, is fetched before it is admitted: an invocation nobody won a
 * bid for holds no slot while the resolver looks for a CID that may exist nowhere. A draining
 * node answers STOPPING to anything new.
 */
export function invokeHandler (components: InvokeHandlerComponents): InvokeHandler {
  return async (request: InvokeRequest, { peer, signal }) => {
    let cid: string
    try {
      cid = CID.decode(request.cid).toString()
    } catch {
      return failure(InvokeResponse.Status.NOT_FOUND, 'the request carries no valid CID')
    }
    // a chain runs on the node its client asked, step by step: a peer that sends one here would
    // only make this node fetch and store specs it cannot run
    if (isChainCid(cid)) return failure(InvokeResponse.Status.NOT_FOUND, 'a chain is not an invocation: its entry node runs it step by step')
    if (components.vouch != null && !(await components.vouch(cid, request.nameRecord))) {
      return failure(InvokeResponse.Status.UNTRUSTED, 'this node runs only code it deployed or that a publisher it trusts named')
    }
    const id = request.invocationId
    if (id !== '' && !INVOCATION_ID_PATTERN.test(id)) return failure(InvokeResponse.Status.ERROR, 'the invocation id is not 1-64 characters of [A-Za-z0-9._:-]')
    // a repeat of a run in progress is answered even now: refusing it would lose its outcome
    if (components.stopping() && (id === '' || !components.invocations.has(id))) return failure(InvokeResponse.Status.STOPPING, 'the node is stopping')
    const runId = id !== '' ? id : newInvocationId()
    let state: StateCall | undefined
    if (request.state != null && request.state.model !== InvokeState.Model.NONE) {
      const model = modelFromWire(request.state.model)
      if (model == null) return failure(InvokeResponse.Status.STATE_UNSUPPORTED, `this node does not know state model ${request.state.model}`)
      try {
        checkStateKey(request.state.key)
      } catch (err: any) {
        return failure(InvokeResponse.Status.STATE_KEY_INVALID, err.message)
      }
      state = { model, key: request.state.key, invocationId: runId, clientState: request.state.clientState }
    }
    const inputs = request.inputs.map((i) => ({ peer: i.peer, ref: i.ref, step: i.step, bytes: i.bytes }))
    const badInput = inputs.find((i) => !INVOCATION_ID_PATTERN.test(i.ref) || !STEP_ID_PATTERN.test(i.step) || i.peer.length === 0 || i.peer.length > 128)
    if (badInput != null) return failure(InvokeResponse.Status.INPUT_INVALID, 'a chain input reference is malformed (ref, step id or peer)')
    // a kept output is found by its invocation id: without one there is nothing to find it by
    const keepAs = request.keepOutput && id !== '' ? id : undefined
    try {
      // every run goes through the table, so that stopping the node reaches them all; a request
      // without an id (an older peer's) gets one of its own, which nothing repeats
      const run = await components.invocations.run(runId, fingerprintOf(stateTarget(cid, state), inputs.length > 0 ? inputsFingerprint(inputs) : request.input), async (runSignal) => execute(components, request, cid, peer, state, { inputs, keepAs }, runSignal), {
        signal,
        // a lost channel is not a cancellation: the auctioneer's retry on a fresh one may join
        graceMs: (reason) => id !== '' && (reason as Error | undefined)?.name === 'RpcChannelClosedError' ? DEFAULT_ORPHAN_GRACE_MS : 0
      })
      // an output above the protocol's cap is answered TOO_LARGE by the invoke service itself
      return await sealed(components, request, peer, {
        status: InvokeResponse.Status.OK,
        // a kept output stays here for the next steps: its caller gets its size
        output: (keepAs != null ? new Uint8Array(0) : run.output) as Uint8Array<ArrayBuffer>,
        outputBytes: keepAs != null ? run.output.byteLength : 0,
        inputBytesMoved: run.inputBytesMoved ?? 0,
        durationUs: Math.round(run.durationMs * 1000),
        fuel: run.fuelUsed,
        cold: run.cold,
        fetched: run.fetched,
        message: '',
        stateVersion: run.state?.version ?? 0,
        stateBytes: run.state?.bytes ?? 0,
        clientState: (run.state?.clientState ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>,
        timings: timingsToWire(run.timings),
        logs: run.logs ?? []
      }, run.output)
    } catch (err: any) {
      const status = statusOf(err)
      if (status === InvokeResponse.Status.ERROR) components.log('invocation of %s for %p failed: %s', cid, peer, err?.message ?? err)
      // what a failed function logged goes back with its error
      return await sealed(components, request, peer, { ...failure(status, String(err?.message ?? err).slice(0, 500)), logs: logsOf(err) ?? [] }, new Uint8Array(0))
    }
  }
}

/** Admits and runs one invocation; throws the named error of what stopped it. */
async function execute (components: InvokeHandlerComponents, request: InvokeRequest, cid: string, peer: PeerId, state: StateCall | undefined, chain: Pick<LocalRunOptions, 'inputs' | 'keepAs'>, signal: AbortSignal): Promise<LocalRun> {
  const claimed = request.reservation.byteLength > 0 && components.reservations.claim(request.reservation, peer.toString(), cid)
  // an in-function call is sent to its key's home and can run nowhere else: it queues here
  // rather than be refused for want of the usual room
  const home = state?.model === 'in-function'
  if (!claimed && !components.hasRoom(home)) throw new NoCapacityError('no free slot and no reservation')
  // an in-function call queues at its key's home by design (the key lock runs them one by one),
  // so entry nodes forwarding a burst of them are counted but never refused their share
  const release = takeShare(components, peer, claimed || home)
  const deadline = request.deadlineMs > 0 ? AbortSignal.timeout(request.deadlineMs) : undefined
  const runSignal = deadline == null ? signal : AbortSignal.any([signal, deadline])
  try {
    let fetch: FetchTimings | undefined
    if (!claimed && !components.hasCode(cid)) {
      fetch = await fetchFirst(components, peer.toString(), cid, runSignal)
      if (!components.hasRoom(home)) throw new NoCapacityError('no free slot once the code was here, and no reservation')
    }
    const run = await components.runner.run(cid, request.input, { signal: runSignal, state, ...chain, source: peer.toString() })
    // fetched before it was admitted: the run itself found the code here
    return fetch == null ? run : { ...run, timings: { ...run.timings, ...fetch } }
  } catch (err: any) {
    if (deadline?.aborted === true && !signal.aborted) throw new DeadlineExceededError(`not done within ${request.deadlineMs} ms`)
    throw err
  } finally {
    release?.()
  }
}

/**
 * Counts an invocation against `peer`'s share of this node (`perPeer`) and returns its release.
 * One without a reservation is REFUSED beyond the share; one that claimed a reservation is
 * admitted (reservations per peer are capped where they are granted: reservation-caps.ts) and
 * counted, as is an in-function call at its home (`admitted`).
 */
function takeShare (components: InvokeHandlerComponents, peer: PeerId, admitted: boolean): (() => void) | undefined {
  if (components.perPeer == null) return undefined
  const release = components.perPeer.invocations.acquire(peer.toString(), admitted)
  if (release != null) return release
  components.perPeer.limited(peer.toString(), 'invocations')
  throw new NoCapacityError('this peer already has its share of invocations running or queued here')
}

/** Gets the code before admission; resolves with the fetch's phases when it fetched. */
async function fetchFirst (components: InvokeHandlerComponents, peer: string, cid: string, signal: AbortSignal): Promise<FetchTimings | undefined> {
  try {
    const resolved = await components.fetches.fetch(peer, cid, { signal }) as Partial<Resolved> | undefined
    components.metrics?.unreservedFetches.inc({ outcome: 'fetched' })
    return resolved?.timings
  } catch (err: any) {
    components.metrics?.unreservedFetches.inc({ outcome: err?.name === 'NoCapacityError' ? 'refused' : 'failed' })
    throw err
  }
}

/**
 * The answer with this node's signed receipt (DESIGN.md section 12) when the function ran: for
 * a kept chain output, its digest is of the bytes kept here. Signing never costs the answer.
 */
async function sealed (components: InvokeHandlerComponents, request: InvokeRequest, peer: PeerId, response: InvokeResponse, output: Uint8Array): Promise<InvokeResponse> {
  if (components.receipts == null) return response
  try {
    const receipt = await components.receipts.sign(request, peer, response, output)
    if (receipt != null) response.receipt = receipt
  } catch (err: any) {
    components.log.error('could not sign the receipt of %s for %p: %s', request.invocationId, peer, err?.message ?? err)
  }
  return response
}

function failure (status: InvokeResponse.Status, message: string): InvokeResponse {
  return { status, output: new Uint8Array(0), durationUs: 0, fuel: 0, cold: false, fetched: false, message, stateVersion: 0, stateBytes: 0, clientState: new Uint8Array(0), outputBytes: 0, inputBytesMoved: 0, logs: [] }
}

/** What a chain step's input is, for the invocation table: where its parts are. */
export function inputsFingerprint (inputs: StepInput[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(inputs.map((i) => [i.peer, i.ref, i.step])))
}

/**
 * What an id is bound to: the function, and the state key and model it runs on (in-client: and
 * the state the client sent, so an id sent again with another state is a conflict, never the
 * old answer).
 */
export function stateTarget (cid: string, state: { model: string, key: string, clientState?: Uint8Array } | undefined): string {
  if (state == null) return cid
  const carried = state.clientState != null && state.clientState.byteLength > 0 ? `\0${createHash('sha256').update(state.clientState).digest('base64url')}` : ''
  return `${cid}\0${state.model}\0${state.key}${carried}`
}
