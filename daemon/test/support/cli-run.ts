import { PassThrough, Readable } from 'node:stream'
import { main } from '../../src/cli/index.js'

export interface CliRun { code: number, stdout: string, stderr: string }

/**
 * Runs the CLI's `main` in-process with an empty stdin and environment, its two streams
 * collected; bounded: a run that takes longer than `timeoutMs` fails the test.
 */
export async function cliInProcess (args: string[], timeoutMs = 20_000): Promise<CliRun> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (d) => { out += String(d) })
  stderr.on('data', (d) => { err += String(d) })
  let timer: NodeJS.Timeout | undefined
  const code = await Promise.race([
    main(args, { stdout, stderr, stdin: Readable.from([]), env: {} }),
    new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`faasmesh ${args.join(' ')} took over ${timeoutMs} ms`)) }, timeoutMs) })
  ]).finally(() => { clearTimeout(timer) })
  return { code, stdout: out, stderr: err }
}
