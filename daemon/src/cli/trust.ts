/**
 * `faasmesh trust add|remove|list`: the publishers whose code a node in allowlist mode runs
 * (DESIGN.md section 12), kept in the node's data dir (`trust.json`), so the commands work
 * whether the daemon runs or not; a running daemon sees the change at its next check.
 */
import { loadConfig } from '../config/index.js'
import { TrustList, trustedPublishers } from '../trust/index.js'
import { table } from './format.js'
import { print, UsageError, type CliIo } from './io.js'
import type { Command, ParsedArgs } from './commands.js'

function configOf (args: ParsedArgs, io: CliIo): { list: TrustList, mode: string, configured: string[] } {
  const v = args.values as Record<string, string | undefined>
  const config = loadConfig({ env: io.env, configFile: v.config, flags: { dataDir: v['data-dir'] } })
  return { list: new TrustList(config.dataDir), mode: config.trust.mode, configured: config.trust.publishers }
}

async function add (args: ParsedArgs, io: CliIo, peer: string): Promise<number> {
  const { list, mode } = configOf(args, io)
  const entry = await list.add(peer, args.values.name as string | undefined)
  if (args.values.json === true) print(io.stdout, JSON.stringify(entry))
  else print(io.stdout, `trusted ${entry.peer}${entry.label != null ? ` (${entry.label})` : ''} in ${list.file}`)
  // the list matters only in allowlist mode: say so rather than let it seem to do nothing
  if (mode !== 'allowlist') print(io.stderr, `note: trust.mode is ${mode}; the list applies once the node runs with trust.mode=allowlist`)
  return 0
}

async function remove (args: ParsedArgs, io: CliIo, peer: string): Promise<number> {
  const { list, configured } = configOf(args, io)
  const removed = await list.remove(peer)
  if (args.values.json === true) print(io.stdout, JSON.stringify({ peer, removed }))
  else print(io.stdout, removed ? `no longer trusting ${peer}` : `${peer} is not in ${list.file}`)
  if (configured.includes(peer)) print(io.stderr, `note: ${peer} is also in trust.publishers of the config, which still trusts it`)
  return removed ? 0 : 1
}

async function show (args: ParsedArgs, io: CliIo): Promise<number> {
  const { list, mode, configured } = configOf(args, io)
  const publishers = trustedPublishers(configured, await list.list())
  if (args.values.json === true) print(io.stdout, JSON.stringify({ mode, publishers }))
  else if (publishers.length === 0) print(io.stdout, `trust.mode ${mode}; no trusted publishers (add one with: faasmesh trust add <peerId>)`)
  else print(io.stdout, `trust.mode ${mode}\n` + table(['PEER', 'LABEL', 'SOURCE'], publishers.map((p) => [p.peer, p.label ?? '-', p.source])))
  return 0
}

export const TRUST_COMMAND: Command = {
  name: 'trust',
  usage: 'faasmesh trust add <peerId> [--name LABEL] [--data-dir DIR] [--config F] [--json]\n       faasmesh trust remove <peerId> [--data-dir DIR] [--config F] [--json]\n       faasmesh trust list [--data-dir DIR] [--config F] [--json]',
  summary: 'Add, remove or list the publishers whose code a node in allowlist mode runs',
  positionals: [1, 2],
  options: {
    name: { type: 'string', arg: '<label>', help: 'add: a label for people reading the list' },
    'data-dir': { type: 'string', arg: '<dir>', help: 'The node\'s data dir (default: $FAASMESH_DATA_DIR, the config file\'s, or ~/.faasmesh)' },
    config: { type: 'string', arg: '<file>', help: 'The node\'s JSON config file, for its data dir and trust.publishers' },
    json: { type: 'boolean', help: 'Print machine-readable JSON instead of text' }
  },
  async run (args, io) {
    const [action, peer] = args.positionals as [string, string | undefined]
    if (action === 'list') {
      if (peer != null) throw new UsageError(`unexpected argument "${peer}"`)
      return show(args, io)
    }
    if (action !== 'add' && action !== 'remove') throw new UsageError(`unknown action "${action}"; use add, remove or list`)
    if (peer == null) throw new UsageError(`trust ${action} needs a peer id`)
    return action === 'add' ? add(args, io, peer) : remove(args, io, peer)
  }
}
