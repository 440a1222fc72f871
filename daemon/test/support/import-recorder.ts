/**
 * Preloaded with `node --import` into a process whose imports a test wants to see: every ES
 * module URL the process loads is appended to `$FAASMESH_TEST_IMPORTS.esm` (by the hooks in
 * import-recorder-hooks.ts) and, when it exits, every CommonJS file Node has required (ESM hooks
 * do not see `require`) is written to `$FAASMESH_TEST_IMPORTS.cjs`.
 */
import { writeFileSync } from 'node:fs'
import { createRequire, register } from 'node:module'
import { pathToFileURL } from 'node:url'

// read here, not in the daemon: this file is test support, preloaded into the process under test
const prefix = process.env.FAASMESH_TEST_IMPORTS
if (prefix != null && prefix !== '') {
  register('./import-recorder-hooks.js', import.meta.url, { data: { file: `${prefix}.esm` } })
  const cache = createRequire(import.meta.url).cache
  process.once('exit', () => {
    writeFileSync(`${prefix}.cjs`, Object.keys(cache).map((f) => pathToFileURL(f).href).join('\n') + '\n')
  })
}
