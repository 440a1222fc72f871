// A faasmesh function with state: counts calls per state key. Invoke it with a state key
// (`faasmesh invoke <name> --state-key door-7`, or the `x-faasmesh-state-key` header); each call
// is a transaction on that key's state, so concurrent calls never lose an increment. The input
// is the increment (an integer as text, default 1); the output is the new count.
import { inputText, outputText, state } from 'faasmesh/sdk'

export function handle (input: ArrayBuffer): ArrayBuffer {
  const text = inputText(input).trim()
  const by = text.length > 0 ? I64.parseInt(text, 10) : 1
  const count = state.getI64('count') + by
  state.setI64('count', count)
  return outputText(count.toString())
}
