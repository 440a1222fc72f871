/**
 * The attached back end (what `faasmesh testbed compose` + run.sh drive) against a gateway that
 * listens beyond loopback, as a compose node's does: it sends the node's token from mesh.json.
 * A real daemon on 0.0.0.0, reached through 127.0.0.1.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { tokenStore } from '../../daemon/src/auth/index.js'
import { tempDir } from '../../daemon/test/support/paths.js'
import { killAll, startDaemon } from '../../daemon/test/support/processes.js'
import { AttachedMesh } from '../src/attached-mesh.js'

describe('testbed: an attached mesh of tokened gateways', function () {
  this.timeout(120_000)

  after(function () {
    killAll()
  })

  it('sets links with the token from mesh.json; without it the gateway refuses', async function () {
    const dir = await tempDir('faasmesh-attached-')
    try {
      const data = join(dir.path, 'nodes', 'n0')
      const { token } = await tokenStore({ dataDir: data })().create({ scope: 'admin', name: 'testbed' })
      const node = await startDaemon(data, ['--api-listen', '0.0.0.0:0'], { FAASMESH_TESTBED_CONTROL: 'true' })
      try {
        const hostUrl = `http://127.0.0.1:${new URL(node.url).port}`
        const links = { rules: [], blocked: [] }
        const attach = async (withToken: boolean): Promise<AttachedMesh> => {
          const file = join(dir.path, `mesh-${String(withToken)}.json`)
          await writeFile(file, JSON.stringify({ project: 'p', nodes: [{ name: 'n0', hostUrl, peerId: node.peerId, ...(withToken ? { token } : {}) }] }))
          const mesh = new AttachedMesh(file)
          await mesh.start(() => {}, AbortSignal.timeout(60_000))
          return mesh
        }
        await (await attach(true)).setLinks('n0', links)
        const refused = await (await attach(false)).setLinks('n0', links).then(() => undefined, (err: Error) => err)
        expect(refused?.message).to.match(/answered 401: .*UnauthorizedError/)
      } finally {
        await node.stop()
      }
    } finally {
      await dir.cleanup()
    }
  })
})
