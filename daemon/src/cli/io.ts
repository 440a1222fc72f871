import type { Readable, Writable } from 'node:stream'

/** What a command may touch of the process: streams and environment, handed in so tests can run `main` in-process. */
export interface CliIo {
  stdout: Writable
  stderr: Writable
  stdin: Readable
  env: Record<string, string | undefined>
}

/** A command line that cannot be understood: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  static name = 'UsageError'
  constructor (message = 'Invalid usage') {
    super(message)
    this.name = 'UsageError'
  }
}

export function print (stream: Writable, text: string): void {
  stream.write(text.endsWith('\n') ? text : text + '\n')
}
