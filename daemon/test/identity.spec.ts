import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { IDENTITY_FILE, loadOrCreateIdentity } from '../src/identity/index.js'
import { expectError } from './contracts/executor.js'
import { tempDir } from './support/paths.js'

describe('identity', function () {
  it('creates an Ed25519 key on first run, readable by the owner only, and reuses it', async function () {
    const dir = await tempDir()
    try {
      const first = await loadOrCreateIdentity(dir.path)
      expect(first.privateKey.type).to.equal('Ed25519')
      expect((await stat(join(dir.path, IDENTITY_FILE))).mode & 0o777).to.equal(0o600)
      const again = await loadOrCreateIdentity(dir.path)
      expect(again.peerId.toString()).to.equal(first.peerId.toString())
    } finally {
      await dir.cleanup()
    }
  })

  it('refuses a damaged key file with InvalidConfigError instead of replacing it', async function () {
    const dir = await tempDir()
    try {
      await writeFile(join(dir.path, IDENTITY_FILE), 'garbage', { mode: 0o600 })
      await expectError(loadOrCreateIdentity(dir.path), 'InvalidConfigError')
    } finally {
      await dir.cleanup()
    }
  })
})
