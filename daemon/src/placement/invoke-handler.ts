import { CID } from 'multiformats/cid'
import { InvokeResponse, type InvokeHandler, type InvokeRequest } from '../../../protocols/src/invoke/index.js'
import { DeadlineExceededError } from '../errors.js'
import { statusOf } from './invoke-status.js'
import type { LocalRunner } from './local-runner.js'
import type { PlacementMetrics } from './metrics.js'
import type { Reservations } from './reservations.js'
import type { UnreservedFetches } from './unreserved-fetches.js'
import type { Logger } from '@libp2p/interface'

export interface InvokeHandlerComponents {
  runner: LocalRunner
  reservations: Reservations
  /** True when this node has room for one more invocation without a reservation. */
  hasRoom(): boolean
  /** True when the store holds the function's code. */
  hasCode(cid: string): boolean
  /** Gets code for an invocation without a reservation, before it is admitted. */
  fetches: Pick<UnreservedFetches, 'fetch'>
  metrics?: Pick<PlacementMetrics, 'unreservedFetches'>
  log: Logger
}

/**
 * Serves `/faasmesh/invoke/1.0.0`: runs an invocation placed here by a peer. A call that claims
 * a reservation this node granted that peer for that function is always admitted; one without
 * (a policy that does not ask for bids, a reservation that lapsed) is admitted while there is
 * room, else REFUSED so the auctioneer moves on. Its code, when absent, is fetched before it is
 * admitted: an invocation nobody won a bid for holds no slot while the resolver looks for a CID
 * that may exist nowhere.
 */
export function invokeHandler (components: InvokeHandlerComponents): InvokeHandler {
  return async (request: InvokeRequest, { peer, signal }) => {
    let cid: string
    try {
      cid = CID.decode(request.cid).toString()
    } catch {
      return failure(InvokeResponse.Status.NOT_FOUND, 'the request carries no valid CID')
    }
    const claimed = request.reservation.byteLength > 0 && components.reservations.claim(request.reservation, peer.toString(), cid)
    if (!claimed && !components.hasRoom()) return failure(InvokeResponse.Status.REFUSED, 'no free slot and no reservation')
    const deadline = request.deadlineMs > 0 ? AbortSignal.timeout(request.deadlineMs) : undefined
    const runSignal = deadline == null ? signal : AbortSignal.any([signal, deadline])
    try {
      if (!claimed && !components.hasCode(cid)) {
        await fetchFirst(components, peer.toString(), cid, runSignal)
        if (!components.hasRoom()) return failure(InvokeResponse.Status.REFUSED, 'no free slot once the code was here, and no reservation')
      }
      const run = await components.runner.run(cid, request.input, { signal: runSignal })
      return {
        status: InvokeResponse.Status.OK,
        output: run.output as Uint8Array<ArrayBuffer>,
        durationUs: Math.round(run.durationMs * 1000),
        fuel: run.fuelUsed,
        cold: run.cold,
        fetched: run.fetched,
        message: ''
      }
    } catch (err: any) {
      if (deadline?.aborted === true) return failure(InvokeResponse.Status.DEADLINE, new DeadlineExceededError(`not done within ${request.deadlineMs} ms`).message)
      const status = statusOf(err)
      if (status === InvokeResponse.Status.ERROR) components.log('invocation of %s for %p failed: %s', cid, peer, err?.message ?? err)
      return failure(status, String(err?.message ?? err).slice(0, 500))
    }
  }
}

async function fetchFirst (components: InvokeHandlerComponents, peer: string, cid: string, signal: AbortSignal): Promise<void> {
  try {
    await components.fetches.fetch(peer, cid, { signal })
    components.metrics?.unreservedFetches.inc({ outcome: 'fetched' })
  } catch (err: any) {
    components.metrics?.unreservedFetches.inc({ outcome: err?.name === 'NoCapacityError' ? 'refused' : 'failed' })
    throw err
  }
}

function failure (status: InvokeResponse.Status, message: string): InvokeResponse {
  return { status, output: new Uint8Array(0), durationUs: 0, fuel: 0, cold: false, fetched: false, message }
}
