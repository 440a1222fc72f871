/**
 * A flooding peer in a process of its own (daemon/test/flood.e2e.ts), so that its event loop
 * is not the one that measures the honest callers' latency. A bare libp2p node (the shared
 * loopback options) that dials the victim, then sends calls for bids, invokes of unknown CIDs
 * and code requests at full speed, `concurrency` of each in flight, for `durationMs`. Then it
 * checks whether it can still open a stream to the victim.
 *
 * argv: victim multiaddr, victim peer id, duration in ms. Messages to the parent:
 * `{ peerId }` once connected, then `{ outcomes, reached, connections }` at the end.
 */
import { randomBytes } from 'node:crypto'
import { identify } from '@libp2p/identify'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'
import { auction } from '../../../protocols/src/auction/index.js'
import { codeTransfer } from '../../../protocols/src/code/index.js'
import { invokeProtocol } from '../../../protocols/src/invoke/index.js'
import { base } from '../../../protocols/test/support/nodes.js'

/** Requests in flight at once per protocol: full speed on one connection, not a fork bomb. */
const CONCURRENCY = { auction: 16, invoke: 8, code: 8 }

/** After a failed or closed connection, a loop waits this long before its next request. */
const RETRY_MS = Number(process.env.FLOOD_RETRY_MS ?? 20)
/** Errors that are the victim's answers: the flood goes on at once after them. */
const ANSWERS = new Set(['RpcBusyError', 'RpcRemoteError', 'CodeBusyError', 'CodeNotFoundError', 'CodeTransferError'])

const [addr, victimId, duration, only] = process.argv.slice(2)
/** Optional fourth argument: flood only these protocols (comma-separated), for measuring one at a time. */
const kinds = new Set((only ?? 'auction,invoke,code').split(','))
const target = peerIdFromString(victimId as string)
const flooder = await createLibp2p({ ...base, services: { identify: identify(), auction: auction(), invoke: invokeProtocol(), code: codeTransfer() } })
await flooder.dial(multiaddr(addr as string), { signal: AbortSignal.timeout(10_000) })
const cids = await Promise.all(Array.from({ length: 64 }, async () => CID.createV1(0x55, await sha256.digest(randomBytes(16)))))
const outcomes: Record<string, number> = {}
const count = (what: string): void => { outcomes[what] = (outcomes[what] ?? 0) + 1 }
const end = Date.now() + Number(duration)

async function loop (protocol: string, send: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; Date.now() < end; i++) {
    try {
      await send(i)
      count(`${protocol}:ok`)
    } catch (err: any) {
      const name = String(err?.name ?? 'Error')
      count(`${protocol}:${name}`)
      // not an answer but a connection that failed or closed (banned): it redials almost flat out
      // (every 20 ms per loop, 32 loops); the victim refuses all but two handshakes a second
      // from a banned peer's address before they start (fairness/handshake-throttle.ts)
      if (!ANSWERS.has(name)) await new Promise((resolve) => setTimeout(resolve, RETRY_MS))
    }
  }
}

process.send?.({ peerId: flooder.peerId.toString() })
await Promise.all([
  ...Array.from({ length: kinds.has('auction') ? CONCURRENCY.auction : 0 }, async (_, w) => loop('auction', async (i) => flooder.services.auction.requestBid(target, { auctionId: `flood-${w}-${i}`, cid: cids[i % cids.length]!.bytes, inputBytes: 0, deadlineMs: 5000, release: [], inputs: [], nameRecord: new Uint8Array(0) }, { timeoutMs: 2000 }))),
  ...Array.from({ length: kinds.has('invoke') ? CONCURRENCY.invoke : 0 }, async (_, w) => loop('invoke', async (i) => flooder.services.invoke.invoke(target, { cid: cids[(i + w) % cids.length]!.bytes, input: new Uint8Array(0), deadlineMs: 2000, reservation: new Uint8Array(0), invocationId: '', inputs: [], keepOutput: false, nameRecord: new Uint8Array(0), price: 0 }, { timeoutMs: 3000 }))),
  ...Array.from({ length: kinds.has('code') ? CONCURRENCY.code : 0 }, async (_, w) => loop('code', async (i) => flooder.services.code.fetch(target, cids[(i + w) % cids.length]!.toString(), { signal: AbortSignal.timeout(2000) })))
])
// banned: its connections are gone and a new one opens no stream
const settled = Date.now() + 5000
while (flooder.getConnections(target).length > 0 && Date.now() < settled) await new Promise((resolve) => setTimeout(resolve, 50))
const connections = flooder.getConnections(target).length
let reached = false
try {
  const stream = await flooder.dialProtocol(multiaddr(addr as string), '/faasmesh/auction/1.0.0', { signal: AbortSignal.timeout(5000) })
  reached = true
  stream.abort(new Error('done'))
} catch {}
process.send?.({ outcomes, reached, connections })
await flooder.stop()
process.exit(0)
