// A small, allocation-conscious JSON reader and writer for guest functions.
// AssemblyScript has no built-in JSON; functions exchange JSON with the gateway by convention.

export enum JsonKind { Null, Bool, Number, String, Array, Object }

/** One parsed JSON value. Objects keep their keys in document order. */
export class JsonValue {
  kind: JsonKind = JsonKind.Null
  bool: bool = false
  num: f64 = 0
  str: string = ''
  items: JsonValue[] = []
  keys: string[] = []

  static ofNumber (n: f64): JsonValue { const v = new JsonValue(); v.kind = JsonKind.Number; v.num = n; return v }

  get isNumber (): bool { return this.kind == JsonKind.Number }
  get isArray (): bool { return this.kind == JsonKind.Array }
  get isObject (): bool { return this.kind == JsonKind.Object }
  get isString (): bool { return this.kind == JsonKind.String }

  /** The member named `key` of an object, or null when absent or not an object. */
  get (key: string): JsonValue | null {
    if (this.kind != JsonKind.Object) return null
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] == key) return this.items[i]
    }
    return null
  }
}

/** Parses a complete JSON document. Malformed input aborts with a message and position, which the host reports as `GuestTrapError`. */
export function parseJson (text: string): JsonValue {
  const parser = new Parser(text)
  parser.skipSpace()
  const value = parser.value(0)
  parser.skipSpace()
  if (parser.pos != text.length) parser.fail('unexpected trailing characters')
  return value
}

// Nesting deeper than this is rejected so a hostile input cannot exhaust the guest stack.
const MAX_DEPTH: i32 = 64

class Parser {
  pos: i32 = 0
  constructor (public text: string) {}

  fail (message: string): void {
    abort('invalid JSON: ' + message + ' at ' + this.pos.toString())
  }

  skipSpace (): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos)
      if (c != 0x20 && c != 0x0a && c != 0x0d && c != 0x09) break
      this.pos++
    }
  }

  value (depth: i32): JsonValue {
    if (depth > MAX_DEPTH) this.fail('nesting too deep')
    if (this.pos >= this.text.length) this.fail('unexpected end')
    const c = this.text.charCodeAt(this.pos)
    if (c == 0x7b) return this.object(depth)
    if (c == 0x5b) return this.array(depth)
    if (c == 0x22) { const v = new JsonValue(); v.kind = JsonKind.String; v.str = this.string(); return v }
    if (c == 0x74) { this.literal('true'); const v = new JsonValue(); v.kind = JsonKind.Bool; v.bool = true; return v }
    if (c == 0x66) { this.literal('false'); const v = new JsonValue(); v.kind = JsonKind.Bool; return v }
    if (c == 0x6e) { this.literal('null'); return new JsonValue() }
    return JsonValue.ofNumber(this.number())
  }

  literal (word: string): void {
    if (this.text.substr(this.pos, word.length) != word) this.fail('unexpected token')
    this.pos += word.length
  }

  number (): f64 {
    const start = this.pos
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos)
      // digits, sign, decimal point and exponent characters
      if ((c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x2b || c == 0x2e || c == 0x65 || c == 0x45) this.pos++
      else break
    }
    if (start == this.pos) this.fail('unexpected token')
    const n = parseFloat(this.text.substring(start, this.pos))
    if (isNaN(n)) this.fail('bad number')
    return n
  }

  string (): string {
    this.pos++ // opening quote
    let out = ''
    let runStart = this.pos
    while (true) {
      if (this.pos >= this.text.length) this.fail('unterminated string')
      const c = this.text.charCodeAt(this.pos)
      if (c == 0x22) break
      if (c == 0x5c) {
        out += this.text.substring(runStart, this.pos)
        this.pos++
        const e = this.text.charCodeAt(this.pos)
        if (e == 0x6e) out += '\n'
        else if (e == 0x74) out += '\t'
        else if (e == 0x72) out += '\r'
        else if (e == 0x62) out += '\b'
        else if (e == 0x66) out += '\f'
        else if (e == 0x75) {
          const code = I32.parseInt(this.text.substr(this.pos + 1, 4), 16)
          if (isNaN(<f64>code)) this.fail('bad unicode escape')
          out += String.fromCharCode(code)
          this.pos += 4
        } else out += String.fromCharCode(e)
        this.pos++
        runStart = this.pos
        continue
      }
      this.pos++
    }
    out += this.text.substring(runStart, this.pos)
    this.pos++ // closing quote
    return out
  }

  array (depth: i32): JsonValue {
    const v = new JsonValue()
    v.kind = JsonKind.Array
    this.pos++
    this.skipSpace()
    if (this.peek() == 0x5d) { this.pos++; return v }
    while (true) {
      this.skipSpace()
      v.items.push(this.value(depth + 1))
      this.skipSpace()
      const c = this.peek()
      this.pos++
      if (c == 0x5d) return v
      if (c != 0x2c) this.fail("expected ',' or ']'")
    }
  }

  object (depth: i32): JsonValue {
    const v = new JsonValue()
    v.kind = JsonKind.Object
    this.pos++
    this.skipSpace()
    if (this.peek() == 0x7d) { this.pos++; return v }
    while (true) {
      this.skipSpace()
      if (this.peek() != 0x22) this.fail('expected a key')
      v.keys.push(this.string())
      this.skipSpace()
      if (this.peek() != 0x3a) this.fail("expected ':'")
      this.pos++
      this.skipSpace()
      v.items.push(this.value(depth + 1))
      this.skipSpace()
      const c = this.peek()
      this.pos++
      if (c == 0x7d) return v
      if (c != 0x2c) this.fail("expected ',' or '}'")
    }
  }

  peek (): i32 {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1
  }
}

/** Builds a JSON document left to right: `new JsonWriter().beginObject().key('n').number(1).endObject().toString()`. */
export class JsonWriter {
  private parts: string[] = []
  // true when the next value in the current container needs a comma before it
  private needsComma: bool[] = [false]

  beginObject (): JsonWriter { this.separate(); this.parts.push('{'); this.needsComma.push(false); return this }
  endObject (): JsonWriter { this.needsComma.pop(); this.parts.push('}'); return this }
  beginArray (): JsonWriter { this.separate(); this.parts.push('['); this.needsComma.push(false); return this }
  endArray (): JsonWriter { this.needsComma.pop(); this.parts.push(']'); return this }

  key (name: string): JsonWriter {
    this.separate()
    this.parts.push(quote(name) + ':')
    // the value that follows a key takes no comma
    this.needsComma[this.needsComma.length - 1] = false
    return this
  }

  number (n: f64): JsonWriter {
    this.separate()
    // JSON has no NaN or Infinity
    if (!isFinite(n)) this.parts.push('null')
    else if (n == Math.floor(n) && Math.abs(n) < 9007199254740992) this.parts.push((<i64>n).toString())
    else this.parts.push(n.toString())
    return this
  }

  integer (n: i64): JsonWriter { this.separate(); this.parts.push(n.toString()); return this }
  string (s: string): JsonWriter { this.separate(); this.parts.push(quote(s)); return this }
  boolean (b: bool): JsonWriter { this.separate(); this.parts.push(b ? 'true' : 'false'); return this }
  null (): JsonWriter { this.separate(); this.parts.push('null'); return this }

  toString (): string { return this.parts.join('') }

  private separate (): void {
    const top = this.needsComma.length - 1
    if (this.needsComma[top]) this.parts.push(',')
    this.needsComma[top] = true
  }
}

function quote (s: string): string {
  let out = '"'
  let runStart = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c == 0x22 || c == 0x5c || c < 0x20) {
      out += s.substring(runStart, i)
      if (c == 0x22) out += '\\"'
      else if (c == 0x5c) out += '\\\\'
      else if (c == 0x0a) out += '\\n'
      else if (c == 0x09) out += '\\t'
      else if (c == 0x0d) out += '\\r'
      else out += '\\u' + c.toString(16).padStart(4, '0')
      runStart = i + 1
    }
  }
  return out + s.substring(runStart) + '"'
}
