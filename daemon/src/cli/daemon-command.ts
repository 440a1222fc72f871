/** `faasmesh daemon`: runs a node in the foreground until SIGINT or SIGTERM (under npm or npx, also until its parent exits). */
import { followsParent, loadConfig } from '../config/index.js'
import { tokenStore } from '../auth/index.js'
import { exposureWarning } from '../gateway/index.js'
import { createDaemon } from '../index.js'
import { STOP_MARGIN_MS } from '../shutdown.js'
import { VERSION } from '../version.js'
import { READY_LINE } from './banner.js'
import { bytes } from './format.js'
import { print, type CliIo } from './io.js'
import { watchParent, type ParentWatch } from './parent-watch.js'
import type { ParsedArgs } from './commands.js'

export async function runDaemon (args: ParsedArgs, io: CliIo): Promise<number> {
  const v = args.values as Record<string, string | undefined>
  const list = args.values as Record<string, string[] | undefined>
  const config = loadConfig({
    env: io.env,
    configFile: v.config,
    flags: {
      dataDir: v['data-dir'],
      'api.listen': v['api-listen'],
      'executor.slots': v.slots,
      'libp2p.listen': list.listen,
      'libp2p.bootstrap': list.bootstrap,
      'libp2p.mdns': args.values['no-mdns'] === true ? false : undefined,
      tags: list.tag,
      'placement.policy': v.policy,
      'executor.slowdown': v.slowdown,
      'network.pskFile': v.psk,
      'telemetry.otlpUrl': v['otlp-url']
    }
  })
  // a daemon outlives whoever reads its output (`faasmesh daemon | head`, a parent that went away):
  // a closed pipe must not kill the node
  for (const stream of [io.stdout, io.stderr]) stream.on('error', () => {})
  // listen for signals before anything starts, so a Ctrl-C during start-up still stops cleanly
  let parent: ParentWatch | undefined
  const stopRequested = new Promise<string>((resolve) => {
    process.once('SIGINT', () => { resolve('SIGINT') })
    process.once('SIGTERM', () => { resolve('SIGTERM') })
    // under npx or npm start, a SIGTERM to npm kills the shell between it and us: follow the parent
    if (followsParent(io.env)) parent = watchParent(() => { resolve('parent process exited') })
  })
  const daemon = await createDaemon({ config })
  try {
    await daemon.start()
  } catch (err) {
    await daemon.stop()
    throw err
  }
  // a gateway others can reach: say whether its routes are open (api.insecure, no token) and which need a token
  const api = new URL(daemon.apiUrl)
  const exposure = { tokens: tokenStore({ dataDir: config.dataDir })().count(), requireTokenFor: config.api.requireTokenFor }
  const warning = exposureWarning(api.hostname.replace(/^\[|\]$/g, ''), Number(api.port), exposure)
  if (warning != null) print(io.stderr, warning)
  for (const line of daemon.warnings) print(io.stderr, line)
  const e = config.executor
  print(io.stdout, [
    `faasmesh ${VERSION}`,
    `  peer id   ${daemon.peerId.toString()}`,
    `  gateway   ${daemon.apiUrl}`,
    ...daemon.multiaddrs.map((addr, i) => `  ${i === 0 ? 'libp2p   ' : '         '} ${addr}`),
    `  data dir  ${config.dataDir}`,
    `  executor  ${e.slots} slot(s), ${bytes(e.memoryPages * 65536)} memory, ${e.timeoutMs} ms timeout, ${e.fuel.toExponential()} fuel, speed ${daemon.speed}`,
    `  placement ${config.placement.policy}${config.placement.policy === 'auction' ? ` (k=${config.placement.candidates}, window ${config.placement.bidWindowMs} ms)` : ''}${e.slowdown > 1 ? `, slowdown x${e.slowdown}` : ''}`,
    `  mesh      ${config.libp2p.bootstrap.length} bootstrap peer(s), mDNS ${config.libp2p.mdns ? 'on' : 'off'}${config.network.pskFile !== '' ? ', private (pre-shared key)' : ''}${Object.keys(config.tags).length > 0 ? `, tags ${Object.entries(config.tags).map(([k, t]) => `${k}=${t}`).join(' ')}` : ''}`,
    READY_LINE
  ].join('\n'))

  const reason = await stopRequested
  parent?.stop()
  print(io.stdout, `${reason}: stopping`)
  // a second signal, or a stop that hangs, ends the process at once
  const force = (): never => process.exit(130)
  process.once('SIGINT', force)
  process.once('SIGTERM', force)
  // a stop that takes longer than the drain and a margin (a wedged worker, a stuck socket) is cut short
  const stopTimeoutMs = config.shutdown.drainMs + STOP_MARGIN_MS
  const timer = setTimeout(() => {
    print(io.stderr, `stop did not finish within ${stopTimeoutMs} ms; exiting`)
    process.exit(1)
  }, stopTimeoutMs)
  timer.unref()
  await daemon.stop()
  clearTimeout(timer)
  print(io.stdout, 'stopped')
  return 0
}
