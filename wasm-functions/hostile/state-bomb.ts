// Hostile fixture: writes its state past the caps. By default it sets 64 KiB values under new
// keys (`bomb-0`, `bomb-1`...), which passes `state.maxBytes` (1 MiB by default) at the 16th;
// with input `keys` it sets 1-byte values under new keys, which passes the 4096-key cap. Either
// way StateTooLargeError. The loops are bounded (2^20 sets), so a host that lets every write
// through sees it return, with a write set far past the caps.
import { inputText, state } from '../sdk'

export function handle (input: ArrayBuffer): ArrayBuffer {
  const manyKeys = inputText(input) == 'keys'
  const value = new ArrayBuffer(manyKeys ? 1 : 64 * 1024)
  for (let i = 0; i < 1 << 20; i++) state.set('bomb-' + i.toString(), value)
  return input
}
