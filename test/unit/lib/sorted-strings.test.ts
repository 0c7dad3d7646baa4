import { test } from 'node:test'
import assert from 'node:assert/strict'
import { prefixRange, sortInSteps, sortIntsInSteps } from '../../../src/lib/sorted-strings.js'

/** A deterministic pseudo-random sequence (LCG), so every run sorts the same input. */
function lcg (seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0
    return s
  }
}

test('sortInSteps sorts as Array.prototype.sort does, across several slices, pausing between steps', async () => {
  const next = lcg(7)
  const items = Array.from({ length: 45_001 }, () => next().toString(36) + (next() % 3 === 0 ? 'é' : ''))
  let pauses = 0
  const sorted = await sortInSteps(items, async () => { pauses++ })
  assert.deepEqual(sorted, [...items].sort())
  assert.equal(items.length, 45_001, 'the input is left as it was')
  assert.ok(pauses >= 3 + 2, `one pause per slice and per merge, ${pauses}`)
  assert.deepEqual(await sortInSteps([], async () => {}), [])
})

test('sortIntsInSteps sorts numerically in place, across several slices', async () => {
  const next = lcg(11)
  const values = Int32Array.from({ length: 70_001 }, () => next() | 0)
  const expected = Int32Array.from(values).sort()
  let pauses = 0
  const out = await sortIntsInSteps(values, async () => { pauses++ })
  assert.equal(out, values, 'the same array')
  assert.deepEqual(out, expected)
  assert.ok(pauses > 4)
  assert.deepEqual(await sortIntsInSteps(Int32Array.from([3, -1, 2]), async () => {}), Int32Array.from([-1, 2, 3]))
})

test('prefixRange finds the run of strings starting with a prefix', () => {
  const sorted = ['a', 'ab', 'abc', 'abd', 'b', 'ba']
  assert.deepEqual(prefixRange(sorted, 'ab'), [1, 4])
  assert.deepEqual(prefixRange(sorted, 'a'), [0, 4])
  assert.deepEqual(prefixRange(sorted, 'abc'), [2, 3])
  assert.deepEqual(prefixRange(sorted, 'aa'), [1, 1])
  assert.deepEqual(prefixRange(sorted, 'z'), [6, 6])
  assert.deepEqual(prefixRange(sorted, ''), [0, 6])
  assert.deepEqual(prefixRange([], 'a'), [0, 0])
})
