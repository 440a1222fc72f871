/**
 * A daemon's start-up loads only what it runs (docs/performance.md, "A lighter daemon"): the
 * modules of features that are off by default, or used only by other commands, are imported
 * when first used. A static import of one of them anywhere on the daemon's import graph would
 * add megabytes to every idle daemon; this test names the module that did it.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { parseBanner } from '../src/cli/banner.js'
import { LOOPBACK_ARGS } from './support/loopback.js'
import { BIN, ROOT, tempDir } from './support/paths.js'

/** Package (or folder) -> why the daemon must not load it at start-up with the default settings. */
const LAZY: Record<string, string> = {
  '/node_modules/assemblyscript/': 'the compiler is for `faasmesh build`, run as its own process',
  '/node_modules/binaryen/': 'the instrumenter runs in the sanitizer process, not the daemon',
  '/node_modules/redis/': 'node-redis is for the external state model (state.externalUrl)',
  '/node_modules/@redis/': 'node-redis is for the external state model (state.externalUrl)',
  '/node_modules/yaml/': 'YAML is parsed only when a chain spec in YAML arrives',
  '/node_modules/@opentelemetry/core/': 'tracing is off (no telemetry.otlpUrl)',
  '/node_modules/@opentelemetry/sdk-trace-base/': 'tracing is off (no telemetry.otlpUrl)',
  '/node_modules/@opentelemetry/exporter-trace-otlp-http/': 'tracing is off (no telemetry.otlpUrl)',
  '/node_modules/@opentelemetry/resources/': 'tracing is off (no telemetry.otlpUrl)',
  '/node_modules/@libp2p/mdns/': 'mDNS is off (--no-mdns)',
  '/node_modules/multicast-dns/': 'mDNS is off (--no-mdns)',
  '/node_modules/@libp2p/pnet/': 'no pre-shared key (network.pskFile)',
  '/dist/testbed/': 'the testbed drives daemons; the daemon never loads it'
}

describe('daemon start-up imports', function () {
  this.timeout(60_000)
  let dir: Awaited<ReturnType<typeof tempDir>>
  let proc: ChildProcess | undefined

  before(async () => { dir = await tempDir() })
  after(async () => {
    if (proc != null && proc.exitCode == null && proc.signalCode == null) proc.kill('SIGKILL')
    await dir.cleanup()
  })

  it('leaves the modules of unused features unloaded', async () => {
    const prefix = join(dir.path, 'imports')
    const recorder = join(ROOT, 'dist', 'daemon', 'test', 'support', 'import-recorder.js')
    const child = spawn(process.execPath, ['--import', recorder, BIN, 'daemon', '--data-dir', join(dir.path, 'data'), ...LOOPBACK_ARGS], {
      env: { ...process.env, FAASMESH_TEST_IMPORTS: prefix },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    proc = child
    let out = ''
    child.stdout!.on('data', (d) => { out += String(d) })
    child.stderr!.on('data', (d) => { out += String(d) })
    const exited = new Promise<number | null>((resolve) => { child.once('exit', (code) => { resolve(code) }) })
    const ready = await Promise.race([
      new Promise<boolean>((resolve) => { child.stdout!.on('data', () => { if (parseBanner(out) != null) resolve(true) }) }),
      exited.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => { resolve(false) }, 30_000))
    ])
    expect(ready, `daemon did not become ready:\n${out}`).to.equal(true)
    // a moment of idling: timers that run after the banner (adverts, the DHT's first rounds) count too
    await new Promise((resolve) => setTimeout(resolve, 2000))
    child.kill('SIGTERM')
    const timer = setTimeout(() => { child.kill('SIGKILL') }, 15_000)
    const code = await exited
    clearTimeout(timer)
    expect(code, out).to.equal(0)

    const loaded = [...(await readFile(`${prefix}.esm`, 'utf8')).split('\n'), ...(await readFile(`${prefix}.cjs`, 'utf8')).split('\n')].filter((u) => u !== '')
    // the recorder saw the daemon load (so an empty list cannot pass by accident)
    expect(loaded.some((u) => u.endsWith('/dist/daemon/src/daemon.js'))).to.equal(true)
    expect(loaded.some((u) => u.includes('/node_modules/@libp2p/kad-dht/'))).to.equal(true)
    const offending = Object.entries(LAZY).flatMap(([part, why]) => {
      const first = loaded.find((u) => u.includes(part))
      return first == null ? [] : [`${first} (${why})`]
    })
    expect(offending, 'loaded at start-up').to.deep.equal([])
  })
})
