/**
 * The outputs a node keeps for chains (DESIGN.md section 11): kept by ref, gone after their ttl,
 * least recently used dropped past the byte and entry bounds, outputs too large never kept.
 */
import { expect } from 'chai'
import { OutputCache } from '../src/chains/outputs.js'

const out = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill)

describe('chain output cache', function () {
  let clock: number
  const now = (): number => clock

  beforeEach(function () {
    clock = 1_000
  })

  it('keeps, replaces and deletes outputs by ref, counting their bytes', function () {
    const cache = new OutputCache({ now })
    expect(cache.get('inv-1')).to.equal(undefined)
    expect(cache.put('inv-1', out(10))).to.equal(true)
    expect(cache.put('inv-2', out(5, 2))).to.equal(true)
    expect(cache.get('inv-1')).to.deep.equal(out(10))
    expect([cache.size, cache.bytes]).to.deep.equal([2, 15])
    // a second put under a ref replaces the first, and its bytes
    cache.put('inv-1', out(3, 9))
    expect(cache.get('inv-1')).to.deep.equal(out(3, 9))
    expect([cache.size, cache.bytes]).to.deep.equal([2, 8])
    expect(cache.delete('inv-1')).to.equal(true)
    expect(cache.delete('inv-1')).to.equal(false)
    expect(cache.get('inv-1')).to.equal(undefined)
    expect([cache.size, cache.bytes]).to.deep.equal([1, 5])
    // an empty output is an output
    cache.put('empty', new Uint8Array(0))
    expect(cache.get('empty')).to.deep.equal(new Uint8Array(0))
  })

  it('keeps a view of a larger buffer as its own copy, so the bytes it counts are the bytes it holds', function () {
    const cache = new OutputCache({ now })
    const chunk = out(1024, 7)
    const view = chunk.subarray(100, 110)
    cache.put('inv-1', view)
    const kept = cache.get('inv-1')
    expect(kept).to.deep.equal(out(10, 7))
    expect(kept?.buffer.byteLength).to.equal(10)
    expect(cache.bytes).to.equal(10)
  })

  it('forgets an output once its ttl has passed since it was put, a get notwithstanding', function () {
    const cache = new OutputCache({ ttlMs: 100, now })
    cache.put('inv-1', out(10))
    clock += 60
    cache.put('inv-2', out(20))
    clock += 39
    expect(cache.get('inv-1'), 'at 99 ms').to.deep.equal(out(10))
    clock += 1
    expect(cache.get('inv-1'), 'at 100 ms').to.equal(undefined)
    expect([cache.size, cache.bytes], 'dropped, not only hidden').to.deep.equal([1, 20])
    expect(cache.get('inv-2'), 'put 60 ms later').to.deep.equal(out(20))
    clock += 60
    // a put sweeps too
    cache.put('inv-3', out(1))
    expect([cache.size, cache.bytes]).to.deep.equal([1, 1])
    // a put again starts a fresh ttl
    clock += 90
    cache.put('inv-3', out(2))
    clock += 90
    expect(cache.get('inv-3')).to.deep.equal(out(2))
  })

  it('drops the least recently used outputs once the bytes pass the bound', function () {
    const cache = new OutputCache({ maxBytes: 100, now })
    cache.put('a', out(40))
    cache.put('b', out(40))
    // a is now more recently used than b
    cache.get('a')
    cache.put('c', out(30))
    expect(cache.get('b'), 'least recently used').to.equal(undefined)
    expect(cache.get('a')).to.deep.equal(out(40))
    expect(cache.get('c')).to.deep.equal(out(30))
    expect(cache.bytes).to.equal(70)
    // exactly at the bound is within it
    cache.put('d', out(30))
    expect([cache.size, cache.bytes]).to.deep.equal([3, 100])
    // one that takes all the room drops every other
    cache.put('e', out(100))
    expect([cache.size, cache.bytes]).to.deep.equal([1, 100])
    expect(cache.get('e')).to.deep.equal(out(100))
  })

  it('drops the least recently used outputs past the entry bound, however small', function () {
    const cache = new OutputCache({ maxEntries: 3, now })
    for (const ref of ['a', 'b', 'c']) cache.put(ref, new Uint8Array(0))
    cache.get('a')
    cache.put('d', new Uint8Array(0))
    expect(['a', 'b', 'c', 'd'].map((ref) => cache.get(ref) != null)).to.deep.equal([true, false, true, true])
    expect(cache.size).to.equal(3)
  })

  it('never keeps an output larger than the bound, and drops what it replaces', function () {
    const cache = new OutputCache({ maxBytes: 100, now })
    cache.put('a', out(50))
    cache.put('b', out(50))
    expect(cache.put('c', out(101))).to.equal(false)
    expect(cache.get('c')).to.equal(undefined)
    expect([cache.size, cache.bytes], 'the others untouched').to.deep.equal([2, 100])
    expect(cache.put('a', out(101))).to.equal(false)
    expect(cache.get('a'), 'no stale output under a ref put again').to.equal(undefined)
    expect([cache.size, cache.bytes]).to.deep.equal([1, 50])
  })

  it('sweeps expired outputs on a timer that keeps nothing alive, once started, until stopped', async function () {
    const cache = new OutputCache({ ttlMs: 100, sweepIntervalMs: 10, now })
    cache.put('a', out(10))
    cache.start()
    cache.start()
    try {
      // the timer is private: asked directly, rather than through a child process that must exit
      expect((cache as unknown as { timer: NodeJS.Timeout }).timer.hasRef(), 'the timer keeps the process alive').to.equal(false)
      clock += 100
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect([cache.size, cache.bytes], 'swept without a get or put').to.deep.equal([0, 0])
      cache.put('b', out(10))
      cache.stop()
      clock += 100
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(cache.size, 'stopped: nothing swept').to.equal(1)
    } finally {
      cache.stop()
      cache.stop()
    }
  })
})
