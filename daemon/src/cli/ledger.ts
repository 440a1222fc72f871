/** `faasmesh ledger` and `faasmesh receipts`: what this node and its peers ran for each other (docs/http-api.md). */
import { CLIENT_OPTIONS, client } from './client-options.js'
import { shortPeer, table } from './format.js'
import { print, UsageError, type CliIo } from './io.js'
import type { Command, ParsedArgs } from './commands.js'
import type { LedgerEntry, PeerTally } from '../ledger/index.js'


function amount (n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(3)
}

export const LEDGER_COMMAND: Command = {
  name: 'ledger',
  usage: 'faasmesh ledger [--api URL] [--json]',
  summary: 'Show, per peer, the work it ran for this node and the work this node ran for it (by signed receipts)',
  positionals: [0, 0],
  options: CLIENT_OPTIONS,
  async run (args, io) {
    const { peers } = await client(args, io).json<{ self: string, peers: PeerTally[] }>('GET', '/v1/ledger')
    if (args.values.json === true) {
      print(io.stdout, JSON.stringify(peers))
      return 0
    }
    if (peers.length === 0) {
      print(io.stdout, 'no receipts yet: nothing has run between this node and a peer')
      return 0
    }
    const rows = [...peers].sort((a, b) => b.lastAt - a.lastAt).map((t) => [
      shortPeer(t.peer),
      String(t.ranForUs.invocations), amount(t.ranForUs.fuel), amount(t.ranForUs.price),
      String(t.ranForThem.invocations), amount(t.ranForThem.fuel), amount(t.ranForThem.price),
      new Date(t.lastAt).toISOString()
    ])
    print(io.stdout, table(['PEER', 'RAN FOR US', 'FUEL', 'PAID', 'RAN FOR IT', 'FUEL', 'EARNED', 'LAST'], rows))
    return 0
  }
}

export const RECEIPTS_COMMAND: Command = {
  name: 'receipts',
  usage: 'faasmesh receipts [--peer P] [--since T] [--limit N] [--api URL] [--json]',
  summary: 'List the signed receipts in the ledger, newest first',
  positionals: [0, 0],
  options: {
    ...CLIENT_OPTIONS,
    peer: { type: 'string', arg: '<peer id>', help: 'Only receipts with this peer' },
    since: { type: 'string', arg: '<time>', help: 'Only receipts recorded since then: ms since the epoch or an ISO date' },
    limit: { type: 'string', arg: '<n>', help: 'At most this many (default 100, at most 1000)' }
  },
  async run (args, io) {
    const params = new URLSearchParams()
    const peer = args.values.peer as string | undefined
    if (peer != null) params.set('peer', peer)
    const since = args.values.since as string | undefined
    if (since != null) {
      const ms = /^\d+$/.test(since) ? Number(since) : Date.parse(since)
      if (!Number.isFinite(ms)) throw new UsageError(`--since: expected ms since the epoch or an ISO date, got "${since}"`)
      params.set('since', String(ms))
    }
    const limit = args.values.limit as string | undefined
    if (limit != null) params.set('limit', limit)
    const query = params.size > 0 ? `?${params.toString()}` : ''
    const { receipts } = await client(args, io).json<{ receipts: LedgerEntry[] }>('GET', `/v1/receipts${query}`)
    if (args.values.json === true) {
      print(io.stdout, JSON.stringify(receipts))
      return 0
    }
    if (receipts.length === 0) {
      print(io.stdout, 'no receipts match')
      return 0
    }
    print(io.stdout, table(['TIME', 'ROLE', 'PEER', 'INVOCATION', 'STATUS', 'FUEL', 'MS', 'PRICE'], receipts.map((r) => [
      new Date(r.at).toISOString(),
      // the other side ran it, or this node did
      r.role === 'auctioneer' ? 'ran for us' : 'ran for it',
      shortPeer(r.peer),
      r.invocationId,
      r.status,
      String(r.fuel),
      (r.durationUs / 1000).toFixed(1),
      amount(r.price)
    ])))
    return 0
  }
}
