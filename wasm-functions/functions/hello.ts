// hello: greets whoever the input names. `world` -> `Hello, world!`
import { inputText, outputText } from '../sdk'

export function handle (input: ArrayBuffer): ArrayBuffer {
  const name = inputText(input).trim()
  return outputText('Hello, ' + (name.length > 0 ? name : 'world') + '!')
}
