import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'

const MIN_CID_LENGTH = 48

/** The CID of a module: CIDv1, raw codec, sha2-256 of the bytes (DESIGN.md section 2). */
export async function cidOf (bytes: Uint8Array): Promise<string> {
  return CID.createV1(raw.code, await sha256.digest(bytes)).toString()
}

/** The canonical string of `text` if it is a CIDv1 raw sha2-256 CID, else undefined. */
export function parseFunctionCid (text: string): string | undefined {
  // a sha2-256 CIDv1 is at least 48 characters in any multibase: names (and most typos) stop
  // here, without the exception CID.parse would throw on every name-based invocation
  if (text.length < MIN_CID_LENGTH) return undefined
  try {
    const cid = CID.parse(text)
    if (cid.version !== 1 || cid.code !== raw.code || cid.multihash.code !== sha256.code) return undefined
    return cid.toString()
  } catch {
    return undefined
  }
}
