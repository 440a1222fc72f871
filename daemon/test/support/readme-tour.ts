/**
 * The README's tour as commands: the fenced `sh` blocks between `<!-- tour:start -->` and
 * `<!-- tour:end -->`, in order, one command per line (a `for`/`if` spanning lines, or a line
 * ending in `\`, is one command; comment-only and blank lines are dropped).
 */

const FENCE = /```sh\n([\s\S]*?)```/g

export function tourCommands (markdown: string): string[] {
  const regions = markdown.split('<!-- tour:start').slice(1).map((region) => region.split('<!-- tour:end -->')[0]!)
  return regions.flatMap((region) => [...region.matchAll(FENCE)].flatMap((block) => commandsOf(block[1]!)))
}

function commandsOf (script: string): string[] {
  const commands: string[] = []
  let pending: string[] = []
  let depth = 0
  for (const line of script.split('\n')) {
    if (pending.length === 0 && /^\s*(#.*)?$/.test(line)) continue
    pending.push(line)
    // shell words that open and close a compound command (not in a trailing comment); a one-line
    // `for ...; do ...; done` nets zero
    const code = line.replace(/(^|\s)#.*$/, '')
    depth += count(code, /(?:^|[;\s])(?:do|then)(?=\s|$)/g) - count(code, /(?:^|[;\s])(?:done|fi)(?=[\s;]|$)/g)
    if (depth > 0 || line.endsWith('\\')) continue
    commands.push(pending.join('\n'))
    pending = []
  }
  if (pending.length > 0) commands.push(pending.join('\n'))
  return commands
}

function count (text: string, pattern: RegExp): number {
  return [...text.matchAll(pattern)].length
}
