// fib: the n-th Fibonacci number computed by naive recursion, a deliberately CPU-bound workload
// for placement experiments (cost grows ~1.6^n). Input: `30` or `{"n":30}`. Output: `{"n":30,"fib":832040}`.
import { inputText, outputText, parseJson, JsonWriter } from '../sdk'

// fib(78) is the largest that f64 represents exactly; recursion that deep would never finish anyway.
const MAX_N: i32 = 78

function fib (n: i32): f64 {
  return n < 2 ? <f64>n : fib(n - 1) + fib(n - 2)
}

export function handle (input: ArrayBuffer): ArrayBuffer {
  const doc = parseJson(inputText(input))
  const field = doc.isObject ? doc.get('n') : doc
  if (field == null || !field.isNumber) abort('fib expects a number or {"n": number}')
  const n = <i32>field!.num
  if (n < 0 || n > MAX_N) abort('n must be between 0 and 78')
  return outputText(new JsonWriter().beginObject()
    .key('n').integer(n)
    .key('fib').number(fib(n))
    .endObject().toString())
}
