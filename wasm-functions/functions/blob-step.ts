// blob-step: a cheap byte transform for moving data through chains (the chains benchmark,
// bench/chains.bench.ts). Input: any bytes. Output: as many bytes, each one plus 1 (mod 256).
// n steps of it in a row add n to every byte, so a chain's output shows that each step ran once.
// It touches every byte once, 8 at a time, so it costs little next to moving the bytes.
import { bytesOf } from '../sdk'

// every byte's low 7 bits, and its top bit
const LOW: u64 = 0x7f7f7f7f7f7f7f7f
const HIGH: u64 = 0x8080808080808080
const ONES: u64 = 0x0101010101010101

export function handle (input: ArrayBuffer): ArrayBuffer {
  const n = input.byteLength
  const output = new ArrayBuffer(n)
  const src = changetype<usize>(input)
  const dst = changetype<usize>(output)
  const words = n & ~7
  // per byte: the low 7 bits plus 1 cannot carry into the next byte; the top bit flips when they carried
  for (let i = 0; i < words; i += 8) {
    const x = load<u64>(src + <usize>i)
    store<u64>(dst + <usize>i, ((x & LOW) + ONES) ^ (x & HIGH))
  }
  const bytes = bytesOf(output)
  const from = bytesOf(input)
  for (let i = words; i < n; i++) unchecked(bytes[i] = unchecked(from[i]) + 1)
  return output
}
