import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CounterRing, HISTORY_SECONDS } from '../../../../src/lib/metrics/counter-ring.js'

const T0 = 1_700_000_000 // epoch seconds

test('per-second sums over a window ending with now (inclusive), fields apart', () => {
  const ring = new CounterRing(2)
  assert.equal(ring.size, HISTORY_SECONDS)
  for (let s = 0; s < 10; s++) ring.add(0, 1, T0 + s) // one a second, T0 … T0+9
  ring.add(0, 4, T0 + 9)
  ring.add(1, 2.5, T0 + 9)
  assert.equal(ring.get(0, T0 + 9), 5)
  assert.equal(ring.get(1, T0 + 9), 2.5)
  assert.equal(ring.get(1, T0 + 8), 0, 'a recorded second reads 0 in a field it did not touch')
  assert.equal(ring.get(0, T0 + 10), undefined, 'a second with nothing recorded')
  assert.equal(ring.sum(0, 1, T0 + 9), 5)
  assert.equal(ring.sum(0, 3, T0 + 9), 7) // T0+7, T0+8, T0+9
  assert.equal(ring.sum(0, 60, T0 + 9), 14)
  assert.equal(ring.sum(0, 5, T0 + 14), 0, 'the window T0+10 … T0+14 holds nothing')
  assert.equal(ring.sum(0, 6, T0 + 14), 5)
  assert.equal(ring.sum(1, 60, T0 + 9), 2.5)
})

test('a slot reused for a later second starts from zero; old seconds leave every window', () => {
  const ring = new CounterRing(1, 10)
  ring.add(0, 7, T0)
  ring.add(0, 3, T0 + 10) // same slot as T0
  assert.equal(ring.get(0, T0), undefined)
  assert.equal(ring.get(0, T0 + 10), 3)
  // A window longer than the ring is cut to the ring: T0+1 … T0+10.
  assert.equal(ring.sum(0, 1000, T0 + 10), 3)
  // Reading a second the ring no longer holds gives nothing, not the newer second's value.
  assert.equal(ring.sum(0, 1, T0), 0)
})

test('slot gives the hot-path offset into values, clearing what an older second left', () => {
  const ring = new CounterRing(3, 4)
  const b = ring.slot(T0)
  ring.values[b + 2] += 9
  assert.equal(ring.get(2, T0), 9)
  assert.equal(ring.slot(T0), b, 'the same second keeps its values')
  assert.equal(ring.get(2, T0), 9)
  assert.equal(ring.slot(T0 + 4), b)
  assert.equal(ring.get(2, T0 + 4), 0)
})

test('max keeps the highest value of a second; maxOver the highest of a window', () => {
  const ring = new CounterRing(1)
  assert.equal(ring.maxOver(0, 60, T0), undefined, 'no second recorded')
  ring.max(0, 5, T0)
  ring.max(0, 3, T0)
  ring.max(0, 8, T0 + 2)
  assert.equal(ring.get(0, T0), 5)
  assert.equal(ring.maxOver(0, 3, T0 + 2), 8)
  assert.equal(ring.maxOver(0, 2, T0 + 3), 8)
  assert.equal(ring.maxOver(0, 1, T0 + 3), undefined)
  assert.equal(ring.maxOver(0, 2, T0 + 1), 5)
})
