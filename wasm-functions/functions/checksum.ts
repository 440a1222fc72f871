// checksum: integrity digests of arbitrary bytes (firmware blocks, sensor dumps): CRC-32
// (IEEE 802.3, as zlib), Adler-32 and FNV-1a 64. Output: `{"bytes","crc32","adler32","fnv1a64"}`
// with the digests as lowercase hex.
import { outputText, bytesOf, JsonWriter } from '../sdk'

const CRC_TABLE = new StaticArray<u32>(256)
for (let n: u32 = 0; n < 256; n++) {
  let c = n
  for (let k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  CRC_TABLE[n] = c
}

function hex (value: u64, digits: i32): string {
  return value.toString(16).padStart(digits, '0')
}

export function handle (input: ArrayBuffer): ArrayBuffer {
  const bytes = bytesOf(input)
  let crc: u32 = 0xffffffff
  let a: u32 = 1
  let b: u32 = 0
  let fnv: u64 = 0xcbf29ce484222325
  for (let i = 0; i < bytes.length; i++) {
    const byte = unchecked(bytes[i])
    crc = unchecked(CRC_TABLE[(crc ^ byte) & 0xff]) ^ (crc >>> 8)
    a = (a + byte) % 65521
    b = (b + a) % 65521
    fnv = (fnv ^ <u64>byte) * 0x100000001b3
  }
  return outputText(new JsonWriter().beginObject()
    .key('bytes').integer(bytes.length)
    .key('crc32').string(hex(<u64>(crc ^ 0xffffffff), 8))
    .key('adler32').string(hex(<u64>((b << 16) | a), 8))
    .key('fnv1a64').string(hex(fnv, 16))
    .endObject().toString())
}
