/**
 * Error name -> HTTP status: the one table (DESIGN.md section 2). Anything not listed is a 500.
 */
export const STATUS_BY_ERROR: Readonly<Record<string, number>> = {
  InvalidModuleError: 400,
  ForbiddenImportError: 400,
  InvalidParametersError: 400,
  InvalidStateKeyError: 400,
  InvalidStateError: 400,
  UnsupportedStateModelError: 400,
  InvalidChainError: 400,
  // no, a malformed, an unknown or a revoked gateway token on a route that needs one (auth.ts)
  UnauthorizedError: 401,
  // a cross-site request to a mutating route (cross-site.ts), or a token without the route's scope (auth.ts)
  ForbiddenError: 403,
  // allowlist mode: no trusted publisher vouches for the code (daemon/src/trust)
  UntrustedPublisherError: 403,
  FunctionNotFoundError: 404,
  // rollback to a version the name's history does not hold
  VersionNotFoundError: 404,
  RouteNotFoundError: 404,
  MethodNotAllowedError: 405,
  // the client was too slow sending headers or body (Node's timeouts, or body.ts's idle timer)
  RequestTimeoutError: 408,
  AmbiguousNameError: 409,
  // an invocation id sent again for another function or input
  InvocationConflictError: 409,
  StateConflictError: 409,
  PayloadTooLargeError: 413,
  StateTooLargeError: 413,
  OutOfFuelError: 422,
  OutOfMemoryError: 422,
  GuestTrapError: 422,
  RequestHeadersTooLargeError: 431,
  // the client closed the connection; nobody reads this answer, but logs and metrics do
  AbortError: 499,
  NoCapacityError: 503,
  NotStartedError: 503,
  NodeStoppingError: 503,
  StateUnavailableError: 503,
  // the tokens file went bad while the node runs: nobody's token can be checked
  TokenFileError: 503,
  ChainDataUnavailableError: 503,
  // a step of a chain failed: the body names the step and its own error (error.step, error.cause)
  ChainStepError: 502,
  ExecutionTimeoutError: 504,
  DeadlineExceededError: 504
}

export function statusOf (err: unknown): number {
  const name = (err as { name?: unknown } | undefined)?.name
  return typeof name === 'string' ? STATUS_BY_ERROR[name] ?? 500 : 500
}
