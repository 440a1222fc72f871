/** `faasmesh invoke --verbose`: the bids behind a placement and the attempts that followed, or a chain's steps. */
import { bytes, shortPeer, table } from './format.js'
import { describeTimings } from './timings-report.js'
import type { ApiClient } from './client.js'
import type { ChainRecord, PlacementRecord } from '../placement/index.js'

const ms = (value: number | undefined): string => value == null ? '-' : value.toFixed(2)

/** The placement record `GET /v1/placements/:id` answers; a record the node no longer keeps is a `NotFoundError`. */
export async function fetchPlacement (client: ApiClient, id: string): Promise<PlacementRecord> {
  return client.json<PlacementRecord>('GET', `/v1/placements/${encodeURIComponent(id)}`)
}

export async function describePlacement (client: ApiClient, id: string, executor: string | null): Promise<string> {
  let record: PlacementRecord
  try {
    record = await fetchPlacement(client, id)
  } catch (err: any) {
    return `  (placement ${id} is no longer available: ${String(err?.message ?? err)})`
  }
  // a chain's own record has no bids or attempts: each step was placed, and the steps say where
  if (record.chain != null) {
    // the entry node's own steps are marked (self): their input and output did not cross the network to it
    const self = await client.json<{ peerId: string }>('GET', '/v1/health').then((h) => h.peerId, () => undefined)
    return describeChain(record.chain, self)
  }
  const lines: string[] = []
  if (record.bids.length > 0) {
    lines.push(`  bids (window ${ms(record.windowMs)} ms${record.secondPrice != null ? `, second price ${record.secondPrice.toFixed(3)}` : ''}):`)
    const rows = [...record.bids]
      .sort((a, b) => (a.score ?? Infinity) - (b.score ?? Infinity))
      .map((b) => [
        `${b.peer === executor ? '*' : ' '} ${shortPeer(b.peer)}${b.self ? ' (self)' : ''}`,
        b.outcome + (b.reason != null && b.reason !== '' ? ` (${b.reason})` : ''),
        ms(b.estimatedMs), b.price == null ? '-' : b.price.toFixed(3), ms(b.rttMs), ms(b.score), b.code?.toLowerCase() ?? '-'
      ])
    lines.push(indent(table(['  PEER', 'OUTCOME', 'EST MS', 'PRICE', 'RTT MS', 'SCORE', 'CODE'], rows)))
  }
  lines.push('  attempts:')
  for (const a of record.attempts) lines.push(`    ${shortPeer(a.peer)}${a.self ? ' (self)' : ''}  ${a.outcome}  ${ms(a.ms)} ms`)
  lines.push(...describeTimings(record))
  const logs = record.logs ?? []
  if (logs.length > 0) {
    // a few lines fit here; more are for `faasmesh logs`
    lines.push(`  logs (${logs.length} line${logs.length === 1 ? '' : 's'}${logs.length > SHOWN_LOG_LINES ? `, the first ${SHOWN_LOG_LINES}; all: faasmesh logs ${record.id}` : ''}):`)
    for (const line of logs.slice(0, SHOWN_LOG_LINES)) lines.push(`    ${line}`)
  }
  return lines.join('\n')
}

/** Log lines `invoke -v` shows; `faasmesh logs <id>` prints them all. */
const SHOWN_LOG_LINES = 10

/** The column headers of the steps table, in order (tests read the rows by them). */
export const CHAIN_STEP_COLUMNS = ['STEP', 'FUNCTION', 'EXECUTOR', 'START MS', 'PLACEMENT MS', 'RUN MS', 'BYTES IN', 'BYTES OUT', 'COLD', 'OUTCOME'] as const

/** A chain's steps as they ran, one row each in spec order, and the bytes the chain moved; `self` is the entry node's peer id. */
export function describeChain (chain: ChainRecord, self?: string): string {
  const rows = chain.steps.map((s) => [
    s.id,
    s.fn,
    s.executor == null ? '-' : `${shortPeer(s.executor)}${s.executor === self ? ' (self)' : ''}`,
    ms(s.startMs),
    ms(s.placementMs),
    ms(s.runMs),
    bytes(s.bytesIn),
    bytes(s.bytesOut),
    s.cold == null ? '-' : s.cold ? 'yes' : 'no',
    s.outcome
  ])
  const { invoke, chainData, state } = chain.traffic
  return [
    `  chain      ${chain.name ?? '(by CID)'}, ${chain.steps.length} step${chain.steps.length === 1 ? '' : 's'}, locality ${chain.locality ? 'on' : 'off'}`,
    indent(indent(table([...CHAIN_STEP_COLUMNS], rows))),
    `  traffic    invoke ${bytes(invoke)}, chain data ${bytes(chainData)}, state ${bytes(state)}`
  ].join('\n')
}

function indent (text: string): string {
  return text.split('\n').map((line) => `  ${line}`).join('\n')
}
