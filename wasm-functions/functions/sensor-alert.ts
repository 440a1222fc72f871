// sensor-alert: turns sensor-baseline's verdict into an alert, the last step of the
// sensor-pipeline chain (wasm-functions/chains/sensor-pipeline.json).
// Input: sensor-baseline's output, `{"sensor","value","mean","stddev","count","anomaly","z"}`
// (`z` may be null: a reading that differs from a baseline with no spread).
// Output: `{"sensor","value","alert":true|false,"level":"ok"|"anomaly","message":"..."}`: the
// alert follows sensor-baseline's `anomaly`, and the message says why in words, e.g.
// `s1: 25 is 4.21 standard deviations above its baseline (now mean 21.35, stddev 1.13 over 12 readings)`.
// Input that is not such an object aborts, naming the missing or mistyped field.
import { inputText, outputText, parseJson, JsonKind, JsonValue, JsonWriter } from '../sdk'

// sensor-baseline flags nothing until its baseline holds this many readings
const MIN_READINGS: f64 = 5

export function handle (input: ArrayBuffer): ArrayBuffer {
  const doc = parseJson(inputText(input))
  if (!doc.isObject) abort('sensor-alert expects sensor-baseline\'s output, {"sensor","value","mean","stddev","count","anomaly","z"}')
  const sensor = field(doc, 'sensor', JsonKind.String).str
  const value = field(doc, 'value', JsonKind.Number).num
  const mean = field(doc, 'mean', JsonKind.Number).num
  const stddev = field(doc, 'stddev', JsonKind.Number).num
  const count = field(doc, 'count', JsonKind.Number).num
  const anomaly = field(doc, 'anomaly', JsonKind.Bool).bool
  const z = doc.get('z')
  if (z == null || (!z.isNumber && z.kind != JsonKind.Null)) abort('sensor-alert: "z" must be a number or null')
  const spread = z!.isNumber

  const baseline = 'now mean ' + num(mean) + ', stddev ' + num(stddev) + ' over ' + num(count) + ' readings'
  let message: string
  if (anomaly) {
    message = spread
      ? sensor + ': ' + num(value) + ' is ' + num(Math.abs(z!.num)) + ' standard deviations ' + (z!.num > 0 ? 'above' : 'below') + ' its baseline (' + baseline + ')'
      : sensor + ': ' + num(value) + ' differs from a baseline with no spread (' + baseline + ')'
  } else if (count <= MIN_READINGS) {
    message = sensor + ': ' + num(value) + ' recorded; learning the baseline (' + num(count) + ' of ' + num(MIN_READINGS) + ' readings before alerts)'
  } else {
    message = sensor + ': ' + num(value) + ' is within its baseline (' + (spread ? 'z ' + num(z!.num) + ', ' : '') + baseline + ')'
  }

  return outputText(new JsonWriter().beginObject()
    .key('sensor').string(sensor)
    .key('value').number(value)
    .key('alert').boolean(anomaly)
    .key('level').string(anomaly ? 'anomaly' : 'ok')
    .key('message').string(message)
    .endObject().toString())
}

/** The member `name` of `doc`, of kind `kind`, or an abort naming it. */
function field (doc: JsonValue, name: string, kind: JsonKind): JsonValue {
  const v = doc.get(name)
  if (v == null) abort('sensor-alert: "' + name + '" is missing; expected sensor-baseline\'s output')
  if (v!.kind != kind) abort('sensor-alert: "' + name + '" must be ' + (kind == JsonKind.String ? 'a string' : kind == JsonKind.Number ? 'a number' : 'true or false'))
  return v!
}

/** A number as people write it: `25`, not `25.0`; at most 2 decimals. */
function num (x: f64): string {
  const r = Math.round(x * 100) / 100
  if (r == Math.floor(r) && Math.abs(r) < 9007199254740992) return (<i64>r).toString()
  return r.toString()
}
