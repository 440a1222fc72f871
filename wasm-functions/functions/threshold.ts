// threshold: binarises a greyscale image, the first step of most cheap on-device vision.
// Input: a binary PGM (P5, 8-bit) image. Output: a PGM of the same size where each pixel is 255
// if it is at or above the threshold, else 0. The threshold is Otsu's, computed from the image's
// histogram, so no parameter is needed.
import { bytesOf } from '../sdk'

class Cursor { pos: i32 = 0 }

function readToken (bytes: Uint8Array, cur: Cursor): i32 {
  // skip whitespace and '#' comments between header fields
  while (cur.pos < bytes.length) {
    const c = bytes[cur.pos]
    if (c == 0x23) { while (cur.pos < bytes.length && bytes[cur.pos] != 0x0a) cur.pos++ }
    else if (c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09) cur.pos++
    else break
  }
  let value = 0
  const start = cur.pos
  while (cur.pos < bytes.length && bytes[cur.pos] >= 0x30 && bytes[cur.pos] <= 0x39) {
    value = value * 10 + (bytes[cur.pos] - 0x30)
    if (value > 1 << 20) abort('PGM header value too large')
    cur.pos++
  }
  if (cur.pos == start) abort('malformed PGM header')
  return value
}

function otsu (histogram: StaticArray<f64>, total: f64): i32 {
  let sum = 0.0
  for (let i = 0; i < 256; i++) sum += <f64>i * histogram[i]
  let sumBackground = 0.0
  let weightBackground = 0.0
  let best = 0.0
  let threshold = 0
  for (let t = 0; t < 256; t++) {
    weightBackground += histogram[t]
    if (weightBackground == 0) continue
    const weightForeground = total - weightBackground
    if (weightForeground == 0) break
    sumBackground += <f64>t * histogram[t]
    const meanB = sumBackground / weightBackground
    const meanF = (sum - sumBackground) / weightForeground
    const between = weightBackground * weightForeground * (meanB - meanF) * (meanB - meanF)
    if (between > best) { best = between; threshold = t + 1 }
  }
  return threshold
}

export function handle (input: ArrayBuffer): ArrayBuffer {
  const bytes = bytesOf(input)
  if (bytes.length < 2 || bytes[0] != 0x50 || bytes[1] != 0x35) abort('threshold expects a binary PGM (P5) image')
  const cur = new Cursor()
  cur.pos = 2
  const width = readToken(bytes, cur)
  const height = readToken(bytes, cur)
  const maxValue = readToken(bytes, cur)
  if (maxValue != 255) abort('only 8-bit PGM images (maxval 255) are supported')
  cur.pos++ // the single whitespace byte that ends the header
  const pixels = width * height
  if (pixels <= 0 || cur.pos + pixels > bytes.length) abort('PGM pixel data is truncated')

  const histogram = new StaticArray<f64>(256)
  for (let i = 0; i < pixels; i++) histogram[bytes[cur.pos + i]] += 1
  const t = otsu(histogram, <f64>pixels)

  const header = String.UTF8.encode('P5\n' + width.toString() + ' ' + height.toString() + '\n255\n')
  const out = new Uint8Array(header.byteLength + pixels)
  out.set(Uint8Array.wrap(header), 0)
  const base = header.byteLength
  for (let i = 0; i < pixels; i++) out[base + i] = bytes[cur.pos + i] >= <u8>t ? 255 : 0
  return out.buffer
}
