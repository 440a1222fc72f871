/**
 * mDNS discovery: two daemons with no bootstrap list find and connect to each other. They run in
 * a network namespace this test creates, so the multicast never leaves it.
 */
import { expect } from 'chai'
import { createLoopbackNetns, netnsUnavailable } from './support/netns.js'
import { tempDir } from './support/paths.js'
import { killAll, runCli, startDaemon, type DaemonProcess } from './support/processes.js'
import { waitFor } from './support/wait.js'

describe('mDNS discovery (in a private network namespace)', function () {
  this.timeout(60_000)
  let netns: ReturnType<typeof createLoopbackNetns> | undefined
  const dirs: Array<{ cleanup(): Promise<void> }> = []

  before(function () {
    const why = netnsUnavailable()
    if (why != null) {
      // eslint-disable-next-line no-console
      console.log(`      skipped: ${why}; mDNS is only ever tested inside a namespace the test owns`)
      this.skip()
    }
    netns = createLoopbackNetns(`faasmesh-mdns-${process.pid}`)
  })

  after(async function () {
    killAll()
    netns?.remove()
    await Promise.all(dirs.map(async (d) => { await d.cleanup() }))
  })

  it('two daemons without a bootstrap list discover and dial each other', async function () {
    const daemons: DaemonProcess[] = []
    for (let i = 0; i < 2; i++) {
      const dir = await tempDir()
      dirs.push(dir)
      daemons.push(await startDaemon(dir.path, [], { FAASMESH_ADVERTS_INTERVAL_MS: '500' }, { prefix: netns!.prefix, mdns: true }))
    }
    const [a, b] = daemons as [DaemonProcess, DaemonProcess]
    expect(a.output()).to.include('mDNS on')
    const peersOf = async (d: DaemonProcess): Promise<string[]> => {
      const out = await runCli(['peers', '--json', '--api', d.url], { prefix: netns!.prefix })
      return out.code === 0 ? JSON.parse(out.stdout).map((p: any) => p.peerId) : []
    }
    await waitFor(async () => (await peersOf(a)).includes(b.peerId) && (await peersOf(b)).includes(a.peerId), 20_000, 'mDNS discovery')
  })
})
