import { defaultLogger } from '@libp2p/logger'
import { expect } from 'chai'
import { sanitizer, type Sanitizer } from '../src/sanitizer/index.js'
import { expectError } from './contracts/executor.js'
import { SAMPLES, wasm } from './support/paths.js'
import { ABI_EXPORTS, wat } from './support/wat.js'

const LIMITS = { maxModuleBytes: 64 * 1024, memoryPages: 16 }
const MEMORY = '(import "env" "memory" (memory $mem 1))'

describe('sanitizer', function () {
  let s: Sanitizer

  before(function () {
    s = sanitizer()({ logger: defaultLogger() })
  })

  after(async function () {
    await s.stop()
  })

  it('accepts every sample function and returns instrumented, compilable bytes', async function () {
    for (const name of SAMPLES) {
      const result = await s.sanitize(wasm(name), LIMITS)
      const exports = WebAssembly.Module.exports(new WebAssembly.Module(result.bytes as Uint8Array<ArrayBuffer>)).map((e) => e.name)
      expect(exports, name).to.include.members(['handle', '__faasmesh_fuel', '__faasmesh_oom'])
      expect(result.memory.initialPages, name).to.be.within(1, LIMITS.memoryPages)
    }
  })

  it('rejects bytes that are not Wasm with InvalidModuleError', async function () {
    await expectError(s.sanitize(new TextEncoder().encode('#!/bin/sh\nrm -rf /'), LIMITS), 'InvalidModuleError')
    await expectError(s.sanitize(new Uint8Array(0), LIMITS), 'InvalidModuleError')
    const truncated = wasm('hello').slice(0, 100)
    await expectError(s.sanitize(truncated, LIMITS), 'InvalidModuleError')
  })

  it('rejects a module over the size cap with PayloadTooLargeError before compiling it', async function () {
    const err = await expectError(s.sanitize(new Uint8Array(LIMITS.maxModuleBytes + 1), LIMITS), 'PayloadTooLargeError')
    expect(err.message).to.include(`${LIMITS.maxModuleBytes}`)
  })

  it('rejects the forbidden-import fixture with ForbiddenImportError naming the import', async function () {
    const err = await expectError(s.sanitize(wasm('hostile/forbidden-import'), LIMITS), 'ForbiddenImportError')
    expect(err.message).to.include('env.fs_read')
  })

  it('rejects imports that would resolve through Object.prototype', async function () {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const bytes = wat(`(module ${MEMORY} (import "env" "${name}" (func $f (param i32) (result i32))) ${ABI_EXPORTS})`)
      await expectError(s.sanitize(bytes, LIMITS), 'ForbiddenImportError')
    }
  })

  it('rejects table and global imports and unknown namespaces', async function () {
    const cases = [
      '(import "env" "table" (table 1 funcref))',
      '(import "env" "g" (global i32))',
      '(import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))',
      '(import "faasmesh" "exec" (func))'
    ]
    for (const decl of cases) {
      await expectError(s.sanitize(wat(`(module ${MEMORY} ${decl} ${ABI_EXPORTS})`), LIMITS), 'ForbiddenImportError')
    }
  })

  it('rejects a module that brings its own memory: the host must own the cap', async function () {
    const bytes = wat(`(module (memory $mem 1) ${ABI_EXPORTS})`)
    const err = await expectError(s.sanitize(bytes, LIMITS), 'InvalidModuleError')
    expect(err.message).to.include('--importMemory')
  })

  it('rejects a module without the ABI exports', async function () {
    const bytes = wat(`(module ${MEMORY} (export "memory" (memory $mem)))`)
    const err = await expectError(s.sanitize(bytes, LIMITS), 'InvalidModuleError')
    expect(err.message).to.include('handle')
  })

  it('rejects exports in the host\'s reserved namespace', async function () {
    const bytes = wat(`(module ${MEMORY} (global $g (mut i64) (i64.const 1)) (export "__faasmesh_fuel" (global $g)) ${ABI_EXPORTS})`)
    await expectError(s.sanitize(bytes, LIMITS), 'InvalidModuleError')
  })

  it('rejects a module that needs more initial memory than the node allows', async function () {
    const bytes = wat(`(module (import "env" "memory" (memory $mem 17)) ${ABI_EXPORTS})`)
    const err = await expectError(s.sanitize(bytes, LIMITS), 'InvalidModuleError')
    expect(err.message).to.include('17')
  })

  it('rejects shared memory (threads) with InvalidModuleError', async function () {
    const bytes = wat(`(module (import "env" "memory" (memory $mem 1 2 shared)) ${ABI_EXPORTS})`)
    await expectError(s.sanitize(bytes, LIMITS), 'InvalidModuleError')
  })

  it('keeps working after a hostile module', async function () {
    await expectError(s.sanitize(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff]), LIMITS), 'InvalidModuleError')
    const ok = await s.sanitize(wasm('hello'), LIMITS)
    expect(ok.bytes.byteLength).to.be.greaterThan(0)
  })
})
