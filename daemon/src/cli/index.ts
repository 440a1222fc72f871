/**
 * @packageDocumentation
 *
 * The `faasmesh` command line. `main(argv, io)` is importable, so tests run it without a
 * process; `bin/faasmesh.js` calls it after loading the polyfills.
 */
import { parseArgs } from 'node:util'
import { VERSION } from '../version.js'
import { COMMANDS, type Command } from './commands.js'
import { print, UsageError, type CliIo } from './io.js'

export type { CliIo } from './io.js'

function globalHelp (): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return [
    'faasmesh: a peer-to-peer Function-as-a-Service mesh',
    '',
    'Usage: faasmesh <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    // the testbed has its own entry (bin/faasmesh.js): the daemon does not depend on it
    `  ${'testbed'.padEnd(width)}  Run experiments on meshes of daemons (faasmesh testbed --help)`,
    '',
    'Run `faasmesh <command> --help` for its options. Docs: README.md and docs/.'
  ].join('\n')
}

function commandHelp (command: Command): string {
  const flags = Object.entries(command.options).map(([name, o]) =>
    [`${o.short != null ? `-${o.short}, ` : ''}--${name}${o.arg != null ? ` ${o.arg}` : ''}`, o.help] as const)
  const width = Math.max(...flags.map(([f]) => f.length), 10)
  return [
    `Usage: ${command.usage}`,
    '',
    command.summary,
    '',
    'Options:',
    ...flags.map(([f, h]) => `  ${f.padEnd(width)}  ${h}`),
    `  ${'-h, --help'.padEnd(width)}  Show this help`
  ].join('\n')
}

export async function main (argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv
  // no command at all is a usage error: the help goes where errors go, and scripts see exit 2
  if (name == null) {
    print(io.stderr, globalHelp())
    return 2
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined
    print(io.stdout, topic != null ? commandHelp(topic) : globalHelp())
    return 0
  }
  if (name === '--version' || name === 'version') {
    print(io.stdout, VERSION)
    return 0
  }
  const command = COMMANDS.find((c) => c.name === name)
  if (command == null) {
    print(io.stderr, `faasmesh: unknown command "${name}"\n\n${globalHelp()}`)
    return 2
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    print(io.stdout, commandHelp(command))
    return 0
  }
  try {
    let parsed
    try {
      parsed = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true })
    } catch (err: any) {
      throw new UsageError(String(err?.message ?? err).replace(/\. To specify a positional.*$/s, ''))
    }
    const [min, max] = command.positionals
    if (parsed.positionals.length < min || parsed.positionals.length > max) {
      throw new UsageError(parsed.positionals.length < min ? 'missing arguments' : `unexpected argument "${parsed.positionals[max]}"`)
    }
    return await command.run(parsed, io)
  } catch (err: any) {
    if (err?.name === 'UsageError') {
      print(io.stderr, `faasmesh ${command.name}: ${err.message}\n\nUsage: ${command.usage}\nRun \`faasmesh ${command.name} --help\` for details.`)
      return 2
    }
    print(io.stderr, `error: ${String(err?.name ?? 'Error')}: ${String(err?.message ?? err)}`)
    return 1
  }
}
