// sensor-baseline: learns each sensor's normal level from its readings, one reading per call, and
// flags the ones far from it. The baseline lives in the invocation's state (send a state key,
// `x-faasmesh-state-key`, e.g. the site or device id), one entry per sensor:
// `baseline:<sensor>` = count, mean and M2 as three little-endian f64 (Welford's algorithm).
// Input: `{"sensor": "s1", "value": 21.5}` or just `21.5` (sensor `default`).
// Output: `{"sensor","value","mean","stddev","count","anomaly","z"}`: `z` is the reading's
// distance from the baseline before it, in (sample) standard deviations, and the reading is an
// anomaly when |z| > 3 and that baseline had at least 5 readings. Every reading then joins the
// baseline (so a lasting change of level becomes the new normal); `mean`, `stddev` and `count`
// are the baseline after it. `z` is 0 while the baseline has fewer than 2 readings, and null when
// the baseline has no spread and the reading differs from it (an anomaly, given 5 readings).
import { inputText, outputText, parseJson, JsonWriter, state } from '../sdk'

const THRESHOLD: f64 = 3.0
const MIN_READINGS: f64 = 5
const PREFIX = 'baseline:'

export function handle (input: ArrayBuffer): ArrayBuffer {
  const doc = parseJson(inputText(input))
  let sensor = 'default'
  let value: f64 = 0
  if (doc.isNumber) {
    value = doc.num
  } else {
    const name = doc.get('sensor')
    const v = doc.get('value')
    if (!doc.isObject || v == null || !v.isNumber) abort('sensor-baseline expects a number or {"sensor": "s1", "value": 21.5}')
    if (name != null) {
      if (!name.isString || name.str.length == 0) abort('"sensor" must be a non-empty string')
      sensor = name.str
    }
    value = v!.num
  }
  if (!isFinite(value)) abort('the reading must be a finite number')

  const key = PREFIX + sensor
  const saved = state.get(key)
  let n: f64 = 0
  let mean: f64 = 0
  let m2: f64 = 0
  if (saved != null) {
    if (saved.byteLength != 24) abort('state key "' + key + '" is not a baseline')
    const at = changetype<usize>(saved)
    n = load<f64>(at)
    mean = load<f64>(at, 8)
    m2 = load<f64>(at, 16)
  }

  // judged against the baseline before this reading
  let z: f64 = 0
  if (n >= 2) {
    const sd = Math.sqrt(m2 / (n - 1))
    if (sd > 0) z = (value - mean) / sd
    else if (value != mean) z = value > mean ? Infinity : -Infinity
  }
  const anomaly = n >= MIN_READINGS && Math.abs(z) > THRESHOLD

  // Welford: one pass, numerically stable
  n += 1
  const delta = value - mean
  mean += delta / n
  m2 += delta * (value - mean)
  const next = new ArrayBuffer(24)
  const at = changetype<usize>(next)
  store<f64>(at, n)
  store<f64>(at, mean, 8)
  store<f64>(at, m2, 16)
  state.set(key, next)

  const stddev = n >= 2 ? Math.sqrt(m2 / (n - 1)) : 0
  return outputText(new JsonWriter().beginObject()
    .key('sensor').string(sensor)
    .key('value').number(value)
    .key('mean').number(round(mean))
    .key('stddev').number(round(stddev))
    .key('count').integer(<i64>n)
    .key('anomaly').boolean(anomaly)
    .key('z').number(isFinite(z) ? round(z) : NaN)
    .endObject().toString())
}

function round (x: f64): f64 {
  return Math.round(x * 1000) / 1000
}
