import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { envName, loadConfig, SETTINGS } from '../src/config/index.js'
import { readFileSync } from 'node:fs'
import { ROOT, tempDir } from './support/paths.js'

function configError (fn: () => unknown): { name: string, message: string } {
  try {
    fn()
  } catch (err: any) {
    return { name: err.name, message: err.message }
  }
  throw new Error('expected InvalidConfigError')
}

describe('config', function () {
  it('has defaults for every setting, with the data dir under the home directory', function () {
    const config = loadConfig({ env: {}, home: '/home/ada' })
    expect(config.dataDir).to.equal('/home/ada/.faasmesh')
    expect(config.api.listen).to.equal('127.0.0.1:8787')
    expect(config.executor).to.include({ memoryPages: 256, timeoutMs: 5000, fuel: 1e9, maxInputBytes: 1 << 20, maxOutputBytes: 1 << 20 })
    expect(config.store.maxModuleBytes).to.equal(4 << 20)
  })

  it('layers defaults < config file < FAASMESH_* environment < flags', async function () {
    const dir = await tempDir()
    try {
      const file = join(dir.path, 'config.json')
      await writeFile(file, JSON.stringify({ api: { listen: '0.0.0.0:9000' }, executor: { slots: 3, timeoutMs: 1000, fuel: 5000 } }))
      const config = loadConfig({
        configFile: file,
        env: { FAASMESH_EXECUTOR_TIMEOUT_MS: '2000', FAASMESH_EXECUTOR_FUEL: '6000' },
        flags: { 'executor.fuel': '7000' },
        home: '/h'
      })
      expect(config.api.listen).to.equal('0.0.0.0:9000') // file
      expect(config.executor.slots).to.equal(3) // file
      expect(config.executor.timeoutMs).to.equal(2000) // env over file
      expect(config.executor.fuel).to.equal(7000) // flag over env
    } finally {
      await dir.cleanup()
    }
  })

  it('reads lists, tags and booleans from flags, the environment and the file alike', async function () {
    const dir = await tempDir()
    try {
      const file = join(dir.path, 'config.json')
      await writeFile(file, JSON.stringify({ tags: { region: 'eu' }, libp2p: { mdns: false } }))
      const fromFile = loadConfig({ configFile: file, env: {}, home: '/h' })
      expect(fromFile.tags).to.deep.equal({ region: 'eu' })
      expect(fromFile.libp2p.mdns).to.equal(false)
      const fromEnv = loadConfig({ env: { FAASMESH_TAGS: 'tier=edge, power=battery', FAASMESH_LIBP2P_LISTEN: '/ip4/127.0.0.1/tcp/1,/ip4/127.0.0.1/tcp/2', FAASMESH_LIBP2P_MDNS: 'no' }, home: '/h' })
      expect(fromEnv.tags).to.deep.equal({ tier: 'edge', power: 'battery' })
      expect(fromEnv.libp2p.listen).to.deep.equal(['/ip4/127.0.0.1/tcp/1', '/ip4/127.0.0.1/tcp/2'])
      expect(fromEnv.libp2p.mdns).to.equal(false)
      const fromFlags = loadConfig({ env: {}, home: '/h', flags: { tags: ['arch=arm64', 'region=us'], 'libp2p.bootstrap': ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWLuFqyUFLH9seLmVVdMyqTJLaC9bu5yTi6Db61ktwD4C9'] } })
      expect(fromFlags.tags).to.deep.equal({ arch: 'arm64', region: 'us' })
      expect(fromFlags.libp2p.bootstrap).to.have.length(1)
      expect(loadConfig({ env: {}, home: '/h' }).libp2p).to.deep.equal({ listen: ['/ip4/0.0.0.0/tcp/0'], bootstrap: [], mdns: true })
    } finally {
      await dir.cleanup()
    }
  })

  it('names environment variables after the dotted path', function () {
    expect(envName('executor.timeoutMs')).to.equal('FAASMESH_EXECUTOR_TIMEOUT_MS')
    expect(envName('dataDir')).to.equal('FAASMESH_DATA_DIR')
    expect(envName('api.listen')).to.equal('FAASMESH_API_LISTEN')
  })

  // golden messages: input -> exact error text
  const golden: Array<[string, Parameters<typeof loadConfig>[0], string]> = [
    ['a malformed listen address', { env: { FAASMESH_API_LISTEN: 'localhost' } },
      'api.listen: expected host:port with a port from 0 to 65535, got "localhost" (from FAASMESH_API_LISTEN)'],
    ['a port out of range', { flags: { 'api.listen': '127.0.0.1:70000' } },
      'api.listen: expected host:port with a port from 0 to 65535, got "127.0.0.1:70000" (from the command line)'],
    ['zero slots', { flags: { 'executor.slots': '0' } },
      'executor.slots: expected an integer from 1 to 256, got "0" (from the command line)'],
    ['a non-numeric timeout', { env: { FAASMESH_EXECUTOR_TIMEOUT_MS: '5s' } },
      'executor.timeoutMs: expected an integer from 1 to 60000, got "5s" (from FAASMESH_EXECUTOR_TIMEOUT_MS)'],
    ['a memory cap over the ceiling', { flags: { 'executor.memoryPages': 100000 } },
      'executor.memoryPages: expected an integer from 1 to 4096, got 100000 (from the command line)'],
    ['an unknown setting', { flags: { 'executor.slot': 2 } },
      'executor.slot: unknown setting (from the command line)'],
    ['a missing config file', { configFile: '/nonexistent/faasmesh.json' },
      'config file /nonexistent/faasmesh.json: not found'],
    ['a listen address that is not a multiaddr', { flags: { 'libp2p.listen': ['127.0.0.1:4001'] } },
      'libp2p.listen: "127.0.0.1:4001" is not a multiaddr such as /ip4/127.0.0.1/tcp/4001 (from the command line)'],
    ['a malformed bootstrap address in the environment', { env: { FAASMESH_LIBP2P_BOOTSTRAP: '/ip4/127.0.0.1/tcp/1,/ip9/x' } },
      'libp2p.bootstrap: "/ip9/x" is not a multiaddr such as /ip4/127.0.0.1/tcp/4001 (from FAASMESH_LIBP2P_BOOTSTRAP)'],
    ['a tag without a value', { flags: { tags: ['region'] } },
      'tags: expected key=value labels (key: a-z, 0-9, \'.\', \'_\', \'-\'; value: at most 64 characters), got "region" (from the command line)'],
    ['a boolean that is not one', { env: { FAASMESH_LIBP2P_MDNS: 'maybe' } },
      'libp2p.mdns: expected true or false, got "maybe" (from FAASMESH_LIBP2P_MDNS)']
  ]
  for (const [what, sources, message] of golden) {
    it(`rejects ${what} with the exact message`, function () {
      expect(configError(() => loadConfig({ env: {}, home: '/h', ...sources }))).to.deep.equal({ name: 'InvalidConfigError', message })
    })
  }

  it('reports every bad setting at once, one per line', function () {
    const { message } = configError(() => loadConfig({ env: { FAASMESH_EXECUTOR_SLOTS: 'x', FAASMESH_EXECUTOR_FUEL: '-1' }, home: '/h' }))
    expect(message.split('\n')).to.have.length(2)
  })

  it('rejects a config file that is not a JSON object, naming the file', async function () {
    const dir = await tempDir()
    try {
      const file = join(dir.path, 'bad.json')
      await writeFile(file, '[1, 2')
      expect(configError(() => loadConfig({ env: {}, configFile: file })).message).to.match(new RegExp(`^config file ${file}: `))
    } finally {
      await dir.cleanup()
    }
  })

  it('is documented: docs/config.md lists every setting and its environment variable', function () {
    const doc = readFileSync(join(ROOT, 'docs', 'config.md'), 'utf8')
    for (const setting of SETTINGS) {
      expect(doc, setting.path).to.include(`\`${setting.path}\``)
      expect(doc, setting.path).to.include(`\`${envName(setting.path)}\``)
    }
  })
})
