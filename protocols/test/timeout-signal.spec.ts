/**
 * A timeout inside `AbortSignal.any` still fires after garbage collection (Node 20 holds the
 * sources of `AbortSignal.any` weakly; `AbortSignal.timeout` alone there was seen never to fire).
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { expect } from 'chai'
import { timeoutSignal } from '../src/timeout-signal.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

describe('timeoutSignal', function () {
  it('aborts a combined signal with TimeoutError at its time, garbage collection in between', async function () {
    const started = Date.now()
    const combined = AbortSignal.any([new AbortController().signal, timeoutSignal(150)])
    const aborted = new Promise<string>((resolve) => { combined.addEventListener('abort', () => { resolve(combined.reason.name) }, { once: true }) })
    setTimeout(() => { gc(); gc() }, 30)
    const outcome = await Promise.race([aborted, new Promise<string>((resolve) => setTimeout(() => { resolve('never aborted') }, 2000))])
    expect(outcome).to.equal('TimeoutError')
    expect(Date.now() - started).to.be.at.least(140)
  })
})
