import { test } from 'node:test'
import assert from 'node:assert/strict'
import { entrySize, type StoredEntry } from '../../../../src/lib/cache/entry.js'
import { MemoryLru } from '../../../../src/lib/cache/memory-lru.js'

const NOW = 1_000_000

/** An entry whose size (entrySize) is `bodyLength + 129`: a one-character ETag, no tags. */
function entry (bodyLength: number, over: Partial<StoredEntry> = {}): StoredEntry {
  return { body: 'x'.repeat(bodyLength), etag: 'e', negative: false, tags: [], gens: [], epoch: 'ep', freshUntil: NOW + 1000, staleUntil: NOW + 60_000, ...over }
}

const SIZE_200 = entry(71) // 71 + 129 = 200 bytes
assert.equal(entrySize(SIZE_200), 200)

test('a stored entry is returned as stored; a missing key is undefined', () => {
  const lru = new MemoryLru(10, 100_000)
  const e = entry(10)
  lru.set('a', e)
  assert.equal(lru.get('a', NOW), e)
  assert.equal(lru.get('b', NOW), undefined)
  assert.equal(lru.size, 1)
  assert.equal(lru.bytes, entrySize(e))
})

test('beyond maxEntries the least recently used goes first, and a get makes an entry recent', () => {
  const lru = new MemoryLru(3, 100_000)
  for (const k of ['a', 'b', 'c']) lru.set(k, entry(10))
  assert.ok(lru.get('a', NOW)) // a is now the most recent: b is the oldest
  lru.set('d', entry(10))
  assert.equal(lru.size, 3)
  assert.equal(lru.evictions, 1)
  assert.equal(lru.get('b', NOW), undefined)
  for (const k of ['a', 'c', 'd']) assert.ok(lru.get(k, NOW), k)
  // Order is now a, c, d (each touched in turn): the next insert evicts a.
  lru.set('e', entry(10))
  assert.equal(lru.get('a', NOW), undefined)
  assert.equal(lru.evictions, 2)
})

test('beyond maxBytes the oldest entries go until the bytes fit again', () => {
  const lru = new MemoryLru(1000, 2000) // entries of 200 bytes: at most 10
  for (let i = 0; i < 10; i++) lru.set(`k${i}`, SIZE_200)
  assert.equal(lru.size, 10)
  assert.equal(lru.bytes, 2000)
  assert.equal(lru.evictions, 0)
  lru.set('k10', SIZE_200)
  assert.equal(lru.size, 10)
  assert.equal(lru.bytes, 2000)
  assert.equal(lru.evictions, 1)
  assert.equal(lru.get('k0', NOW), undefined)
  assert.ok(lru.get('k10', NOW))
  // A smaller entry still needs room: the next oldest goes.
  lru.set('small', entry(1)) // 130 bytes: 2130 > 2000, so k1 (200) goes
  assert.equal(lru.get('k1', NOW), undefined)
  assert.equal(lru.bytes, 2000 - 200 + 130)
  assert.ok(lru.bytes <= 2000)
})

test('an entry larger than a tenth of the byte budget is not kept and evicts nothing', () => {
  const lru = new MemoryLru(100, 2000) // a tenth: 200 bytes
  lru.set('fits', SIZE_200) // exactly 200: kept
  assert.ok(lru.get('fits', NOW))
  const big = entry(72) // 201 bytes
  assert.equal(entrySize(big), 201)
  lru.set('big', big)
  assert.equal(lru.get('big', NOW), undefined)
  assert.equal(lru.size, 1)
  assert.equal(lru.bytes, 200)
  assert.equal(lru.evictions, 0)
})

test('a value too large to keep still replaces the key\'s previous one', () => {
  const lru = new MemoryLru(100, 2000)
  lru.set('k', entry(10))
  lru.set('k', entry(72)) // 201 bytes: over a tenth of the budget
  assert.equal(lru.get('k', NOW), undefined)
  assert.equal(lru.size, 0)
  assert.equal(lru.bytes, 0)
})

test('an entry past its grace period is dropped on get; one past fresh but within grace is served', () => {
  const lru = new MemoryLru(10, 100_000)
  const stale = entry(10, { freshUntil: NOW - 5000, staleUntil: NOW + 1 })
  const gone = entry(20, { freshUntil: NOW - 5000, staleUntil: NOW })
  lru.set('stale', stale)
  lru.set('gone', gone)
  assert.equal(lru.get('stale', NOW), stale)
  assert.equal(lru.get('gone', NOW), undefined) // staleUntil <= now
  assert.equal(lru.size, 1)
  assert.equal(lru.bytes, entrySize(stale))
  assert.equal(lru.evictions, 0, 'expiry is not counted as an eviction')
  assert.equal(lru.get('stale', NOW + 1), undefined)
  assert.equal(lru.size, 0)
  assert.equal(lru.bytes, 0)
})

test('replacing, deleting and clearing keep the byte count exact', () => {
  const lru = new MemoryLru(10, 100_000)
  lru.set('a', entry(10))
  lru.set('b', entry(20))
  assert.equal(lru.bytes, 139 + 149)
  lru.set('a', entry(50)) // replaced, not counted twice
  assert.equal(lru.size, 2)
  assert.equal(lru.bytes, 179 + 149)
  assert.equal(lru.get('a', NOW)?.body.length, 50)
  lru.delete('b')
  assert.equal(lru.get('b', NOW), undefined)
  assert.equal(lru.bytes, 179)
  lru.delete('missing')
  assert.equal(lru.bytes, 179)
  lru.clear()
  assert.equal(lru.size, 0)
  assert.equal(lru.bytes, 0)
  assert.equal(lru.get('a', NOW), undefined)
})
