/** In-process libp2p nodes over TCP on 127.0.0.1 with the code transfer service. */
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { codeTransfer, type CodeTransfer, type CodeTransferInit } from '../../src/code/index.js'
import type { Libp2p } from '@libp2p/interface'

export type CodeNode = Libp2p<{ code: CodeTransfer }>
const started: Libp2p[] = []

export async function codeNode (init: CodeTransferInit = {}): Promise<CodeNode> {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), code: codeTransfer(init) }
  })
  started.push(node)
  return node as unknown as CodeNode
}

export async function stopCodeNodes (): Promise<void> {
  await Promise.all(started.splice(0).map(async (n) => { await n.stop() }))
}
