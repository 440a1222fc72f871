/**
 * The invoke protocol's status enum <-> the daemon's named errors, both ways, so an error on
 * the executing node reaches the caller under the same name it would have had locally.
 */
import { InvokeResponse } from '../../../protocols/src/invoke/index.js'
import {
  DeadlineExceededError, ExecutionTimeoutError, FunctionNotFoundError, GuestTrapError, InvalidModuleError, InvocationConflictError, NoCapacityError,
  InvalidStateError, InvalidStateKeyError, NodeStoppingError, OutOfFuelError, OutOfMemoryError, PayloadTooLargeError, StateConflictError, StateTooLargeError,
  StateUnavailableError, UnsupportedStateModelError, ChainDataUnavailableError, InvalidChainError
} from '../errors.js'

const Status = InvokeResponse.Status

const BY_NAME: Record<string, InvokeResponse.Status> = {
  [FunctionNotFoundError.name]: Status.NOT_FOUND,
  [NoCapacityError.name]: Status.REFUSED,
  [ExecutionTimeoutError.name]: Status.TIMEOUT,
  [OutOfFuelError.name]: Status.OUT_OF_FUEL,
  [OutOfMemoryError.name]: Status.OUT_OF_MEMORY,
  [GuestTrapError.name]: Status.TRAP,
  [PayloadTooLargeError.name]: Status.TOO_LARGE,
  [DeadlineExceededError.name]: Status.DEADLINE,
  [InvalidModuleError.name]: Status.INVALID_MODULE,
  [InvocationConflictError.name]: Status.CONFLICT,
  [NodeStoppingError.name]: Status.STOPPING,
  [StateConflictError.name]: Status.STATE_CONFLICT,
  [StateUnavailableError.name]: Status.STATE_UNAVAILABLE,
  [StateTooLargeError.name]: Status.STATE_TOO_LARGE,
  [InvalidStateError.name]: Status.STATE_INVALID,
  [InvalidStateKeyError.name]: Status.STATE_KEY_INVALID,
  [UnsupportedStateModelError.name]: Status.STATE_UNSUPPORTED,
  [ChainDataUnavailableError.name]: Status.INPUT_UNAVAILABLE,
  [InvalidChainError.name]: Status.INPUT_INVALID
}

const BY_STATUS: Partial<Record<InvokeResponse.Status, new (message: string) => Error>> = {
  [Status.NOT_FOUND]: FunctionNotFoundError,
  [Status.REFUSED]: NoCapacityError,
  [Status.TIMEOUT]: ExecutionTimeoutError,
  [Status.OUT_OF_FUEL]: OutOfFuelError,
  [Status.OUT_OF_MEMORY]: OutOfMemoryError,
  [Status.TRAP]: GuestTrapError,
  [Status.TOO_LARGE]: PayloadTooLargeError,
  [Status.DEADLINE]: DeadlineExceededError,
  [Status.INVALID_MODULE]: InvalidModuleError,
  [Status.CONFLICT]: InvocationConflictError,
  [Status.STOPPING]: NodeStoppingError,
  [Status.STATE_CONFLICT]: StateConflictError,
  [Status.STATE_UNAVAILABLE]: StateUnavailableError,
  [Status.STATE_TOO_LARGE]: StateTooLargeError,
  [Status.STATE_INVALID]: InvalidStateError,
  [Status.STATE_KEY_INVALID]: InvalidStateKeyError,
  [Status.STATE_UNSUPPORTED]: UnsupportedStateModelError,
  [Status.INPUT_UNAVAILABLE]: ChainDataUnavailableError,
  [Status.INPUT_INVALID]: InvalidChainError
}

export function statusOf (err: unknown): InvokeResponse.Status {
  return BY_NAME[(err as Error | undefined)?.name ?? ''] ?? Status.ERROR
}

/** The error a non-OK response stands for, with the executing peer's message. */
export function errorOf (response: InvokeResponse, peer: string): Error {
  const Ctor = BY_STATUS[response.status]
  const message = `${peer}: ${response.message !== '' ? response.message : response.status.toLowerCase()}`
  if (Ctor != null) return new Ctor(message)
  const err = new Error(message)
  err.name = 'RemoteInvocationError'
  return err
}

/**
 * Outcomes that belong to the function, its input or its state, not to the node that ran it:
 * another node would answer the same (the state lives elsewhere, the same for every node), so
 * they go straight back to the caller instead of being retried.
 */
export function isFunctionOutcome (status: InvokeResponse.Status): boolean {
  return status === Status.TIMEOUT || status === Status.OUT_OF_FUEL || status === Status.OUT_OF_MEMORY ||
    status === Status.TRAP || status === Status.TOO_LARGE || status === Status.INVALID_MODULE ||
    status === Status.STATE_CONFLICT || status === Status.STATE_UNAVAILABLE || status === Status.STATE_TOO_LARGE ||
    status === Status.STATE_INVALID || status === Status.STATE_KEY_INVALID ||
    // a chain step's input is where it is for every node: gone, or not combinable, for all
    status === Status.INPUT_UNAVAILABLE || status === Status.INPUT_INVALID
}
