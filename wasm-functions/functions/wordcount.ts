// wordcount: counts lines, words and characters of a text and lists its most frequent words
// (case-folded). Output: `{"lines","words","chars","unique","top":[{"word","count"}]}` with at
// most 10 entries in `top`, most frequent first, ties in alphabetical order.
import { inputText, outputText, JsonWriter } from '../sdk'

const TOP_WORDS: i32 = 10

function isWordChar (c: i32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    c == 0x27 || c == 0x2d || c >= 0xc0 // apostrophes, hyphens and non-ASCII letters stay in a word
}

export function handle (input: ArrayBuffer): ArrayBuffer {
  const text = inputText(input)
  const counts = new Map<string, i32>()
  let words = 0
  let lines = text.length > 0 ? 1 : 0
  let start = -1
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x20
    if (c == 0x0a && i < text.length - 1) lines++
    if (isWordChar(c)) {
      if (start < 0) start = i
    } else if (start >= 0) {
      const word = text.substring(start, i).toLowerCase()
      counts.set(word, counts.has(word) ? counts.get(word) + 1 : 1)
      words++
      start = -1
    }
  }

  const keys = counts.keys()
  const ranked = new Array<string>(keys.length)
  for (let i = 0; i < keys.length; i++) ranked[i] = keys[i]
  ranked.sort((a: string, b: string): i32 => a < b ? -1 : (a > b ? 1 : 0))
  // a stable sort by count keeps the alphabetical order among equal counts
  const byCount = new Array<string>(0)
  const top = new Array<i32>(0)
  for (let i = 0; i < ranked.length; i++) {
    const count = counts.get(ranked[i])
    let at = byCount.length
    while (at > 0 && top[at - 1] < count) at--
    if (at < TOP_WORDS) {
      // insert at `at`, shifting the less frequent ones down, and keep at most TOP_WORDS
      byCount.push(ranked[i])
      top.push(count)
      for (let j = byCount.length - 1; j > at; j--) {
        byCount[j] = byCount[j - 1]
        top[j] = top[j - 1]
      }
      byCount[at] = ranked[i]
      top[at] = count
      if (byCount.length > TOP_WORDS) { byCount.pop(); top.pop() }
    }
  }

  const out = new JsonWriter().beginObject()
    .key('lines').integer(lines)
    .key('words').integer(words)
    .key('chars').integer(text.length)
    .key('unique').integer(keys.length)
    .key('top').beginArray()
  for (let i = 0; i < byCount.length; i++) {
    out.beginObject().key('word').string(byCount[i]).key('count').integer(top[i]).endObject()
  }
  return outputText(out.endArray().endObject().toString())
}
