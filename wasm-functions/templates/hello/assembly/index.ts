// A faasmesh function: bytes in, bytes out. The input is the request body (`--data`, `--file`),
// the returned buffer is the response body. Here: text in, a greeting out.
import { inputText, outputText, log } from 'faasmesh/sdk'

export function handle (input: ArrayBuffer): ArrayBuffer {
  const name = inputText(input).trim()
  log('greeting ' + name.length.toString() + ' characters')
  return outputText('Hello, ' + (name.length > 0 ? name : 'world') + '!')
}
