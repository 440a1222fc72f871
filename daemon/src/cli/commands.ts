/**
 * The CLI's commands, one table: name, usage, options (with their help text) and what to run.
 * `faasmesh help` and `faasmesh <command> --help` are generated from it.
 */
import { readFile } from 'node:fs/promises'
import { checkStateKey } from '../state/index.js'
import { CLIENT_OPTIONS, client } from './client-options.js'
import { runDaemon } from './daemon-command.js'
import { PSK_COMMAND } from './psk.js'
import { LEDGER_COMMAND, RECEIPTS_COMMAND } from './ledger.js'
import { chainSpecType, describeChains, describeDeployedChain, type ChainEntry, type DeployedChain } from './chains.js'
import { describePlacement, fetchPlacement } from './placement-report.js'
import { parseTimingsHeader } from '../gateway/timing-headers.js'
import { DELETE_COMMAND, describeVersions, LOGS_COMMAND, ROLLBACK_COMMAND, versionsOf } from './lifecycle.js'
import { describeInvokeState, describeStateView, invokeStateOf, readStateFile, StateFileError, writeStateFile, type StateView } from './state.js'
import { bytes, shortAddr, shortPeer, table } from './format.js'
import { TOKEN_COMMAND } from './tokens.js'
import { TRUST_COMMAND } from './trust.js'
import { NEW_COMMAND } from './kit/new.js'
import { BUILD_COMMAND } from './kit/build.js'
import { print, UsageError, type CliIo } from './io.js'
import type { PeerSummary } from '../gateway/index.js'
import type { PlacementRecord } from '../placement/index.js'

export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
  /** Shown in help, e.g. `--data <text>`. */
  arg?: string
  help: string
}

export interface ParsedArgs {
  positionals: string[]
  values: Record<string, string | boolean | Array<string | boolean> | undefined>
}

export interface Command {
  name: string
  usage: string
  summary: string
  options: Record<string, OptionSpec>
  /** Number of positional arguments: [min, max]. */
  positionals: [number, number]
  run(args: ParsedArgs, io: CliIo): Promise<number>
}



/** Reads a file named on the command line; a missing or unreadable one is a usage error. */
async function readInputFile (file: string): Promise<Uint8Array> {
  try {
    return await readFile(file)
  } catch (err: any) {
    throw new UsageError(`cannot read ${file}: ${err?.code === 'ENOENT' ? 'no such file' : String(err?.message ?? err)}`)
  }
}

async function readStdin (io: CliIo): Promise<Uint8Array> {
  const chunks: Buffer[] = []
  for await (const chunk of io.stdin) chunks.push(Buffer.from(chunk as Uint8Array))
  return Buffer.concat(chunks)
}

/** A chain's answer carries how many steps ran and the bytes they moved; a function's does not. */
function chainMetaOf (headers: Headers): { chainSteps?: number, bytesMoved?: number } {
  const steps = headers.get('x-faasmesh-chain-steps')
  if (steps == null) return {}
  return { chainSteps: Number(steps), bytesMoved: Number(headers.get('x-faasmesh-bytes-moved')) }
}

/** `faasmesh chain list` and `faasmesh chains`. */
async function listChains (args: ParsedArgs, io: CliIo): Promise<number> {
  const { chains } = await client(args, io).json<{ chains: ChainEntry[] }>('GET', '/v1/chains')
  if (args.values.json === true) print(io.stdout, JSON.stringify(chains))
  else print(io.stdout, describeChains(chains))
  return 0
}

export const COMMANDS: readonly Command[] = [
  {
    name: 'daemon',
    usage: 'faasmesh daemon [options]',
    summary: 'Run a node: the sandbox, the function store and the HTTP gateway',
    positionals: [0, 0],
    options: {
      'data-dir': { type: 'string', arg: '<dir>', help: 'Where the identity and the functions live (default: ~/.faasmesh)' },
      config: { type: 'string', arg: '<file>', help: 'JSON config file (see docs/config.md)' },
      'api-listen': { type: 'string', arg: '<host:port>', help: 'Gateway address (default: 127.0.0.1:8787; port 0 picks a free one)' },
      slots: { type: 'string', arg: '<n>', help: 'Invocations run in parallel (default: cores - 1)' },
      listen: { type: 'string', multiple: true, arg: '<multiaddr>', help: 'libp2p listen address, repeatable (default: /ip4/0.0.0.0/tcp/0)' },
      bootstrap: { type: 'string', multiple: true, arg: '<multiaddr>', help: 'Peer to join through (…/p2p/<peer id>), repeatable; re-dialled until it answers' },
      'no-mdns': { type: 'boolean', help: 'Do not discover peers on the local network with mDNS' },
      tag: { type: 'string', multiple: true, arg: '<key=value>', help: 'Label advertised to the mesh, repeatable (region=eu, tier=edge, power=battery)' },
      policy: { type: 'string', arg: '<name>', help: 'Placement policy for requests that name none (default: auction)' },
      slowdown: { type: 'string', arg: '<factor>', help: 'Testbeds only: behave as a machine this many times slower' },
      psk: { type: 'string', arg: '<file>', help: 'Join a private mesh: its pre-shared key file (faasmesh psk generate); nodes without it cannot connect' },
      'otlp-url': { type: 'string', arg: '<url>', help: 'Export OpenTelemetry traces over OTLP/HTTP to this URL, e.g. http://127.0.0.1:4318/v1/traces (docs/observability.md)' }
    },
    run: runDaemon
  },
  PSK_COMMAND,
  LEDGER_COMMAND,
  RECEIPTS_COMMAND,
  NEW_COMMAND,
  BUILD_COMMAND,
  {
    name: 'deploy',
    usage: 'faasmesh deploy <name> <file.wasm> [--api URL] [--json]',
    summary: 'Validate, store and name a function on the daemon',
    positionals: [2, 2],
    options: CLIENT_OPTIONS,
    async run (args, io) {
      const [name, file] = args.positionals as [string, string]
      const wasm = await readInputFile(file)
      const deployed = await client(args, io).json<{ name: string, cid: string, size: number, version: number }>(
        'POST', `/v1/functions/${encodeURIComponent(name)}`, wasm)
      if (args.values.json === true) print(io.stdout, JSON.stringify(deployed))
      else print(io.stdout, `deployed ${deployed.name} (v${deployed.version})\n  cid   ${deployed.cid}\n  size  ${bytes(deployed.size)}`)
      return 0
    }
  },
  {
    name: 'invoke',
    usage: 'faasmesh invoke <name|publisher/name|cid> [--data TEXT | --file F] [--policy P] [--deadline-ms N] [--id ID] [--state-key K [--state-model M] [--state-file F]] [--locality on|off] [--verbose] [--raw] [--api URL] [--json]',
    summary: 'Run a function or a chain and print its output',
    positionals: [1, 1],
    options: {
      ...CLIENT_OPTIONS,
      data: { type: 'string', short: 'd', arg: '<text>', help: 'Input sent as UTF-8 (JSON by convention)' },
      file: { type: 'string', short: 'f', arg: '<file>', help: 'Input read from a file ("-" reads standard input)' },
      policy: { type: 'string', arg: '<name>', help: 'Placement policy: auction, local, random, round-robin, least-loaded, power-of-two' },
      'deadline-ms': { type: 'string', arg: '<ms>', help: 'Give up with DeadlineExceededError after this long' },
      id: { type: 'string', arg: '<id>', help: 'Invocation id (1-64 of A-Z a-z 0-9 . _ : -): sent again, it never runs twice' },
      'state-key': { type: 'string', arg: '<key>', help: 'Run as a transaction on this state key\'s state (1-128 of A-Z a-z 0-9 . _ : -)' },
      'state-model': { type: 'string', arg: '<model>', help: 'Where the state lives: in-client, in-function, in-edge, external (default: the node\'s state.defaultModel)' },
      'state-file': { type: 'string', arg: '<file>', help: 'in-client state: sent from this file (none yet: a new state), replaced by the new state on success' },
      locality: { type: 'string', arg: '<on|off>', help: 'Chains: on, a step\'s input moves from the node that produced it; off, all data through the entry node (default: on)' },
      verbose: { type: 'boolean', short: 'v', help: 'Print where and how it ran, and where the time went, to standard error (a chain: its steps); with --json, the placement record (bids, attempts, timings; a chain: its steps) is in the JSON' },
      raw: { type: 'boolean', help: 'Write the output exactly as the function returned it, with no newline added (binary output, pipes)' }
    },
    async run (args, io) {
      const { data, file, policy, verbose } = args.values as Record<string, string | boolean | undefined>
      if (data != null && file != null) throw new UsageError('give either --data or --file, not both')
      let input: Uint8Array = new Uint8Array(0)
      if (typeof data === 'string') input = new TextEncoder().encode(data)
      else if (file === '-') input = await readStdin(io)
      else if (typeof file === 'string') input = await readInputFile(file)
      const headers: Record<string, string> = {}
      if (typeof policy === 'string') headers['x-faasmesh-policy'] = policy
      const deadline = args.values['deadline-ms']
      if (typeof deadline === 'string') headers['x-faasmesh-deadline-ms'] = deadline
      if (typeof args.values.id === 'string') headers['x-faasmesh-invocation-id'] = args.values.id
      const locality = args.values.locality
      if (typeof locality === 'string') {
        if (locality !== 'on' && locality !== 'off') throw new UsageError(`--locality is on or off, not "${locality}"`)
        headers['x-faasmesh-locality'] = locality
      }
      const stateKey = args.values['state-key'] as string | undefined
      let stateModel = args.values['state-model'] as string | undefined
      const stateFile = args.values['state-file'] as string | undefined
      if (stateKey == null && (stateModel != null || stateFile != null)) throw new UsageError('--state-model and --state-file need --state-key')
      if (stateFile != null) {
        if (stateModel != null && stateModel !== 'in-client') throw new UsageError(`--state-file holds in-client state; it does not go with --state-model ${stateModel}`)
        stateModel = 'in-client'
      }
      if (stateKey != null) headers['x-faasmesh-state-key'] = checkStateKey(stateKey)
      if (stateModel != null) headers['x-faasmesh-state-model'] = stateModel
      if (stateFile != null) {
        const carried = await readStateFile(stateFile)
        if (carried != null) headers['x-faasmesh-state'] = carried
      }
      const target = args.positionals[0]!
      // publisher/name travels as two path segments
      const path = target.split('/').map(encodeURIComponent).join('/')
      const res = await client(args, io).request('POST', `/v1/invoke/${path}`, input, headers)
      const meta = {
        invocationId: res.headers.get('x-faasmesh-invocation-id'),
        cid: res.headers.get('x-faasmesh-cid'),
        executor: res.headers.get('x-faasmesh-executor'),
        policy: res.headers.get('x-faasmesh-policy'),
        durationMs: Number(res.headers.get('x-faasmesh-duration-ms')),
        placementMs: Number(res.headers.get('x-faasmesh-placement-ms')),
        cold: res.headers.get('x-faasmesh-cold') === 'true',
        fetched: res.headers.get('x-faasmesh-fetched') === 'true',
        fuel: Number(res.headers.get('x-faasmesh-fuel')),
        bids: res.headers.get('x-faasmesh-bids'),
        placementId: res.headers.get('x-faasmesh-placement-id'),
        // ms per phase (docs/observability.md)
        timings: parseTimingsHeader(res.headers.get('x-faasmesh-timings')),
        // a chain's answer says so: its steps and the bytes it moved over the network
        ...chainMetaOf(res.headers)
      }
      const state = stateKey != null ? invokeStateOf(stateKey, res.headers) : undefined
      if (stateFile != null) {
        // the call committed a new state: saved before the output is shown, or it is as if the call never happened
        if (state?.clientState == null) throw new StateFileError(`the daemon sent back no in-client state; ${stateFile} still holds the state this call started from`)
        await writeStateFile(stateFile, state.clientState)
      }
      if (args.values.json === true) {
        const shown = state == null ? undefined : stateFile != null ? { ...state, clientState: undefined, file: stateFile } : state
        // verbose: the placement record too, with its bids and attempts (a chain: its steps)
        let placement: PlacementRecord | undefined
        if (verbose === true && meta.placementId != null) {
          try {
            placement = await fetchPlacement(client(args, io), meta.placementId)
          } catch (err: any) {
            print(io.stderr, `placement ${meta.placementId} is no longer available: ${String(err?.message ?? err)}`)
          }
        }
        const chain = meta.chainSteps != null ? placement?.chain : undefined
        const verboseJson = placement == null ? {} : chain != null ? { chain } : { placement }
        print(io.stdout, JSON.stringify({ output: new TextDecoder().decode(res.body), ...meta, ...(shown != null ? { state: shown } : {}), ...verboseJson }))
        return 0
      }
      if (verbose === true) {
        print(io.stderr, `${target} -> ${meta.cid}\n  id         ${meta.invocationId}\n  executor   ${meta.executor}\n  policy     ${meta.policy}\n` +
          `  placement  ${meta.placementMs.toFixed(2)} ms, bids ${meta.bids ?? '-'} (received/asked)\n  duration   ${meta.durationMs.toFixed(2)} ms (${meta.fetched ? 'cold, code fetched from a peer' : meta.cold ? 'cold' : 'warm'})\n  fuel       ${meta.fuel}`)
        if (state != null) print(io.stderr, describeInvokeState(state, stateFile))
        if (meta.placementId != null) print(io.stderr, await describePlacement(client(args, io), meta.placementId, meta.executor))
      }
      io.stdout.write(res.body)
      // output ends with a newline like every other command's, unless --raw asks for the bytes exactly
      if (args.values.raw !== true && res.body.length > 0 && res.body.at(-1) !== 0x0a) io.stdout.write('\n')
      return 0
    }
  },
  {
    name: 'functions',
    usage: 'faasmesh functions [--versions] [--api URL] [--json]',
    summary: 'List the functions the daemon has, with their CIDs (--versions: each name\'s versions)',
    positionals: [0, 0],
    options: {
      ...CLIENT_OPTIONS,
      versions: { type: 'boolean', help: 'List the versions of each name (the ones faasmesh rollback can bind again)' }
    },
    async run (args, io) {
      if (args.values.versions === true) {
        const byName = await versionsOf(client(args, io))
        if (args.values.json === true) print(io.stdout, JSON.stringify(byName))
        else print(io.stdout, byName.length === 0 ? 'no functions deployed; try: faasmesh deploy hello build/hello.wasm' : describeVersions(byName))
        return 0
      }
      const { functions } = await client(args, io).json<{ functions: Array<{ cid: string, size: number, names: string[], warm: boolean, origin: string, pinned: boolean, deployedAt?: string }> }>('GET', '/v1/functions')
      if (args.values.json === true) print(io.stdout, JSON.stringify(functions))
      else if (functions.length === 0) print(io.stdout, 'no functions deployed; try: faasmesh deploy hello build/hello.wasm')
      else {
        print(io.stdout, table(['NAME', 'CID', 'SIZE', 'ORIGIN', 'WARM', 'DEPLOYED'], functions.map((f) => [
          f.names.join(',') || '-', f.cid, bytes(f.size), f.origin === 'local' ? 'local, pinned' : 'cached', f.warm ? 'yes' : 'no', f.deployedAt ?? '-'
        ])))
      }
      return 0
    }
  },
  DELETE_COMMAND,
  ROLLBACK_COMMAND,
  LOGS_COMMAND,
  {
    name: 'chain',
    usage: 'faasmesh chain deploy <name> <spec.json|spec.yaml|spec.yml> [--api URL] [--json]\n       faasmesh chain list [--api URL] [--json]',
    summary: 'Deploy a chain of functions from a JSON or YAML spec, or list the chains',
    positionals: [1, 3],
    options: CLIENT_OPTIONS,
    async run (args, io) {
      const [action, ...rest] = args.positionals as [string, ...string[]]
      if (action === 'list') {
        if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`)
        return listChains(args, io)
      }
      if (action !== 'deploy') throw new UsageError(`unknown action "${action}"; use deploy or list`)
      if (rest.length < 2) throw new UsageError('chain deploy needs a name and a spec file')
      const [name, file] = rest as [string, string]
      const type = chainSpecType(file)
      const spec = await readInputFile(file)
      const res = await client(args, io).request('POST', `/v1/chains/${encodeURIComponent(name)}`, spec, { 'content-type': type })
      const deployed = JSON.parse(new TextDecoder().decode(res.body)) as DeployedChain
      if (args.values.json === true) print(io.stdout, JSON.stringify(deployed))
      else print(io.stdout, describeDeployedChain(deployed))
      return 0
    }
  },
  {
    name: 'chains',
    usage: 'faasmesh chains [--api URL] [--json]',
    summary: 'List the chains the daemon has (same as `faasmesh chain list`)',
    positionals: [0, 0],
    options: CLIENT_OPTIONS,
    run: listChains
  },
  {
    name: 'peers',
    usage: 'faasmesh peers [--api URL] [--json]',
    summary: 'Show the capacity view: every peer heard from, with its latest advert',
    positionals: [0, 0],
    options: CLIENT_OPTIONS,
    async run (args, io) {
      const { peers } = await client(args, io).json<{ peers: PeerSummary[] }>('GET', '/v1/peers')
      if (args.values.json === true) print(io.stdout, JSON.stringify(peers))
      else if (peers.length === 0) print(io.stdout, 'no peers yet: start another daemon with --bootstrap pointing at this one')
      else {
        print(io.stdout, table(['PEER', 'ADDRESSES / TAGS', 'FREE/TOTAL', 'QUEUE', 'SPEED', 'BATTERY', 'WARM', 'AGE'], peers.map((p) => [
          shortPeer(p.peerId),
          [...p.addrs.map(shortAddr), ...Object.entries(p.tags).map(([k, v]) => `${k}=${v}`)].join(' ') || '-',
          `${p.slots.free}/${p.slots.total}`,
          String(p.queueLength),
          p.speed.toFixed(2),
          p.batteryPercent != null ? `${p.batteryPercent} %` : 'mains',
          String(p.warm.length),
          `${(p.ageMs / 1000).toFixed(1)} s`
        ])))
      }
      return 0
    }
  },
  {
    name: 'health',
    usage: 'faasmesh health [--api URL] [--json]',
    summary: 'Check that the daemon answers, and show its peer id and version',
    positionals: [0, 0],
    options: CLIENT_OPTIONS,
    async run (args, io) {
      const api = client(args, io)
      const health = await api.json<{ ok: boolean, peerId: string, version: string, addrs: string[] }>('GET', '/v1/health')
      if (args.values.json === true) print(io.stdout, JSON.stringify(health))
      else print(io.stdout, `${health.ok ? 'ok' : 'NOT OK'}  ${api.baseUrl}\n  peer id  ${health.peerId}\n  version  ${health.version}\n  addrs    ${health.addrs.length > 0 ? health.addrs.join(', ') : '(none)'}`)
      return health.ok ? 0 : 1
    }
  },
  {
    name: 'state',
    usage: 'faasmesh state get|delete <stateKey> [--model M] [--api URL] [--json]',
    summary: 'Show or delete the state the mesh keeps for a state key',
    positionals: [2, 2],
    options: {
      ...CLIENT_OPTIONS,
      model: { type: 'string', arg: '<model>', help: 'in-function, in-edge or external (default: the node\'s state.defaultModel)' }
    },
    async run (args, io) {
      const [action, stateKey] = args.positionals as [string, string]
      if (action !== 'get' && action !== 'delete') throw new UsageError(`unknown action "${action}"; use get or delete`)
      const model = args.values.model as string | undefined
      const path = `/v1/state/${encodeURIComponent(checkStateKey(stateKey))}${model != null ? `?model=${encodeURIComponent(model)}` : ''}`
      if (action === 'delete') {
        const removed = await client(args, io).json<{ model: string, key: string, removed: boolean }>('DELETE', path)
        if (args.values.json === true) print(io.stdout, JSON.stringify(removed))
        else print(io.stdout, `deleted the ${removed.model} state of ${removed.key}`)
        return 0
      }
      const view = await client(args, io).json<StateView>('GET', path)
      if (args.values.json === true) print(io.stdout, JSON.stringify({ key: stateKey, ...view }))
      else print(io.stdout, describeStateView(stateKey, view))
      return 0
    }
  },
  TOKEN_COMMAND,
  TRUST_COMMAND
]
