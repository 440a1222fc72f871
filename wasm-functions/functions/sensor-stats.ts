// sensor-stats: summary statistics and z-score anomalies over a batch of sensor readings, the
// typical job an IoT gateway offloads.
// Input: `[20.1, 20.4, ...]` or `{"readings": [...], "threshold": 2.5}` (threshold in standard
// deviations, default 2). Output:
// `{"count","min","max","mean","stddev","anomalies":[{"index","value","z"}]}`.
import { inputText, outputText, parseJson, JsonValue, JsonWriter } from '../sdk'

const DEFAULT_THRESHOLD: f64 = 2.0

export function handle (input: ArrayBuffer): ArrayBuffer {
  const doc = parseJson(inputText(input))
  let threshold = DEFAULT_THRESHOLD
  let list: JsonValue | null = doc
  if (doc.isObject) {
    list = doc.get('readings')
    const t = doc.get('threshold')
    if (t != null && t.isNumber) threshold = t.num
  }
  if (list == null || !list.isArray) abort('sensor-stats expects an array of numbers or {"readings": [...]}')
  const items = list!.items
  const n = items.length
  const values = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    if (!items[i].isNumber) abort('reading ' + i.toString() + ' is not a number')
    values[i] = items[i].num
  }

  let min = Infinity
  let max = -Infinity
  let sum = 0.0
  for (let i = 0; i < n; i++) {
    const v = values[i]
    if (v < min) min = v
    if (v > max) max = v
    sum += v
  }
  const mean = n > 0 ? sum / <f64>n : NaN
  let squares = 0.0
  for (let i = 0; i < n; i++) {
    const d = values[i] - mean
    squares += d * d
  }
  // population standard deviation: the readings are the whole batch, not a sample of it
  const stddev = n > 0 ? Math.sqrt(squares / <f64>n) : NaN

  const out = new JsonWriter().beginObject()
    .key('count').integer(n)
    .key('min').number(n > 0 ? min : NaN)
    .key('max').number(n > 0 ? max : NaN)
    .key('mean').number(mean)
    .key('stddev').number(stddev)
    .key('anomalies').beginArray()
  if (stddev > 0) {
    for (let i = 0; i < n; i++) {
      const z = (values[i] - mean) / stddev
      if (Math.abs(z) > threshold) {
        out.beginObject().key('index').integer(i).key('value').number(values[i])
          .key('z').number(Math.round(z * 1000) / 1000).endObject()
      }
    }
  }
  return outputText(out.endArray().endObject().toString())
}
