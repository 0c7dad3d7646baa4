import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { StoredEntry } from '../../../../src/lib/cache/entry.js'
import { Generations } from '../../../../src/lib/cache/generations.js'

function stored (tags: string[], gens: number[], epoch: string): StoredEntry {
  return { body: '{}', etag: 'W/"x"', negative: false, tags, gens, epoch, freshUntil: 0, staleUntil: 0 }
}

test('an unknown tag is at generation 0; raise only moves a tag up', () => {
  const g = new Generations('e1')
  assert.equal(g.get('product:1'), 0)
  assert.equal(g.raise('product:1', 0), false, 'learning 0 for an unknown tag changes nothing')
  assert.equal(g.seq, 0)
  assert.equal(g.raise('product:1', 3), true)
  assert.equal(g.get('product:1'), 3)
  assert.equal(g.raise('product:1', 3), false)
  assert.equal(g.raise('product:1', 2), false)
  assert.equal(g.get('product:1'), 3)
  assert.equal(g.raise('product:1', 7), true, 'generations may jump (several bumps seen at once)')
  assert.equal(g.get('product:1'), 7)
  assert.equal(g.seq, 2, 'seq counts only the changes')
})

test('snapshot reads the current generations in the order asked', () => {
  const g = new Generations('e1')
  g.raise('b', 2)
  g.raise('c', 5)
  assert.deepEqual(g.snapshot(['c', 'a', 'b']), [5, 0, 2])
  assert.deepEqual(g.snapshot([]), [])
})

test('an entry matches while its epoch and each tag generation are current', () => {
  const g = new Generations('e1')
  g.raise('list', 4)
  const tags = ['list', 'product:9']
  const entry = stored(tags, g.snapshot(tags), 'e1')
  assert.deepEqual(entry.gens, [4, 0])
  assert.equal(g.matches(entry), true)
  assert.equal(g.matches(stored([], [], 'e1')), true, 'an entry without tags depends on the epoch only')
  assert.equal(g.matches(stored(tags, [4, 0], 'e0')), false, 'another epoch')
  assert.equal(g.matches(stored(tags, [5, 0], 'e1')), false, 'a generation this process has not seen is not current either')
  g.raise('product:9', 1)
  assert.equal(g.matches(entry), false, 'one bumped tag voids the entry')
  assert.equal(g.matches(stored(tags, [4, 1], 'e1')), true)
})

test('changedSince names the tags bumped after a seq, and nothing else', () => {
  const g = new Generations('e1')
  g.raise('a', 1)
  const start = g.seq
  assert.equal(g.changedSince(['a', 'b'], start), false)
  g.raise('b', 1)
  assert.equal(g.changedSince(['a', 'b'], start), true)
  assert.equal(g.changedSince(['a'], start), false, 'a was bumped before the read started')
  assert.equal(g.changedSince(['a'], start - 1), true)
  g.raise('b', 1) // no change: seq stays
  assert.equal(g.changedSince(['b'], g.seq), false)
})

test('a new epoch voids every generation and every read in flight', () => {
  const g = new Generations('e1')
  g.raise('a', 6)
  const before = stored(['a'], g.snapshot(['a']), 'e1')
  const start = g.seq
  g.reset('e2')
  assert.equal(g.epoch, 'e2')
  assert.equal(g.get('a'), 0, 'known generations are forgotten')
  assert.equal(g.matches(before), false)
  assert.equal(g.changedSince([], start), true, 'a reset counts for any tags, even none')
  assert.equal(g.changedSince(['unknown'], start), true)
  assert.equal(g.changedSince(['a'], g.seq), false, 'a read started after the reset is unaffected')
  assert.equal(g.matches(stored(['a'], [0], 'e2')), true)
  assert.equal(g.raise('a', 1), true, 'generations count again from 0 in the new epoch')
})
