/**
 * How a chain step's input is made of its predecessors' outputs (DESIGN.md section 11): one
 * predecessor, its bytes as they are; several, the JSON object `{ "<step id>": <its output
 * parsed as JSON> }`, in the order the spec lists them.
 */
import { InvalidChainError } from '../errors.js'

export interface InputPart {
  /** The producing step's id. */
  step: string
  bytes: Uint8Array
}

const decoder = new TextDecoder('utf-8', { fatal: true })
const encoder = new TextEncoder()

export function combineInputs (parts: InputPart[]): Uint8Array {
  if (parts.length === 1) return parts[0]!.bytes
  const combined: Record<string, unknown> = {}
  for (const part of parts) {
    try {
      combined[part.step] = JSON.parse(decoder.decode(part.bytes))
    } catch {
      throw new InvalidChainError(`the output of step "${part.step}" is not JSON, so it cannot be combined with the other inputs of the step after it`)
    }
  }
  return encoder.encode(JSON.stringify(combined))
}
