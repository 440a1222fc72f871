// faasmesh guest SDK for AssemblyScript functions.
//
// The host ABI is bytes in, bytes out: a function exports
//   `handle(input: ArrayBuffer): ArrayBuffer`
// and this SDK gives it the small conveniences most functions need: UTF-8 text, a JSON reader and
// writer, logging through the host, and the state API (`state.get/set/delete/keys`). See
// ../README.md for the full contract.

export { JsonValue, JsonKind, parseJson, JsonWriter } from './json'
export { state } from './state'

// The host reads at most 1 KiB per message and a bounded number of messages per invocation;
// anything beyond that is dropped by the host, never by the guest.
@external('faasmesh', 'log')
declare function hostLog (ptr: usize, length: usize): void

/** Decodes the invocation input as UTF-8 text. */
export function inputText (input: ArrayBuffer): string {
  return String.UTF8.decode(input)
}

/** Encodes text as the UTF-8 output bytes of the invocation. */
export function outputText (text: string): ArrayBuffer {
  return String.UTF8.encode(text)
}

/** Writes a line to the host's log for this function (shown with `DEBUG=faasmesh:fn:*`). */
export function log (message: string): void {
  const bytes = String.UTF8.encode(message)
  hostLog(changetype<usize>(bytes), <usize>bytes.byteLength)
}

/** The bytes of an ArrayBuffer as a Uint8Array view, without copying. */
export function bytesOf (buffer: ArrayBuffer): Uint8Array {
  return Uint8Array.wrap(buffer)
}
