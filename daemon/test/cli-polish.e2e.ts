/**
 * The CLI's first impressions (issue 16): bare `faasmesh` is a usage error, every output ends
 * with a newline, a taken port is one line naming the option that moves it, and a daemon started
 * through npm (`npm start`, `npx faasmesh daemon`) stops when npm is signalled.
 */
import { createServer, type Server } from 'node:net'
import { expect } from 'chai'
import { startStubGateway } from './gateway-stub.js'
import { LOOPBACK_ARGS } from './support/loopback.js'
import { killNpmGroups, startThroughNpm } from './support/npm.js'
import { tempDir } from './support/paths.js'
import { killAll, runCli } from './support/processes.js'
import { waitFor } from './support/wait.js'
import type { Gateway } from '../src/gateway/index.js'
import { cliInProcess as cli, type CliRun as Run } from './support/cli-run.js'


/** Resolves once a TCP listener can take 127.0.0.1:`port`, i.e. nothing holds it. */
async function isFree (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => { resolve(false) })
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => { server.close(() => { resolve(true) }) })
  })
}

/** A listener holding a free port of 127.0.0.1, as another program would. */
async function occupy (): Promise<{ server: Server, port: number }> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve))
  return { server, port: (server.address() as { port: number }).port }
}

describe('CLI polish: help, newlines, taken ports, signals through npm', function () {
  this.timeout(120_000)

  describe('in-process', function () {
    let stub: Gateway
    before(async function () {
      stub = await startStubGateway({})
    })
    after(async function () {
      await stub?.stop()
    })

    it('bare `faasmesh` prints the help to stderr and exits 2; `help` and `--help` print it to stdout and exit 0', async function () {
      const bare = await cli([])
      expect(bare.code).to.equal(2)
      expect(bare.stdout).to.equal('')
      expect(bare.stderr).to.match(/^faasmesh: a peer-to-peer/).and.include('Usage: faasmesh <command> [options]')
      for (const asked of [['help'], ['--help'], ['-h']]) {
        const help = await cli(asked)
        expect(help.code, asked[0]).to.equal(0)
        expect(help.stderr).to.equal('')
        expect(help.stdout).to.equal(bare.stderr)
      }
    })

    it('every output ends with a newline: help, version, text, JSON, errors and a function\'s output', async function () {
      const api = ['--api', stub.url]
      const runs: Array<[string[], Run]> = []
      for (const args of [
        ['--version'], ['help', 'invoke'], ['invoke', '--help'], ['launch'], ['deploy', 'x'],
        ['health', ...api], ['health', '--json', ...api], ['functions', ...api], ['functions', '--json', ...api], ['peers', ...api],
        ['invoke', 'echo', '--data', 'no newline here', ...api], ['invoke', 'echo', '--data', '{"a":1}', '--json', ...api],
        ['invoke', 'echo', '--data', 'x', '--verbose', ...api],
        ['health', '--api', 'http://127.0.0.1:1']
      ]) runs.push([args, await cli(args)])
      for (const [args, run] of runs) {
        expect(run.stdout.length + run.stderr.length, args.join(' ')).to.be.greaterThan(0)
        for (const text of [run.stdout, run.stderr]) {
          if (text !== '') expect(text.endsWith('\n'), `${args.join(' ')}: ${JSON.stringify(text.slice(-40))}`).to.equal(true)
        }
      }
      // the function's output itself is unchanged but for the newline
      expect(runs.find(([a]) => a.includes('no newline here'))![1].stdout).to.equal('no newline here\n')
    })

    it('invoke --raw writes the output exactly as the function returned it', async function () {
      const raw = await cli(['invoke', 'echo', '--data', 'exact bytes', '--raw', '--api', stub.url])
      expect(raw.code, raw.stderr).to.equal(0)
      expect(raw.stdout).to.equal('exact bytes')
      // an output that already ends with a newline gets no second one
      expect((await cli(['invoke', 'echo', '--data', 'line\n', '--api', stub.url])).stdout).to.equal('line\n')
    })
  })

  describe('a port already in use', function () {
    let dir: Awaited<ReturnType<typeof tempDir>>
    let held: { server: Server, port: number }
    before(async function () {
      dir = await tempDir()
      held = await occupy()
    })
    after(async function () {
      held?.server.close()
      killAll()
      await dir?.cleanup()
    })

    it('the gateway\'s: one line naming --api-listen, exit 1', async function () {
      const run = await runCli(['daemon', '--data-dir', dir.path, ...LOOPBACK_ARGS, '--api-listen', `127.0.0.1:${held.port}`], { timeoutMs: 60_000 })
      expect(run.code, run.stderr).to.equal(1)
      expect(run.stderr).to.equal(`error: AddressInUseError: 127.0.0.1:${held.port} is already in use (the gateway's address): choose another with --api-listen HOST:PORT (api.listen)\n`)
    })

    it('libp2p\'s: one line naming --listen, exit 1', async function () {
      const addr = `/ip4/127.0.0.1/tcp/${held.port}`
      const run = await runCli(['daemon', '--data-dir', dir.path, ...LOOPBACK_ARGS, '--listen', addr], { timeoutMs: 60_000 })
      expect(run.code, run.stderr).to.equal(1)
      // LOOPBACK_ARGS's own --listen (port 0) stays: only the taken address is named
      expect(run.stderr).to.equal(`error: AddressInUseError: ${addr} is already in use (a libp2p listen address): choose another with --listen MULTIADDR (libp2p.listen)\n`)
    })
  })

  describe('started through npm, stopped by signalling npm', function () {
    let dir: Awaited<ReturnType<typeof tempDir>>
    before(async function () {
      dir = await tempDir()
    })
    after(async function () {
      killNpmGroups()
      await dir?.cleanup()
    })

    async function stopsWithNpm (args: string[]): Promise<void> {
      const { npm, banner, output } = await startThroughNpm(args)
      const ports = [Number(new URL(banner.url).port), Number(/\/tcp\/(\d+)/.exec(banner.multiaddr)![1])]
      expect(await Promise.all(ports.map(isFree))).to.deep.equal([false, false])
      npm.kill('SIGTERM')
      // both ports come free: the daemon drained and exited, it did not outlive npm
      await waitFor(async () => (await Promise.all(ports.map(isFree))).every(Boolean), 30_000, `ports ${ports.join(', ')} freed`)
      await waitFor(() => output().includes('\nstopped\n'), 10_000, 'the daemon\'s "stopped" line')
    }

    it('npm start: SIGTERM to npm stops the daemon and frees its ports', async function () {
      await stopsWithNpm(['start', '--', '--data-dir', `${dir.path}/start`, ...LOOPBACK_ARGS])
    })

    it('npm exec, as `npx faasmesh daemon` runs it: SIGTERM to npm stops the daemon and frees its ports', async function () {
      // `npx faasmesh` from a clone links this package into npm's cache (building it once) and runs
      // its bin under `sh -c`, exactly as `npm exec -c` does here without the link
      await stopsWithNpm(['exec', '-c', `node bin/faasmesh.js daemon --data-dir ${dir.path}/exec ${LOOPBACK_ARGS.join(' ')}`])
    })
  })
})
