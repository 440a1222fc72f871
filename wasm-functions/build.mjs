#!/usr/bin/env node
// Builds every AssemblyScript function under wasm-functions/ into build/<name>.wasm (samples),
// build/hostile/<name>.wasm and build/fixtures/<name>.wasm (for the tests), with the flags the host ABI
// requires (see wasm-functions/README.md). Runs the compiler in-process: one Node start-up
// instead of one per function. Hand-written hostile modules (hostile/*.wat) are assembled with
// binaryen into build/hostile/<name>.wasm.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import asc from 'assemblyscript/asc'
import binaryen from 'binaryen'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..')
const outDir = join(root, 'build')

// The flags live in asc-options.json, which `faasmesh build` reads too (one place for both):
// --runtime stub: a bump allocator, the smallest and fastest to instantiate; safe because the
//   host creates a fresh instance per invocation, so nothing accumulates.
// --importMemory: the host owns the memory and its maximum, so the memory cap holds.
// --exportRuntime: exports __new/__pin/__unpin, which the host uses to pass the input buffer.
// -O3 is optimizeLevel 3, shrinkLevel 0: the same bytes.
const { abi, defaults } = JSON.parse(await readFile(join(here, 'asc-options.json'), 'utf8'))
export const ASC_FLAGS = asc.configToArguments({ ...defaults, ...abi })

// What the .wat fixtures may use: the features V8 in Node 20 runs. Not binaryen's `All`: with GC
// enabled, `(ref.null func)` is written as `ref.null nofunc`, which V8 11 cannot read.
const WAT_FEATURES = binaryen.Features.MutableGlobals | binaryen.Features.NontrappingFPToInt |
  binaryen.Features.SIMD128 | binaryen.Features.BulkMemory | binaryen.Features.BulkMemoryOpt |
  binaryen.Features.SignExt | binaryen.Features.ReferenceTypes | binaryen.Features.Multivalue

/** Assembles a .wat file; its names go in the name section (a fixture may depend on them). */
async function assemble (source, target) {
  const module = binaryen.parseText(await readFile(source, 'utf8'))
  try {
    module.setFeatures(WAT_FEATURES)
    if (module.validate() !== 1) throw new Error('does not validate')
    binaryen.setDebugInfo(true)
    await writeFile(target, module.emitBinary())
  } finally {
    binaryen.setDebugInfo(false)
    module.dispose()
  }
}

const groups = [
  { dir: join(here, 'functions'), out: outDir },
  { dir: join(here, 'hostile'), out: join(outDir, 'hostile') },
  { dir: join(here, 'fixtures'), out: join(outDir, 'fixtures') }
]

let failed = 0
const started = Date.now()
for (const { dir, out } of groups) {
  await mkdir(out, { recursive: true })
  const sources = (await readdir(dir)).filter((f) => f.endsWith('.ts') || f.endsWith('.wat')).sort()
  for (const file of sources) {
    const name = file.replace(/\.(ts|wat)$/, '')
    const target = join(out, `${name}.wasm`)
    const t0 = Date.now()
    const { error, stderr } = file.endsWith('.wat')
      ? await assemble(join(dir, file), target).then(() => ({}), (err) => ({ error: err, stderr: String(err?.message ?? err) }))
      : await asc.main([join(dir, file), '-o', target, ...ASC_FLAGS])
    if (error != null) {
      failed++
      process.stderr.write(`wasm-functions: ${name} FAILED\n${stderr.toString()}\n`)
    } else {
      process.stdout.write(`wasm-functions: ${relative(root, target)} (${Date.now() - t0} ms)\n`)
    }
  }
}
if (failed > 0) {
  process.stderr.write(`wasm-functions: ${failed} function(s) failed to build\n`)
  process.exit(1)
}
process.stdout.write(`wasm-functions: built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
