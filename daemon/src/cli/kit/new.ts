/** `faasmesh new <name>`: a standalone function project, built with `faasmesh build`. */
import { join, relative, resolve } from 'node:path'
import { FUNCTION_NAME_PATTERN } from '../../store/index.js'
import { print, UsageError } from '../io.js'
import { INVOKE_ARGS, scaffold, TEMPLATES, type TemplateName } from './templates.js'
import type { Command } from '../commands.js'

export const NEW_COMMAND: Command = {
  name: 'new',
  usage: `faasmesh new <name> [--template ${TEMPLATES.join('|')}] [--dir DIR]`,
  summary: 'Start a function project in ./<name>: AssemblyScript source, SDK, build settings, a test input',
  positionals: [1, 1],
  options: {
    template: { type: 'string', short: 't', arg: '<name>', help: 'What the function starts as: hello (text in and out, the default), json (parseJson/JsonWriter), stateful (a counter in the state)' },
    dir: { type: 'string', arg: '<dir>', help: 'Create the project in this directory instead of ./<name> (absent or empty)' }
  },
  async run (args, io) {
    const [name] = args.positionals as [string]
    // the project's name is the name it deploys under
    if (!FUNCTION_NAME_PATTERN.test(name)) {
      throw new UsageError(`invalid function name "${name.slice(0, 80)}": use 1-63 characters a-z, 0-9 and '-', starting with a letter or digit`)
    }
    const template = (args.values.template ?? 'hello') as string
    if (!(TEMPLATES as readonly string[]).includes(template)) throw new UsageError(`unknown template "${template}"; use ${TEMPLATES.join(', ')}`)
    const dir = resolve((args.values.dir as string | undefined) ?? name)
    const { files, input } = await scaffold(dir, name, template as TemplateName)
    const cd = relative(process.cwd(), dir) || '.'
    print(io.stdout, [
      `created ${cd} (template ${template}):`,
      ...files.map((f) => `  ${f}`),
      '',
      'next, with a daemon running (faasmesh daemon):',
      ...(cd === '.' ? [] : [`  cd ${cd}`]),
      '  faasmesh build',
      `  faasmesh deploy ${name} ${join('build', `${name}.wasm`)}`,
      `  faasmesh invoke ${name} --file ${input}${INVOKE_ARGS[template as TemplateName]}`
    ].join('\n'))
    return 0
  }
}
