/**
 * @packageDocumentation
 *
 * The node's identity: an Ed25519 key generated on first run and kept in
 * `<dataDir>/identity.key` (libp2p's protobuf key encoding, mode 0600), so the peer id stays the
 * same across restarts. libp2p is handed the same key (issue: the mesh).
 */
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { InvalidConfigError } from '../errors.js'
import type { PeerId, PrivateKey } from '@libp2p/interface'

export const IDENTITY_FILE = 'identity.key'

export interface Identity {
  privateKey: PrivateKey
  peerId: PeerId
}

export async function loadOrCreateIdentity (dataDir: string): Promise<Identity> {
  const file = join(dataDir, IDENTITY_FILE)
  let privateKey: PrivateKey
  try {
    const bytes = await readFile(file)
    try {
      privateKey = privateKeyFromProtobuf(bytes)
    } catch (err: any) {
      throw new InvalidConfigError(`${file}: not a valid private key (${String(err?.message ?? err)}); move it away to generate a new identity`)
    }
    // the key is the node's identity: nobody else on the machine may read it
    if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600)
  } catch (err: any) {
    if (err?.code !== 'ENOENT') throw err
    await mkdir(dataDir, { recursive: true, mode: 0o700 })
    privateKey = await generateKeyPair('Ed25519')
    // 'wx': never overwrite a key another process wrote in the meantime
    await writeFile(file, privateKeyToProtobuf(privateKey), { mode: 0o600, flag: 'wx' })
  }
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey) }
}
