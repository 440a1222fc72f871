/** `faasmesh invoke --verbose`: the bids behind a placement and the attempts that followed. */
import { shortPeer, table } from './format.js'
import type { ApiClient } from './client.js'
import type { PlacementRecord } from '../placement/index.js'

const ms = (value: number | undefined): string => value == null ? '-' : value.toFixed(2)

export async function describePlacement (client: ApiClient, id: string, executor: string | null): Promise<string> {
  let record: PlacementRecord
  try {
    record = await client.json<PlacementRecord>('GET', `/v1/placements/${encodeURIComponent(id)}`)
  } catch (err: any) {
    return `  (placement ${id} is no longer available: ${String(err?.message ?? err)})`
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
  return lines.join('\n')
}

function indent (text: string): string {
  return text.split('\n').map((line) => `  ${line}`).join('\n')
}
