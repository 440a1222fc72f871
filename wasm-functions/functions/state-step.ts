// state-step: one step of a synthetic stateful chain (the testbed's state-models experiment,
// docs/experiments.md). Everything it does is said by its input, so one function serves chains
// of any length and any sizes.
//
// Input: a header line, then padding. The header is JSON:
//   {"i": 0, "plan": [[stateBytes, outBytes, work], ...]}
// Step `i` of the plan:
//   - reads the state entry `blob` (when stateBytes > 0: the call needs a state key) and writes it
//     back with stateBytes bytes (derived from what it read, so every run changes it);
//   - burns `work` units of fuel (a fill of a scratch buffer: one unit per byte, little real CPU,
//     so a testbed node's slowdown turns it into emulated processing time);
//   - returns the same header with `i` + 1, padded to outBytes bytes (at least the header).
// The next step of the chain gets that output as its input. A plan entry past the end, or a
// missing one, aborts.
import { parseJson, JsonWriter, state } from '../sdk'

const KEY = 'blob'
const NEWLINE: u8 = 0x0a
/** A scratch buffer filled over and over to burn fuel: 64 KiB stays in cache. */
const SCRATCH_BYTES: i32 = 64 * 1024
/** The header is small; a longer first line is no header. */
const MAX_HEADER_BYTES: i32 = 4096

export function handle (input: ArrayBuffer): ArrayBuffer {
  const bytes = Uint8Array.wrap(input)
  let end = 0
  const limit = min(bytes.length, MAX_HEADER_BYTES)
  while (end < limit && unchecked(bytes[end]) != NEWLINE) end++
  const doc = parseJson(String.UTF8.decodeUnsafe(changetype<usize>(input), <usize>end))
  const index = doc.get('i')
  const plan = doc.get('plan')
  if (index == null || !index.isNumber || plan == null || !plan.isArray) abort('state-step expects a header {"i": 0, "plan": [[state, out, work], ...]}')
  const i = <i32>index!.num
  if (i < 0 || i >= plan!.items.length) abort('state-step: step ' + i.toString() + ' is not in the plan')
  const entry = plan!.items[i]
  if (!entry.isArray || entry.items.length != 3) abort('state-step: plan[' + i.toString() + '] is not [state, out, work]')
  const stateBytes = <i32>entry.items[0].num
  const outBytes = <i32>entry.items[1].num
  const work = <i64>entry.items[2].num

  if (stateBytes > 0) {
    const before = state.get(KEY)
    // derived from the state read, so a run that saw another snapshot writes other bytes
    const seed: u8 = before == null || before.byteLength == 0 ? 1 : <u8>(load<u8>(changetype<usize>(before)) + 1)
    const next = new ArrayBuffer(stateBytes)
    memory.fill(changetype<usize>(next), seed, <usize>stateBytes)
    state.set(KEY, next)
  }

  if (work > 0) {
    const scratch = new ArrayBuffer(SCRATCH_BYTES)
    let left = work
    while (left > 0) {
      const n = left > <i64>SCRATCH_BYTES ? SCRATCH_BYTES : <i32>left
      memory.fill(changetype<usize>(scratch), <u8>(left & 0xff), <usize>n)
      left -= <i64>n
    }
  }

  const writer = new JsonWriter().beginObject().key('i').integer(<i64>(i + 1)).key('plan').beginArray()
  for (let k = 0; k < plan!.items.length; k++) {
    const e = plan!.items[k]
    writer.beginArray()
    for (let j = 0; j < e.items.length; j++) writer.integer(<i64>e.items[j].num)
    writer.endArray()
  }
  const header = String.UTF8.encode(writer.endArray().endObject().toString() + '\n')
  const size = max(outBytes, header.byteLength)
  const out = new ArrayBuffer(size)
  memory.copy(changetype<usize>(out), changetype<usize>(header), <usize>header.byteLength)
  if (size > header.byteLength) memory.fill(changetype<usize>(out) + <usize>header.byteLength, 0x2e, <usize>(size - header.byteLength))
  return out
}
