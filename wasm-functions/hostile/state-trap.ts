// Hostile fixture: writes its state, then fails. The write must never leave the sandbox: the
// invocation ends in GuestTrapError and the state stays as it was. Input `unreachable` traps
// with an `unreachable` instruction instead of aborting.
import { inputText, state } from '../sdk'

export function handle (input: ArrayBuffer): ArrayBuffer {
  state.setString('count', '999')
  state.delete('keep')
  if (inputText(input) == 'unreachable') unreachable()
  abort('failing after a write')
  return input
}
