/**
 * The placement record of a call that failed: its error carries no fields of ours, so the
 * record's id is kept beside it (weakly), for the gateway to name it in the error's answer
 * (`x-faasmesh-placement-id`), where `faasmesh logs` and the dashboard find its logs and error.
 */
const ids = new WeakMap<object, string>()

/** Notes that `err` ended the placement `id`; returns the error. */
export function withPlacementId<E> (err: E, id: string): E {
  if (err != null && typeof err === 'object' && !ids.has(err)) ids.set(err, id)
  return err
}

/** The id of the placement record a failed call left, if any. */
export function placementIdOf (err: unknown): string | undefined {
  return err != null && typeof err === 'object' ? ids.get(err) : undefined
}
