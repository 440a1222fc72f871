/**
 * The CLI end to end against a real daemon process on 127.0.0.1: the README's tour, the error
 * paths, signals, and a restart that keeps functions and the peer id.
 */
import { join } from 'node:path'
import { expect } from 'chai'
import { ROOT, tempDir } from './support/paths.js'
import { killAll, runCli, startDaemon, type DaemonProcess } from './support/processes.js'

const HELLO = join(ROOT, 'build', 'hello.wasm')

describe('faasmesh CLI against a daemon process', function () {
  this.timeout(60_000)
  let dir: { path: string, cleanup(): Promise<void> }
  let daemon: DaemonProcess
  const cli = async (...args: string[]): ReturnType<typeof runCli> => runCli([...args, '--api', daemon.url])

  before(async function () {
    dir = await tempDir()
    // fuel high enough that the runaway fixture meets the deadline, not the fuel budget
    daemon = await startDaemon(dir.path, ['--slots', '2'], { FAASMESH_EXECUTOR_FUEL: '1000000000000' })
  })

  after(async function () {
    await daemon?.stop('SIGKILL')
    killAll()
    await dir?.cleanup()
  })

  it('prints help for the tool and for each command', async function () {
    const help = await runCli(['--help'])
    expect(help.code).to.equal(0)
    for (const command of ['daemon', 'deploy', 'invoke', 'functions', 'health']) expect(help.stdout).to.include(command)
    const invokeHelp = await runCli(['invoke', '--help'])
    expect(invokeHelp.stdout).to.include('--data').and.include('--file').and.include('--policy').and.include('--api')
  })

  it('exits 2 with usage on an unknown command, a missing argument or an unknown flag', async function () {
    expect((await runCli(['launch'])).code).to.equal(2)
    const missing = await runCli(['deploy', 'hello'])
    expect(missing.code).to.equal(2)
    expect(missing.stderr).to.include('Usage: faasmesh deploy')
    expect((await runCli(['health', '--colour'])).code).to.equal(2)
  })

  it('deploy, invoke, functions and health: the README tour', async function () {
    const deployed = await cli('deploy', 'hello', HELLO)
    expect(deployed.code, deployed.stderr).to.equal(0)
    expect(deployed.stdout).to.match(/deployed hello \(v1\)/).and.match(/cid\s+bafkrei/)

    const invoked = await cli('invoke', 'hello', '--data', 'world')
    expect(invoked.code, invoked.stderr).to.equal(0)
    expect(invoked.stdout).to.equal('Hello, world!\n')

    const functions = await cli('functions')
    expect(functions.stdout).to.match(/^NAME\s+CID\s+SIZE\s+ORIGIN\s+WARM/).and.match(/\nhello\s+bafkrei\S+\s+2\.\d KiB\s+local, pinned\s+yes/)

    const health = await cli('health')
    expect(health.code).to.equal(0)
    expect(health.stdout).to.match(/^ok/).and.include(daemon.peerId)
  })

  it('gives machine-readable output with --json', async function () {
    const deployed = JSON.parse((await cli('deploy', 'hello2', HELLO, '--json')).stdout)
    expect(deployed).to.include({ name: 'hello2', version: 1 })
    const invoked = JSON.parse((await cli('invoke', deployed.cid, '--data', 'json', '--json')).stdout)
    expect(invoked).to.include({ output: 'Hello, json!', executor: daemon.peerId, cid: deployed.cid })
    expect(invoked.fuel).to.be.greaterThan(0)
    const functions = JSON.parse((await cli('functions', '--json')).stdout)
    expect(functions.map((f: any) => f.cid)).to.include(deployed.cid)
    expect(JSON.parse((await cli('health', '--json')).stdout)).to.include({ ok: true, peerId: daemon.peerId })
  })

  it('reads input from a file or standard input, and explains where it ran with --verbose', async function () {
    await cli('deploy', 'stats', join(ROOT, 'build', 'sensor-stats.wasm'))
    const fromStdin = await runCli(['invoke', 'stats', '--file', '-', '--verbose', '--api', daemon.url], { stdin: '[2, 4, 4, 4, 5, 5, 7, 9]' })
    expect(JSON.parse(fromStdin.stdout)).to.include({ count: 8, mean: 5, stddev: 2 })
    expect(fromStdin.stderr).to.include(`executor   ${daemon.peerId}`).and.match(/fuel\s+\d+/)
    // a lone node auctions among itself: one bid asked, one received, and it won
    expect(fromStdin.stderr).to.match(/bids 1\/1 \(received\/asked\)/).and.match(/\*\s+12D3KooW\S+ \(self\)\s+bid\s/).and.match(/attempts:\n\s+12D3KooW\S+ \(self\)\s+ok/)
    const fromFile = await cli('invoke', 'hello', '--file', HELLO.replace('hello.wasm', '../package.json'))
    expect(fromFile.code).to.equal(0)
  })

  it('exits 1 with the daemon\'s named error', async function () {
    const missing = await cli('invoke', 'nope')
    expect(missing.code).to.equal(1)
    expect(missing.stderr).to.match(/^error: FunctionNotFoundError: /)
    const forbidden = await cli('deploy', 'bad', join(ROOT, 'build', 'hostile', 'forbidden-import.wasm'))
    expect(forbidden.code).to.equal(1)
    expect(forbidden.stderr).to.include('ForbiddenImportError').and.include('env.fs_read')
    const trap = await cli('deploy', 'trap', join(ROOT, 'build', 'hostile', 'trap.wasm'))
    expect(trap.code).to.equal(0)
    expect((await cli('invoke', 'trap')).stderr).to.match(/^error: GuestTrapError: /)
  })

  it('exits 2 for a file it cannot read and 1 when no daemon answers', async function () {
    expect((await cli('deploy', 'x', '/nonexistent.wasm')).code).to.equal(2)
    const unreachable = await runCli(['health', '--api', 'http://127.0.0.1:9'])
    expect(unreachable.code).to.equal(1)
    expect(unreachable.stderr).to.include('DaemonUnreachableError')
  })

  it('survives hostile functions: the runaway one times out and health still answers', async function () {
    await cli('deploy', 'loop', join(ROOT, 'build', 'hostile', 'loop.wasm'))
    const res = await fetch(`${daemon.url}/v1/invoke/loop`, { method: 'POST', headers: { 'x-faasmesh-deadline-ms': '300' } })
    expect(res.status).to.equal(504)
    expect((await res.json()).error.name).to.equal('DeadlineExceededError')
    expect((await cli('health')).code).to.equal(0)
  })

  it('stops cleanly on SIGTERM and keeps functions and peer id across a restart', async function () {
    const code = await daemon.stop('SIGTERM', 10_000)
    expect(code).to.equal(0)
    expect(daemon.output()).to.include('SIGTERM: stopping').and.include('stopped')
    const before = daemon.peerId
    daemon = await startDaemon(dir.path)
    expect(daemon.peerId).to.equal(before)
    expect((await cli('invoke', 'hello', '--data', 'again')).stdout).to.equal('Hello, again!\n')
    expect((await cli('functions')).stdout).to.include('hello').and.include('stats')
  })

  it('stops cleanly on SIGINT (Ctrl-C)', async function () {
    const other = await tempDir()
    try {
      const second = await startDaemon(other.path)
      expect(await second.stop('SIGINT', 10_000)).to.equal(0)
    } finally {
      await other.cleanup()
    }
  })

  it('refuses a bad configuration with InvalidConfigError naming the setting', async function () {
    const bad = await runCli(['daemon', '--data-dir', dir.path, '--api-listen', 'nowhere'])
    expect(bad.code).to.equal(1)
    expect(bad.stderr).to.include('InvalidConfigError').and.include('api.listen: expected host:port')
    const env = await runCli(['daemon', '--data-dir', dir.path], { env: { FAASMESH_EXECUTOR_SLOTS: 'many' } })
    expect(env.stderr).to.include('executor.slots').and.include('FAASMESH_EXECUTOR_SLOTS')
  })
})
