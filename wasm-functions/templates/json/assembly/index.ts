// A faasmesh function that takes and returns JSON (the convention at the gateway):
// `{"values": [3, 1, 4]}` -> `{"count":3,"sum":8,"max":4}`. Malformed JSON aborts with the
// position, which the caller sees as GuestTrapError.
import { inputText, outputText, parseJson, JsonWriter } from 'faasmesh/sdk'

export function handle (input: ArrayBuffer): ArrayBuffer {
  const doc = parseJson(inputText(input))
  const values = doc.get('values')
  if (values == null || !values.isArray) abort('expected {"values": [numbers]}')
  let sum: f64 = 0
  let max: f64 = -Infinity
  const items = values!.items
  for (let i = 0; i < items.length; i++) {
    if (!items[i].isNumber) abort('values[' + i.toString() + '] is not a number')
    sum += items[i].num
    max = Math.max(max, items[i].num)
  }
  const out = new JsonWriter().beginObject()
    .key('count').integer(items.length)
    .key('sum').number(sum)
    .key('max').number(items.length > 0 ? max : 0)
    .endObject()
  return outputText(out.toString())
}
