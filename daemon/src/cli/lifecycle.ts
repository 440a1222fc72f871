/**
 * A function's life after its first deploy: `faasmesh delete`, `faasmesh rollback`,
 * `faasmesh functions --versions` (its table) and `faasmesh logs` (what an invocation logged).
 */
import { CLIENT_OPTIONS, client } from './client-options.js'
import { bytes, table } from './format.js'
import { print, UsageError } from './io.js'
import { fetchPlacement } from './placement-report.js'
import type { ApiClient } from './client.js'
import type { Command } from './commands.js'
import type { FunctionVersion, RemovedFunction } from '../store/index.js'

/** The versions of each name, newest first; the current one is marked. */
export function describeVersions (byName: Array<{ name: string, versions: FunctionVersion[] }>): string {
  const rows = byName.flatMap(({ name, versions }) => [...versions].reverse().map((v, i) => [
    i === 0 ? name : '',
    `${i === 0 ? '*' : ' '} v${v.version}`,
    v.cid,
    bytes(v.size),
    v.deployedAt,
    v.rollbackOf != null ? `rollback to v${v.rollbackOf}` : ''
  ]))
  return `${table(['NAME', 'VERSION', 'CID', 'SIZE', 'DEPLOYED', 'NOTE'], rows)}\n(* current; faasmesh rollback <name> [--to N] binds an earlier one again)`
}

/** Every local name with its versions (`GET /v1/functions`, then each name's versions). */
export async function versionsOf (api: ApiClient): Promise<Array<{ name: string, versions: FunctionVersion[] }>> {
  const { functions } = await api.json<{ functions: Array<{ names: string[] }> }>('GET', '/v1/functions')
  const names = [...new Set(functions.flatMap((f) => f.names))].sort()
  return Promise.all(names.map(async (name) => api.json<{ name: string, versions: FunctionVersion[] }>('GET', `/v1/functions/${encodeURIComponent(name)}/versions`)))
}

export const DELETE_COMMAND: Command = {
  name: 'delete',
  usage: 'faasmesh delete <name> [--api URL] [--json]',
  summary: 'Unbind a function name on the daemon and delete its modules nothing else uses',
  positionals: [1, 1],
  options: CLIENT_OPTIONS,
  async run (args, io) {
    const name = args.positionals[0]!
    const removed = await client(args, io).json<RemovedFunction>('DELETE', `/v1/functions/${encodeURIComponent(name)}`)
    if (args.values.json === true) {
      print(io.stdout, JSON.stringify(removed))
      return 0
    }
    const lines = [`deleted ${removed.name} (${removed.versions} version${removed.versions === 1 ? '' : 's'}, was ${removed.cid})`]
    for (const cid of removed.removed) lines.push(`  removed  ${cid}`)
    for (const cid of removed.kept) lines.push(`  kept     ${cid} (another name, version or chain uses it)`)
    print(io.stdout, lines.join('\n'))
    return 0
  }
}

export const ROLLBACK_COMMAND: Command = {
  name: 'rollback',
  usage: 'faasmesh rollback <name> [--to N] [--api URL] [--json]',
  summary: 'Bind a function name again to an earlier version (default: the one before the current)',
  positionals: [1, 1],
  options: {
    ...CLIENT_OPTIONS,
    to: { type: 'string', arg: '<version>', help: 'The version to bind again (see faasmesh functions --versions)' }
  },
  async run (args, io) {
    const name = args.positionals[0]!
    const to = args.values.to as string | undefined
    if (to != null && !/^[1-9]\d{0,8}$/.test(to)) throw new UsageError(`--to takes a version number, not "${to}"`)
    const body = new TextEncoder().encode(JSON.stringify(to != null ? { to: Number(to) } : {}))
    const rolled = await client(args, io).json<{ name: string, cid: string, version: number, rollbackOf: number }>('POST', `/v1/functions/${encodeURIComponent(name)}/rollback`, body)
    if (args.values.json === true) print(io.stdout, JSON.stringify(rolled))
    else print(io.stdout, `${rolled.name} is now v${rolled.version}: the code of v${rolled.rollbackOf}\n  cid   ${rolled.cid}`)
    return 0
  }
}

export const LOGS_COMMAND: Command = {
  name: 'logs',
  usage: 'faasmesh logs <placement id> [--api URL] [--json]',
  summary: 'Print what an invocation logged (its placement id is in `faasmesh invoke -v`)',
  positionals: [1, 1],
  options: CLIENT_OPTIONS,
  async run (args, io) {
    const id = args.positionals[0]!
    if (!/^[0-9a-f]{1,32}$/.test(id)) throw new UsageError(`"${id}" is not a placement id (hex, as faasmesh invoke -v prints it)`)
    const record = await fetchPlacement(client(args, io), id)
    const logs = record.logs ?? []
    if (args.values.json === true) print(io.stdout, JSON.stringify({ id: record.id, name: record.name, cid: record.cid, outcome: record.outcome, logs }))
    else if (logs.length > 0) print(io.stdout, logs.join('\n'))
    else print(io.stderr, `invocation ${id}${record.name != null ? ` of ${record.name}` : ''} logged nothing`)
    return 0
  }
}
