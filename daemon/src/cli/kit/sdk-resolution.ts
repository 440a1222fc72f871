/**
 * How `faasmesh build` finds `import ... from 'faasmesh/sdk'` in a project with no node_modules.
 *
 * asc resolves a package import `<pkg>/<path>` by trying `<dir>/<pkg>/<path>.ts` and
 * `<dir>/<pkg>/<path>/index.ts` for every `node_modules` above the project, then for every
 * `--path` directory (it reads no package.json `exports`). The SDK lives at
 * `wasm-functions/sdk/`, not `faasmesh/sdk/`, so the build adds one `--path` directory that
 * exists only in its file reader: there, `faasmesh/sdk/<file>` is this installation's
 * `wasm-functions/sdk/<file>`. A project's own `node_modules/faasmesh/sdk` would still come first.
 */
import { readFile } from 'node:fs/promises'
import { isAbsolute, join, relative, resolve, sep } from 'node:path'

/** The directory's name says what it is in asc's diagnostics; nothing is ever written there. */
const VIRTUAL_DIR_NAME = '.faasmesh-packages'
const SDK_PREFIX = `faasmesh${sep}sdk${sep}`

export interface SdkResolution {
  /** Give asc `--path <this>`. */
  packagesDir: string
  /** asc's `readFile` option: the disk, except under `packagesDir`. */
  readFile(filename: string, baseDir: string): Promise<string | null>
}

export function sdkResolution (sdkDir: string, projectDir: string): SdkResolution {
  const packagesDir = join(projectDir, VIRTUAL_DIR_NAME)
  return {
    packagesDir,
    async readFile (filename, baseDir) {
      let path = resolve(baseDir, filename)
      const inside = relative(packagesDir, path)
      if (!inside.startsWith('..') && !isAbsolute(inside)) {
        if (!inside.startsWith(SDK_PREFIX)) return null
        path = join(sdkDir, inside.slice(SDK_PREFIX.length))
      }
      try {
        return await readFile(path, 'utf8')
      } catch {
        return null
      }
    }
  }
}
