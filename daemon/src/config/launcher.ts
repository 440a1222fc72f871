/**
 * Whether `faasmesh daemon` runs under a package manager's script runner (`npm start`, `npx`,
 * `npm exec`; yarn and pnpm alike): they set `npm_lifecycle_event` for what they run. Such a
 * daemon stops when its parent goes (cli/parent-watch.ts); one started by a shell, `nohup`, a
 * service manager or a container does not.
 */
export function followsParent (env: Record<string, string | undefined>): boolean {
  return env.npm_lifecycle_event != null && env.npm_lifecycle_event !== ''
}
