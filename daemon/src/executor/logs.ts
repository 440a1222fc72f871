/**
 * A guest's log lines, bounded per invocation, and the lines of a failed one, kept beside its
 * error (utils/error-notes.ts).
 */
import { errorNotes } from '../utils/error-notes.js'
import { MAX_LOG_MESSAGE_BYTES, MAX_LOG_MESSAGES } from './limits.js'

/** A collector for one invocation's log lines: `push` keeps the first ones and counts the rest in a last line. */
export function logCollector (lines: string[], maxLines = MAX_LOG_MESSAGES, maxChars = MAX_LOG_MESSAGE_BYTES): (line: string) => void {
  let dropped = 0
  return (line) => {
    if (dropped === 0 && lines.length < maxLines) {
      lines.push(line.slice(0, maxChars))
      return
    }
    // the last kept line makes room for the count, so the total never passes maxLines
    dropped += dropped === 0 ? 2 : 1
    lines[maxLines - 1] = droppedLine(dropped, maxLines - 1)
  }
}

/** The last line of an invocation that logged more than it may keep. */
export function droppedLine (dropped: number, kept: number): string {
  return `[faasmesh: ${dropped} more log lines dropped; an invocation keeps its first ${kept}]`
}

const failedLogs = errorNotes<string[]>()

/** Keeps the lines a failed invocation logged with its error; returns the error. */
export function withLogs<E> (err: E, logs: string[]): E {
  return logs.length > 0 ? failedLogs.note(err, logs) : err
}

/** The lines logged by the invocation that failed with `err`, if any. */
export function logsOf (err: unknown): string[] | undefined {
  return failedLogs.of(err)
}
