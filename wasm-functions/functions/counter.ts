// counter: counts in the invocation's state (send a state key, `x-faasmesh-state-key`). Adds the
// input (an integer as text, default 1) to the count kept under the key `count`, as decimal
// text, and returns the new count. Two concurrent calls on one state key never lose an increment:
// each invocation is a transaction on its state key.
import { inputText, outputText, state } from '../sdk'

const KEY = 'count'

export function handle (input: ArrayBuffer): ArrayBuffer {
  const text = inputText(input).trim()
  const by = text.length > 0 ? parseInteger(text, 'the increment') : 1
  const count = parseInteger(state.getString(KEY, '0'), 'the stored count') + by
  const next = count.toString()
  state.setString(KEY, next)
  return outputText(next)
}

/** A decimal integer (an optional sign, then 1-18 digits), or an abort naming `what`. */
function parseInteger (text: string, what: string): i64 {
  let start = 0
  if (text.length > 0 && (text.charCodeAt(0) == 0x2d || text.charCodeAt(0) == 0x2b)) start = 1
  // 18 digits: never overflows an i64, and a count past 1e18 is not a count
  const digits = text.length - start
  if (digits < 1 || digits > 18) abort(what + ' is not an integer: "' + text.substring(0, 40) + '"')
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x30 || c > 0x39) abort(what + ' is not an integer: "' + text.substring(0, 40) + '"')
  }
  return I64.parseInt(text, 10)
}
