/**
 * `faasmesh token create|list|revoke`: gateway tokens, managed in the node's data dir directly
 * (DESIGN.md section 12), so they work whether the daemon runs or not; a running daemon sees the
 * change on its next request. A new token is printed once, alone on standard output (for
 * `TOKEN=$(faasmesh token create ...)`), and never stored: the node keeps its hash.
 */
import { isTokenScope, tokenStore, TOKEN_SCOPES, type TokenStore } from '../auth/index.js'
import { loadConfig } from '../config/index.js'
import { table } from './format.js'
import { print, UsageError, type CliIo } from './io.js'
import type { Command, ParsedArgs } from './commands.js'

function storeOf (args: ParsedArgs, io: CliIo): TokenStore {
  const v = args.values as Record<string, string | undefined>
  const config = loadConfig({ env: io.env, configFile: v.config, flags: { dataDir: v['data-dir'] } })
  return tokenStore({ dataDir: config.dataDir })()
}

async function create (args: ParsedArgs, io: CliIo): Promise<number> {
  const { scope, name } = args.values as Record<string, string | undefined>
  if (scope == null) throw new UsageError(`token create needs --scope ${TOKEN_SCOPES.join('|')}`)
  if (!isTokenScope(scope)) throw new UsageError(`--scope is ${TOKEN_SCOPES.join(', ')}, not "${scope}"`)
  const store = storeOf(args, io)
  const { token, info } = await store.create({ scope, ...(name != null ? { name } : {}) })
  if (args.values.json === true) print(io.stdout, JSON.stringify({ token, ...info }))
  else print(io.stdout, token)
  print(io.stderr, `created ${info.scope} token ${info.id}${info.name !== '' ? ` (${info.name})` : ''} in ${store.path}; it is shown once: store it now, the node keeps only its hash`)
  return 0
}

async function list (args: ParsedArgs, io: CliIo): Promise<number> {
  const store = storeOf(args, io)
  const tokens = await store.list()
  if (args.values.json === true) print(io.stdout, JSON.stringify(tokens))
  else if (tokens.length === 0) print(io.stdout, `no gateway tokens in ${store.path}; create one with: faasmesh token create --scope deploy`)
  else print(io.stdout, table(['ID', 'NAME', 'SCOPE', 'CREATED'], tokens.map((t) => [t.id, t.name === '' ? '-' : t.name, t.scope, t.created])))
  return 0
}

async function revoke (args: ParsedArgs, io: CliIo, idOrName: string): Promise<number> {
  const store = storeOf(args, io)
  const info = await store.revoke(idOrName)
  if (args.values.json === true) print(io.stdout, JSON.stringify(info))
  else print(io.stdout, `revoked ${info.scope} token ${info.id}${info.name !== '' ? ` (${info.name})` : ''}; a running daemon refuses it from its next request`)
  return 0
}

export const TOKEN_COMMAND: Command = {
  name: 'token',
  usage: 'faasmesh token create --scope deploy|invoke|admin [--name N] [--data-dir DIR] [--config F] [--json]\n       faasmesh token list [--data-dir DIR] [--config F] [--json]\n       faasmesh token revoke <id|name> [--data-dir DIR] [--config F] [--json]',
  summary: 'Create, list or revoke the gateway tokens of the node whose data dir this is',
  positionals: [1, 2],
  options: {
    scope: { type: 'string', arg: '<scope>', help: 'create: what the token allows: invoke, deploy (and invoke) or admin (everything)' },
    name: { type: 'string', arg: '<name>', help: 'create: a name to list and revoke it by (1-64 of A-Z a-z 0-9 . _ : -)' },
    'data-dir': { type: 'string', arg: '<dir>', help: 'The node\'s data dir (default: $FAASMESH_DATA_DIR, the config file\'s, or ~/.faasmesh)' },
    config: { type: 'string', arg: '<file>', help: 'The node\'s JSON config file, for its data dir' },
    json: { type: 'boolean', help: 'Print machine-readable JSON instead of text' }
  },
  async run (args, io) {
    const [action, target] = args.positionals as [string, string | undefined]
    if (action === 'revoke') {
      if (target == null) throw new UsageError('token revoke needs the token\'s id or name (see faasmesh token list)')
      return revoke(args, io, target)
    }
    if (target != null) throw new UsageError(`unexpected argument "${target}"`)
    if (action !== 'create' && (args.values.scope != null || args.values.name != null)) throw new UsageError('--scope and --name go with token create')
    if (action === 'create') return create(args, io)
    if (action === 'list') return list(args, io)
    throw new UsageError(`unknown action "${action}"; use create, list or revoke`)
  }
}
