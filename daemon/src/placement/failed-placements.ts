/**
 * The placement record of a call that failed, kept beside its error (utils/error-notes.ts) for the
 * gateway to name in the error's answer (`x-faasmesh-placement-id`), where `faasmesh logs` and the
 * dashboard find its logs and error. The first placement an error ends is the one it names.
 */
import { errorNotes } from '../utils/error-notes.js'

const ids = errorNotes<string>({ keepFirst: true })

/** Notes that `err` ended the placement `id`; returns the error. */
export function withPlacementId<E> (err: E, id: string): E {
  return ids.note(err, id)
}

/** The id of the placement record a failed call left, if any. */
export function placementIdOf (err: unknown): string | undefined {
  return ids.of(err)
}
