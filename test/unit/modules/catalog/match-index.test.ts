import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { MatchIndexBuilder, type MatchQuery, type MatchRow } from '../../../../src/modules/catalog/catalog.match-index.js'
import { sortInSteps } from '../../../../src/lib/sorted-strings.js'

/** A product row as the index loads it; lexemes are given directly (the database computes them in the app). */
function row (id: number, rank: number, title: string[], extra: string[] = [], fields: Partial<MatchRow> = {}): MatchRow {
  return { id, search_rank: rank, price: 10, category_id: 1, brand: 'acme', brand_name: 'Acme', is_featured: false, name: `product ${id}`, title, body: [...title, ...extra], ...fields }
}

const word = (...lexemes: string[]) => ({ lexemes, prefix: false })
const prefix = (p: string) => ({ lexemes: [p], prefix: true })
const query = (q: Partial<MatchQuery>): MatchQuery => ({ words: [], exact: [], filter: {}, need: 10, ...q })

// Loaded in descending rank, as the database reads them.
const ROWS = [
  row(1, 900, ['black', 'speaker']),
  row(2, 800, ['red', 'speaker'], ['black']),
  row(3, 700, ['black', 'cable'], [], { price: 5, category_id: 2, brand: 'generic', brand_name: 'Generic' }),
  row(4, 600, ['blackout', 'curtain'], [], { is_featured: true }),
  row(5, 500, ['speaker', 'stand'], ['black'], { name: 'speaker stand' })
]

async function built () {
  const b = new MatchIndexBuilder()
  b.add(ROWS.slice(0, 3))
  b.add(ROWS.slice(2)) // a row seen twice (the load's chunks may overlap) is kept once
  return await b.build()
}

const ids = (r: { top: { id: number }[] }) => r.top.map((m) => m.id)

describe('match index', async () => {
  test('tiers: exact name, then name or brand, then descriptions; rank within a tier; every match counted', async () => {
    const index = await built()
    assert.equal(index.size, 5)
    const r = index.search(query({ words: [word('speaker')], exact: ['speaker stand'] }))
    assert.deepEqual(ids(r), [5, 1, 2])
    assert.deepEqual(r.top.map((m) => m.tier), [2, 1, 1])
    assert.equal(r.total, 3)
    const black = index.search(query({ words: [word('black')] }))
    assert.deepEqual([ids(black), black.top.map((m) => m.tier), black.total], [[1, 3, 2, 5], [1, 1, 0, 0], 4])
  })

  test('every word must match; a prefix word matches every lexeme starting with it', async () => {
    const index = await built()
    assert.deepEqual(ids(index.search(query({ words: [word('black'), word('speaker')] }))), [1, 2, 5])
    assert.deepEqual(ids(index.search(query({ words: [word('black'), word('curtain')] }))), [])
    assert.deepEqual(ids(index.search(query({ words: [prefix('black')] }))), [1, 3, 4, 2, 5])
    assert.deepEqual(ids(index.search(query({ words: [word('speaker'), prefix('sta')] }))), [5])
    assert.equal(index.any([word('nothing')], {}), false)
    assert.equal(index.any([word('cable')], { maxPrice: 4.99 }), false)
    assert.equal(index.any([word('cable')], { maxPrice: 5 }), true)
    assert.deepEqual(index.frequency([word('black')]), { ndoc: 4, ntitle: 2 })
  })

  test('filters: category, price range, brand, featured', async () => {
    const index = await built()
    const black = (filter: MatchQuery['filter']) => ids(index.search(query({ words: [prefix('black')], filter })))
    assert.deepEqual(black({ categoryIds: [2] }), [3])
    assert.deepEqual(black({ minPrice: 6 }), [1, 4, 2, 5])
    assert.deepEqual(black({ brand: 'generic' }), [3])
    assert.deepEqual(black({ brand: 'nobody' }), [])
    assert.deepEqual(black({ featured: true }), [4])
  })

  test('a page and the cursor after it walk the matches without repeats or gaps', async () => {
    const index = await built()
    const first = index.search(query({ words: [word('black')], need: 2 }))
    assert.deepEqual(ids(first), [1, 3])
    const last = first.top[first.top.length - 1]
    const next = index.search(query({ words: [word('black')], need: 10, after: { tier: last.tier, rank: last.rank } }))
    assert.deepEqual(ids(next), [2, 5])
    assert.equal(next.total, 4)
  })

  test('written products replace their slots, new ones join in rank order, removed ones are gone', async () => {
    const index = await built()
    index.update([3, 4, 6], [
      row(3, 950, ['black', 'cable'], [], { price: 5, category_id: 2, brand: 'generic', brand_name: 'Generic' }), // more popular now
      row(6, 650, ['black', 'lamp'])
    ])
    assert.deepEqual(ids(index.search(query({ words: [word('black')] }))), [3, 1, 6, 2, 5])
    assert.deepEqual(ids(index.search(query({ words: [prefix('blackout')] }))), [], 'product 4 is gone')
    assert.deepEqual(ids(index.search(query({ words: [word('black')], filter: { categoryIds: [2] } }))), [3])
    assert.equal(index.size, 5)
    assert.equal(index.overlaid, 2)
    const page = index.search(query({ words: [word('black')], need: 2 }))
    const next = index.search(query({ words: [word('black')], after: { tier: page.top[1].tier, rank: page.top[1].rank } }))
    assert.deepEqual([ids(page), ids(next)], [[3, 1], [6, 2, 5]])
    assert.deepEqual(index.frequency([word('black')]), { ndoc: 5, ntitle: 3 })
  })
})

describe('match index facets', () => {
  test('count every match per brand as written, per category and per price bucket, overlay included', async () => {
    const index = await built()
    const edges = [0, 6, 100]
    const f = index.facets({ words: [word('black')], exact: [], filter: {} }, edges)
    assert.equal(f.total, 4)
    assert.deepEqual([...f.brands], [['Acme', 3], ['Generic', 1]])
    assert.deepEqual([...f.categories].sort(), [[1, 3], [2, 1]])
    assert.deepEqual(f.prices, [0, 1, 3, 0])
    index.update([2], [row(2, 800, ['red', 'speaker'], ['black'], { price: 150, brand_name: 'ACME' })])
    const after = index.facets({ words: [word('black')], exact: ['product 4'], filter: { minPrice: 6 } }, edges)
    assert.equal(after.total, 4)
    assert.deepEqual([...after.brands].sort(), [['ACME', 1], ['Acme', 3]])
    assert.deepEqual(after.prices, [0, 0, 3, 1])
  })
})

describe('sortInSteps', () => {
  test('sorts as Array.prototype.sort does, pausing between slices and merges', async () => {
    let seed = 7
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const items = Array.from({ length: 50_001 }, () => Math.floor(random() * 1e9).toString(36) + (random() < 0.1 ? 'É' : ''))
    let pauses = 0
    const sorted = await sortInSteps(items, async () => { pauses++ })
    assert.deepEqual(sorted, [...items].sort())
    assert.ok(pauses >= 3 + 3, `paused ${pauses} times`)
    assert.deepEqual(await sortInSteps([], async () => {}), [])
  })
})
