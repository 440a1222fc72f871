#!/usr/bin/env node
// The polyfills must be in place before libp2p or anything that uses it is evaluated, so the
// CLI is loaded with a dynamic import after them.
import '../dist/daemon/src/polyfills.js'

const args = process.argv.slice(2)
if (args[0] === 'testbed') {
  // the testbed drives daemons; the daemon's own CLI never loads it
  const { main } = await import('../dist/testbed/src/cli.js')
  process.exitCode = await main(args.slice(1))
} else {
  const { main } = await import('../dist/daemon/src/cli/index.js')
  process.exitCode = await main(args, {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env
  })
}
