/**
 * What the rpc tests share: in-process libp2p nodes over TCP on 127.0.0.1 running one rpc
 * service (every node made here is stopped by `stopRpcNodes()`), and raw frames for tests that
 * play a hostile or broken peer.
 */
import { identify } from '@libp2p/identify'
import { createLibp2p } from 'libp2p'
import { Uint8ArrayList } from 'uint8arraylist'
import { rpc, RpcFrame, type Rpc, type RpcInit } from '../../src/rpc/index.js'
import { base } from './nodes.js'
import type { Libp2p, Stream } from '@libp2p/interface'

export type RpcNode = Libp2p<{ rpc: Rpc }>

const started: Libp2p[] = []

export async function rpcNode (init: RpcInit): Promise<RpcNode> {
  const node = await createLibp2p({ ...base, services: { identify: identify(), rpc: rpc(init) } })
  started.push(node)
  return node as unknown as RpcNode
}

/** A node that runs no rpc service: it can open raw streams, or be a peer without the protocol. */
export async function plainNode (): Promise<Libp2p> {
  const node = await createLibp2p({ ...base, services: { identify: identify() } })
  started.push(node)
  return node
}

export async function stopRpcNodes (): Promise<void> {
  await Promise.all(started.splice(0).map(async (n) => { await n.stop() }))
}

/** The streams of `protocol` that `node` holds to `peer`. */
export function channelStreams (node: Libp2p, peer: Libp2p, protocol: string): Stream[] {
  return node.getConnections(peer.peerId).flatMap((c) => c.streams).filter((s) => s.protocol === protocol)
}

/** Length-prefixed frames, concatenated: what one `send` of several frames puts on the wire. */
export function frames (list: RpcFrame[]): Uint8ArrayList {
  const out = new Uint8ArrayList()
  for (const frame of list) {
    const body = RpcFrame.encode(frame)
    let n = body.byteLength
    const prefix: number[] = []
    while (n >= 0x80) { prefix.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
    prefix.push(n)
    out.append(Uint8Array.from(prefix), body)
  }
  return out
}

/** Every frame a raw stream receives, decoded as it arrives (no limit: the test side trusts). */
export function collect (stream: Stream): RpcFrame[] {
  const got: RpcFrame[] = []
  const buffer = new Uint8ArrayList()
  stream.addEventListener('message', (evt) => {
    buffer.append(evt.data)
    while (buffer.byteLength > 0) {
      let length = 0
      let at = 0
      for (; at < buffer.byteLength; at++) {
        const b = buffer.get(at)
        length += (b & 0x7f) * 2 ** (7 * at)
        if (b < 0x80) break
      }
      if (at >= buffer.byteLength || buffer.byteLength < at + 1 + length) return
      got.push(RpcFrame.decode(buffer.subarray(at + 1, at + 1 + length)))
      buffer.consume(at + 1 + length)
    }
  })
  return got
}

export const sleep = async (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** The name of what `promise` rejects with, or 'ok'; with the error itself for closer looks. */
export async function outcome (promise: Promise<unknown>): Promise<{ name: string, err?: any }> {
  try {
    await promise
    return { name: 'ok' }
  } catch (err: any) {
    return { name: err?.name, err }
  }
}
