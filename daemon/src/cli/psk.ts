/** `faasmesh psk generate`: a new pre-shared key for a private mesh (docs/security.md). */
import { writeFile } from 'node:fs/promises'
import { generateSwarmKey } from '../network/psk.js'
import { print, UsageError, type CliIo } from './io.js'
import type { Command } from './commands.js'

export const PSK_COMMAND: Command = {
  name: 'psk',
  usage: 'faasmesh psk generate [--out FILE]',
  summary: 'Make a pre-shared key for a private mesh (every node then runs with --psk FILE)',
  positionals: [1, 1],
  options: {
    out: { type: 'string', short: 'o', arg: '<file>', help: 'Write the key to a new file readable by its owner only (default: standard output)' }
  },
  async run (args, io: CliIo) {
    const [action] = args.positionals as [string]
    if (action !== 'generate') throw new UsageError(`unknown action "${action}"; use generate`)
    const key = generateSwarmKey()
    const out = args.values.out as string | undefined
    if (out == null) {
      io.stdout.write(key)
      return 0
    }
    // 'wx': never overwrite a key file, which would cut this node off its mesh
    await writeFile(out, key, { mode: 0o600, flag: 'wx' }).catch((err: any) => {
      throw new UsageError(err?.code === 'EEXIST' ? `${out} exists; remove it first or choose another file` : `cannot write ${out}: ${String(err?.message ?? err)}`)
    })
    print(io.stderr, `wrote a pre-shared key to ${out}: copy it to every node of the mesh and start each with --psk ${out}`)
    return 0
  }
}
