/**
 * The daemon's named errors. Callers branch on `err.name` (it survives worker and process
 * boundaries, where `instanceof` does not); the gateway maps each name to an HTTP status in one
 * table (`gateway/status.ts`). The set and the statuses are fixed by DESIGN.md section 2.
 */

/** The bytes are not a usable module: not Wasm, wrong exports, unsupported features. */
export class InvalidModuleError extends Error {
  static name = 'InvalidModuleError'
  constructor (message = 'Invalid Wasm module') {
    super(message)
    this.name = 'InvalidModuleError'
  }
}

/** The module imports something outside the host allowlist. */
export class ForbiddenImportError extends Error {
  static name = 'ForbiddenImportError'
  constructor (message = 'Module imports a forbidden host function') {
    super(message)
    this.name = 'ForbiddenImportError'
  }
}

/** No function with that name or CID is known. */
export class FunctionNotFoundError extends Error {
  static name = 'FunctionNotFoundError'
  constructor (message = 'Function not found') {
    super(message)
    this.name = 'FunctionNotFoundError'
  }
}

/** The name exists here, but not the version asked for (rollback), or it has no earlier one. */
export class VersionNotFoundError extends Error {
  static name = 'VersionNotFoundError'
  constructor (message = 'Version not found') {
    super(message)
    this.name = 'VersionNotFoundError'
  }
}

/** A plain name is published by several peers the node does not trust; `publisher/name` picks one. */
export class AmbiguousNameError extends Error {
  static name = 'AmbiguousNameError'
  constructor (message = 'Several publishers claim that name') {
    super(message)
    this.name = 'AmbiguousNameError'
  }
}

/** A module, an input or an output is larger than its cap. */
export class PayloadTooLargeError extends Error {
  static name = 'PayloadTooLargeError'
  constructor (message = 'Payload too large') {
    super(message)
    this.name = 'PayloadTooLargeError'
  }
}

/** The guest ran past its wall-clock limit and its worker was terminated. */
export class ExecutionTimeoutError extends Error {
  static name = 'ExecutionTimeoutError'
  constructor (message = 'Execution timed out') {
    super(message)
    this.name = 'ExecutionTimeoutError'
  }
}

/** The guest used up its fuel (instruction budget). */
export class OutOfFuelError extends Error {
  static name = 'OutOfFuelError'
  constructor (message = 'Out of fuel') {
    super(message)
    this.name = 'OutOfFuelError'
  }
}

/** The guest tried to grow its memory past the cap. */
export class OutOfMemoryError extends Error {
  static name = 'OutOfMemoryError'
  constructor (message = 'Out of memory') {
    super(message)
    this.name = 'OutOfMemoryError'
  }
}

/** The guest trapped: abort, unreachable, stack overflow, out-of-bounds access. */
export class GuestTrapError extends Error {
  static name = 'GuestTrapError'
  constructor (message = 'Guest trapped') {
    super(message)
    this.name = 'GuestTrapError'
  }
}

/** No execution slot is free and the queue is full. */
export class NoCapacityError extends Error {
  static name = 'NoCapacityError'
  constructor (message = 'No capacity to run the invocation') {
    super(message)
    this.name = 'NoCapacityError'
  }
}

/** The caller's deadline passed before the invocation could finish. */
export class DeadlineExceededError extends Error {
  static name = 'DeadlineExceededError'
  constructor (message = 'Deadline exceeded') {
    super(message)
    this.name = 'DeadlineExceededError'
  }
}

/**
 * The node is stopping: it takes nothing new, and a run it had to stop on the way out left no
 * effect. Never a function error: callers try another node.
 */
export class NodeStoppingError extends Error {
  static name = 'NodeStoppingError'
  constructor (message = 'The node is stopping') {
    super(message)
    this.name = 'NodeStoppingError'
  }
}

/** An invocation id was sent again with another function or input than the first time (DESIGN.md section 9). */
export class InvocationConflictError extends Error {
  static name = 'InvocationConflictError'
  constructor (message = 'The invocation id was used for another invocation') {
    super(message)
    this.name = 'InvocationConflictError'
  }
}

/** A state key, or a key inside a state, breaks its pattern or length (DESIGN.md section 10). */
export class InvalidStateKeyError extends Error {
  static name = 'InvalidStateKeyError'
  constructor (message = 'Invalid state key') {
    super(message)
    this.name = 'InvalidStateKeyError'
  }
}

/** An in-client state that is not a faasmesh state: bad base64, wrong format version, checksum or encoding. */
export class InvalidStateError extends Error {
  static name = 'InvalidStateError'
  constructor (message = 'Invalid state') {
    super(message)
    this.name = 'InvalidStateError'
  }
}

/** A state above its caps: a guest writing past them, or an in-client state header too large. Nothing is stored. */
export class StateTooLargeError extends Error {
  static name = 'StateTooLargeError'
  constructor (message = 'The state is too large') {
    super(message)
    this.name = 'StateTooLargeError'
  }
}

/** Concurrent invocations kept changing the state key: the invocation was re-run its bounded number of times. */
export class StateConflictError extends Error {
  static name = 'StateConflictError'
  constructor (message = 'The state changed under every try') {
    super(message)
    this.name = 'StateConflictError'
  }
}

/** The state cannot be reached (its home is gone, no replica answers, the database is down): never an empty state instead. */
export class StateUnavailableError extends Error {
  static name = 'StateUnavailableError'
  constructor (message = 'The state is unavailable') {
    super(message)
    this.name = 'StateUnavailableError'
  }
}

/** In-edge: a key's queue at its primary is full, or a transaction waited too long for its turn (answered BUSY). */
export class KeyBusyError extends Error {
  static name = 'KeyBusyError'
  constructor (message = 'The state key is busy') {
    super(message)
    this.name = 'KeyBusyError'
  }
}

/** A state model this node does not offer (an unknown name, or `external` with no database configured). */
export class UnsupportedStateModelError extends Error {
  static name = 'UnsupportedStateModelError'
  constructor (message = 'Unsupported state model') {
    super(message)
    this.name = 'UnsupportedStateModelError'
  }
}

/** The configuration is invalid; the message names the dotted path of the bad setting. */
export class InvalidConfigError extends Error {
  static name = 'InvalidConfigError'
  constructor (message = 'Invalid configuration') {
    super(message)
    this.name = 'InvalidConfigError'
  }
}

/** An address the node is to listen on is taken (another daemon?); the message names the option that moves it. */
export class AddressInUseError extends Error {
  static name = 'AddressInUseError'
  constructor (message = 'Address already in use') {
    super(message)
    this.name = 'AddressInUseError'
  }
}

/** A request parameter (name, header, flag) is malformed. */
export class InvalidParametersError extends Error {
  static name = 'InvalidParametersError'
  constructor (message = 'Invalid parameters') {
    super(message)
    this.name = 'InvalidParametersError'
  }
}

/** The operation was cancelled by its caller (the HTTP client went away, or Ctrl-C). */
export class AbortError extends Error {
  static name = 'AbortError'
  constructor (message = 'The operation was aborted') {
    super(message)
    this.name = 'AbortError'
  }
}

/** The component is not started (or already stopped). */
export class NotStartedError extends Error {
  static name = 'NotStartedError'
  constructor (message = 'Not started') {
    super(message)
    this.name = 'NotStartedError'
  }
}

/** The HTTP route does not exist. */
export class RouteNotFoundError extends Error {
  static name = 'RouteNotFoundError'
  constructor (message = 'No such route') {
    super(message)
    this.name = 'RouteNotFoundError'
  }
}

/** The HTTP route exists but not for this method. */
export class MethodNotAllowedError extends Error {
  static name = 'MethodNotAllowedError'
  constructor (message = 'Method not allowed') {
    super(message)
    this.name = 'MethodNotAllowedError'
  }
}

/** The request may not do this: a cross-site request to a mutating route, or a gateway token without the route's scope. */
export class ForbiddenError extends Error {
  static name = 'ForbiddenError'
  constructor (message = 'Forbidden') {
    super(message)
    this.name = 'ForbiddenError'
  }
}

/** Publisher trust (allowlist mode) cannot vouch for the code: not deployed here, and no valid record of a trusted publisher names it. */
export class UntrustedPublisherError extends Error {
  static name = 'UntrustedPublisherError'
  constructor (message = 'No trusted publisher vouches for this code') {
    super(message)
    this.name = 'UntrustedPublisherError'
  }
}

/** The trust list (`<dataDir>/trust.json`) cannot be read or is not a valid list of publishers. */
export class TrustListError extends Error {
  static name = 'TrustListError'
  constructor (message = 'The trust list cannot be read') {
    super(message)
    this.name = 'TrustListError'
  }
}

/** A route that needs a gateway token got none, a malformed one, or one this node does not know (unknown or revoked). */
export class UnauthorizedError extends Error {
  static name = 'UnauthorizedError'
  constructor (message = 'Unauthorized') {
    super(message)
    this.name = 'UnauthorizedError'
  }
}

/** The node's gateway tokens file (`<dataDir>/tokens.json`) cannot be read or is not a valid token list. */
export class TokenFileError extends Error {
  static name = 'TokenFileError'
  constructor (message = 'The tokens file cannot be read') {
    super(message)
    this.name = 'TokenFileError'
  }
}

/** `faasmesh token revoke` named a token (id or name) that the store does not hold. */
export class TokenNotFoundError extends Error {
  static name = 'TokenNotFoundError'
  constructor (message = 'No such token') {
    super(message)
    this.name = 'TokenNotFoundError'
  }
}

/** A gateway listening beyond loopback with no token in its store and `api.insecure` unset: it refuses to start. */
export class NoGatewayTokenError extends Error {
  static name = 'NoGatewayTokenError'
  constructor (message = 'The gateway listens beyond loopback and has no token') {
    super(message)
    this.name = 'NoGatewayTokenError'
  }
}

/** The client took too long to send its request (headers, the whole request, or the next body bytes). */
export class RequestTimeoutError extends Error {
  static name = 'RequestTimeoutError'
  constructor (message = 'Request timed out') {
    super(message)
    this.name = 'RequestTimeoutError'
  }
}

/** The request's headers are larger than the HTTP server accepts. */
export class RequestHeadersTooLargeError extends Error {
  static name = 'RequestHeadersTooLargeError'
  constructor (message = 'Request headers too large') {
    super(message)
    this.name = 'RequestHeadersTooLargeError'
  }
}

/** A chain spec that cannot be deployed or run: the message names the bad path (`steps[2].after[0]`). */
export class InvalidChainError extends Error {
  static name = 'InvalidChainError'
  constructor (message = 'Invalid chain') {
    super(message)
    this.name = 'InvalidChainError'
  }
}

/**
 * A step of a chain failed, and with it the chain: `step` is the step's id, `cause` the name of
 * the step's own error (GuestTrapError, NoCapacityError, ...).
 */
export class ChainStepError extends Error {
  static name = 'ChainStepError'
  readonly step: string
  readonly causeName: string
  constructor (message = 'A step of the chain failed', step = '', causeName = 'Error') {
    super(message)
    this.name = 'ChainStepError'
    this.step = step
    this.causeName = causeName
  }
}

/** A chain step's input is gone: the node that produced it no longer holds it (stopped, evicted, unreachable). */
export class ChainDataUnavailableError extends Error {
  static name = 'ChainDataUnavailableError'
  constructor (message = 'The input of the chain step is unavailable') {
    super(message)
    this.name = 'ChainDataUnavailableError'
  }
}

const byName: Record<string, new (message?: string) => Error> = {
  InvalidModuleError,
  ForbiddenImportError,
  FunctionNotFoundError,
  VersionNotFoundError,
  AmbiguousNameError,
  PayloadTooLargeError,
  ExecutionTimeoutError,
  OutOfFuelError,
  OutOfMemoryError,
  GuestTrapError,
  NoCapacityError,
  DeadlineExceededError,
  NodeStoppingError,
  InvocationConflictError,
  InvalidStateKeyError,
  InvalidStateError,
  StateTooLargeError,
  StateConflictError,
  StateUnavailableError,
  UnsupportedStateModelError,
  InvalidConfigError,
  InvalidParametersError,
  AbortError,
  NotStartedError,
  ForbiddenError,
  UntrustedPublisherError,
  TrustListError,
  UnauthorizedError,
  TokenFileError,
  TokenNotFoundError,
  NoGatewayTokenError,
  RequestTimeoutError,
  RequestHeadersTooLargeError,
  InvalidChainError,
  ChainStepError,
  ChainDataUnavailableError
}

/**
 * Rebuilds a named error that crossed a boundary as `{ name, message }` (a worker's message, an
 * HTTP error body). Unknown names become a plain `Error` that keeps the name.
 */
export function reviveError (wire: { name: string, message: string }): Error {
  const Ctor = byName[wire.name]
  if (Ctor != null) return new Ctor(wire.message)
  const err = new Error(wire.message)
  err.name = wire.name
  return err
}
