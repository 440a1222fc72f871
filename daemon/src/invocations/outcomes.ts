import {
  ExecutionTimeoutError, GuestTrapError, InvalidModuleError, OutOfFuelError, OutOfMemoryError, PayloadTooLargeError
} from '../errors.js'

/**
 * Failures that belong to the function and its input: the run happened, and another run would
 * end the same way, so a repeat of the id gets them as recorded. Every other failure (refused,
 * not found, cancelled, the deadline, the node stopping) proves the run did not happen or left
 * no effect, and is forgotten, so that a repeat may run it.
 */
const FUNCTION_ERRORS = new Set([
  ExecutionTimeoutError.name, OutOfFuelError.name, OutOfMemoryError.name, GuestTrapError.name, PayloadTooLargeError.name, InvalidModuleError.name
])

export function isFunctionError (err: unknown): boolean {
  return FUNCTION_ERRORS.has((err as Error | undefined)?.name ?? '')
}
