/** Module hooks of import-recorder.ts: each loaded URL is appended to the file it names. */
import { appendFileSync } from 'node:fs'

let file: string | undefined

export async function initialize (data: { file: string }): Promise<void> {
  file = data.file
}

export async function load (url: string, context: unknown, next: (url: string, context: unknown) => Promise<unknown>): Promise<unknown> {
  if (file != null) appendFileSync(file, `${url}\n`)
  return next(url, context)
}
