// sensor-parse: turns one raw reading into the JSON the sensor steps take, the first step of the
// sensor-pipeline chain (wasm-functions/chains/sensor-pipeline.json).
// Input, one reading per call: a CSV line `s1,21.5`, a JSON object `{"sensor":"s1","value":21.5}`,
// or a bare number `21.5` (sensor `default`, as sensor-baseline takes it). Surrounding whitespace
// and a trailing newline are ignored.
// Output: `{"sensor":"s1","value":21.5}`.
// Anything else aborts with a message that quotes the start of the input (the caller sees
// GuestTrapError): a missing or empty sensor, a value that is not a finite number, extra fields
// on the line, several lines.
import { inputText, outputText, parseJson, JsonWriter } from '../sdk'

// the sensor name ends up in a state key (`baseline:<sensor>`, at most 256 bytes): 64 UTF-16 code
// units are at most 192 bytes of UTF-8
const MAX_SENSOR_CHARS: i32 = 64
const FORMATS = 'expected "s1,21.5", {"sensor":"s1","value":21.5} or a number'

export function handle (input: ArrayBuffer): ArrayBuffer {
  const text = inputText(input).trim()
  if (text.length == 0) abort('sensor-parse: empty input; ' + FORMATS)
  if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) abort('sensor-parse: one reading per call, got several lines: ' + quoted(text))

  let sensor = 'default'
  let value: f64 = 0
  const first = text.charCodeAt(0)
  if (first == 0x7b) {
    // {"sensor": "s1", "value": 21.5}
    const doc = parseJson(text)
    const name = doc.get('sensor')
    const v = doc.get('value')
    if (name == null || !name.isString) abort('sensor-parse: "sensor" must be a string, in ' + quoted(text))
    if (v == null || !v.isNumber) abort('sensor-parse: "value" must be a number, in ' + quoted(text))
    sensor = name!.str.trim()
    value = v!.num
  } else if (text.indexOf(',') >= 0) {
    // s1,21.5
    const fields = text.split(',')
    if (fields.length != 2) abort('sensor-parse: a CSV reading has 2 fields, sensor,value; got ' + fields.length.toString() + ': ' + quoted(text))
    sensor = fields[0].trim()
    value = decimal(fields[1].trim(), text)
  } else {
    value = decimal(text, text)
  }

  if (sensor.length == 0) abort('sensor-parse: the sensor name is empty, in ' + quoted(text))
  if (sensor.length > MAX_SENSOR_CHARS) abort('sensor-parse: the sensor name is longer than ' + MAX_SENSOR_CHARS.toString() + ' characters, in ' + quoted(text))
  for (let i = 0; i < sensor.length; i++) {
    if (sensor.charCodeAt(i) < 0x20) abort('sensor-parse: the sensor name has a control character, in ' + quoted(text))
  }
  if (!isFinite(value)) abort('sensor-parse: the value must be a finite number, in ' + quoted(text))

  return outputText(new JsonWriter().beginObject()
    .key('sensor').string(sensor)
    .key('value').number(value)
    .endObject().toString())
}

/** A decimal number (`-1`, `21.5`, `.5`, `2.1e3`) or an abort quoting `line`: no hex, no `Infinity`, no trailing text. */
function decimal (field: string, line: string): f64 {
  let i = 0
  const n = field.length
  if (i < n && (field.charCodeAt(i) == 0x2d || field.charCodeAt(i) == 0x2b)) i++
  let digits = 0
  while (i < n && isDigit(field.charCodeAt(i))) { i++; digits++ }
  if (i < n && field.charCodeAt(i) == 0x2e) {
    i++
    while (i < n && isDigit(field.charCodeAt(i))) { i++; digits++ }
  }
  if (digits > 0 && i < n && (field.charCodeAt(i) == 0x65 || field.charCodeAt(i) == 0x45)) {
    i++
    if (i < n && (field.charCodeAt(i) == 0x2d || field.charCodeAt(i) == 0x2b)) i++
    let exponent = 0
    while (i < n && isDigit(field.charCodeAt(i))) { i++; exponent++ }
    if (exponent == 0) digits = 0
  }
  if (digits == 0 || i != n) abort('sensor-parse: the value is not a number: ' + quoted(field) + ' in ' + quoted(line) + '; ' + FORMATS)
  return parseFloat(field)
}

function isDigit (c: i32): bool {
  return c >= 0x30 && c <= 0x39
}

/** The start of `text`, quoted, for an error message. */
function quoted (text: string): string {
  return '"' + (text.length > 60 ? text.substring(0, 60) + '...' : text) + '"'
}
