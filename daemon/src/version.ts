import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

function packageJson (dir: string): { name?: string, version?: string } | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  } catch {
    return undefined
  }
}

/** This installation's root: the nearest directory up whose package.json is named `faasmesh`. */
export const PACKAGE_ROOT: string | undefined = (() => {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    if (packageJson(dir)?.name === 'faasmesh') return dir
    dir = dirname(dir)
  }
  return undefined
})()

/** The package version, read once from that package.json. */
export const VERSION: string = PACKAGE_ROOT != null ? String(packageJson(PACKAGE_ROOT)?.version) : '0.0.0'
