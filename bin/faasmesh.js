#!/usr/bin/env node
// The polyfills must be in place before libp2p or anything that uses it is evaluated, so the
// CLI is loaded with a dynamic import after them.
import '../dist/daemon/src/polyfills.js'

const { main } = await import('../dist/daemon/src/cli/index.js')
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env
})
