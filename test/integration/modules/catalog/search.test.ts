import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { Value } from 'typebox/value'
import { buildTestApp, flushRedisPrefix, resetDb } from '../../../support/helper.js'
import { createProduct } from '../../../support/fixtures.js'
import { ProductListSchema } from '../../../../src/modules/catalog/catalog.schemas.js'
import { buildCatalogWorld, NO_TRAFFIC_CONTROL, type CatalogWorld } from '../../../support/catalog-fixtures.js'
import { searchChannel, type SearchEvent } from '../../../../src/lib/observability/channels.js'

let app: FastifyInstance
let w: CatalogWorld

interface ListBody {
  products: { id: number, name: string, effective_price: number, price: number, brand: string, stock_quantity: number, is_featured: boolean, rating: { average: number } }[]
  pagination: { page: number, page_size: number, total_count: number, total_count_exact: boolean, total_pages: number, next_cursor: string | null }
  corrected_query?: string
}

async function get (url: string): Promise<ListBody> {
  const res = await app.inject({ method: 'GET', url })
  assert.equal(res.statusCode, 200, res.body)
  const body = res.json() as ListBody
  assert.ok(Value.Check(ProductListSchema, body), `response matches ProductListSchema: ${res.body}`)
  return body
}
const names = (b: ListBody) => b.products.map((p) => p.name)

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
  await flushRedisPrefix(app)
  w = await buildCatalogWorld(app)
  assert.equal(await w.service.refreshSearchWords(), true)
})
after(() => app.close())

describe('full-text search', () => {
  test('an exact name match ranks first, then the other matches by relevance', async () => {
    const body = await get('/api/v1/products/search?q=laptop')
    assert.equal(body.products[0].name, 'Laptop')
    assert.deepEqual(new Set(names(body)), new Set(['Laptop', 'Acme Laptop Pro 15', 'Neoprene Laptop Sleeve', 'Gaming Laptop Ultra', 'Wireless Mouse']))
    // A name match outranks a description-only match.
    assert.equal(body.products.at(-1)!.name, 'Wireless Mouse')
    assert.equal(body.pagination.total_count, 5)
    assert.equal(body.pagination.total_count_exact, true)
  })

  test('the last word matches as a prefix (as-you-type), and `query` is an alias of q', async () => {
    assert.deepEqual(new Set(names(await get('/api/v1/products/search?q=gaming%20lapt'))), new Set(['Gaming Laptop Ultra']))
    assert.deepEqual(names(await get('/api/v1/products/search?query=blend')), ['Kitchen Blender'])
  })

  test('misspelled brand and product words still find the product, and say what was searched', async () => {
    const brand = await get('/api/v1/products/search?q=samsnug')
    assert.deepEqual(names(brand), ['Samsung Galaxy Phone'])
    assert.equal(brand.corrected_query, 'samsung')
    const word = await get('/api/v1/products/search?q=blendr')
    assert.deepEqual(names(word), ['Kitchen Blender'])
    const both = await get('/api/v1/products/search?q=galxy%20phnoe')
    assert.deepEqual(names(both), ['Samsung Galaxy Phone'])
    assert.equal(both.corrected_query, 'galaxy phone')
    const none = await get('/api/v1/products/search?q=zzzqqqxxx')
    assert.equal(none.products.length, 0)
    assert.equal(none.pagination.total_count, 0)
    assert.equal(none.corrected_query, undefined)
  })

  test('POST /products/search takes the same parameters as a JSON body', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/products/search', payload: { q: 'laptop', max_price: 600, sort_by: 'price' } })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(names(res.json()), ['Wireless Mouse', 'Neoprene Laptop Sleeve', 'Laptop'])
  })
})

describe('search analytics feed', () => {
  test('every search, cached or not, is published with its result count and duration', async () => {
    const events: SearchEvent[] = []
    const listener = (m: unknown) => { events.push(m as SearchEvent) }
    searchChannel.subscribe(listener)
    try {
      const first = await get('/api/v1/products/search?q=laptop')
      await get('/api/v1/products/search?q=laptop') // a cache hit
      await get('/api/v1/products/search?q=zzqqxxnothing')
      await get('/api/v1/products?page=1') // not a search
      assert.equal(events.length, 3)
      assert.deepEqual(events.map((e) => [e.query, e.results]), [['laptop', first.pagination.total_count], ['laptop', first.pagination.total_count], ['zzqqxxnothing', 0]])
      assert.ok(events.every((e) => e.durationMs >= 0))
    } finally {
      searchChannel.unsubscribe(listener)
    }
  })
})

describe('filters', () => {
  test('category includes its subcategories', async () => {
    const electronics = await get(`/api/v1/products?category_id=${w.cat.electronics}&page_size=100`)
    assert.deepEqual(new Set(names(electronics)), new Set(['Acme Laptop Pro 15', 'Laptop', 'Neoprene Laptop Sleeve', 'Samsung Galaxy Phone', 'Gaming Laptop Ultra', 'Wireless Mouse']))
    const computers = await get(`/api/v1/products?category_id=${w.cat.computers}`)
    assert.equal(computers.products.length, 5)
    const page = await get(`/api/v1/categories/${w.cat.home}/products`)
    assert.deepEqual(names(page), ['Kitchen Blender'])
  })

  test('price range uses the sale price when there is one', async () => {
    const body = await get('/api/v1/products?min_price=900&max_price=1000')
    assert.deepEqual(names(body), ['Acme Laptop Pro 15'])
    assert.equal(body.products[0].effective_price, 999.99)
    assert.equal(body.products[0].price, 1200)
    assert.deepEqual(names(await get('/api/v1/products?min_price=1100&max_price=1300')), [])
  })

  test('brand (case-insensitive), featured and in stock', async () => {
    assert.deepEqual(names(await get('/api/v1/products?brand=SAMSUNG')), ['Samsung Galaxy Phone'])
    assert.deepEqual(new Set(names(await get('/api/v1/products?is_featured=true'))), new Set(['Acme Laptop Pro 15', 'Kitchen Blender']))
    const inStock = await get('/api/v1/products?in_stock=true&page_size=100')
    assert.ok(!names(inStock).includes('Neoprene Laptop Sleeve'))
    assert.equal(inStock.products.length, 6)
    assert.deepEqual(names(await get('/api/v1/products?in_stock=false')), ['Neoprene Laptop Sleeve'])
  })

  test('filters combine with a text query', async () => {
    assert.deepEqual(names(await get(`/api/v1/products/search?q=laptop&category_id=${w.cat.laptops}&in_stock=true&sort_by=price&sort_order=desc`)),
      ['Gaming Laptop Ultra', 'Acme Laptop Pro 15', 'Laptop'])
  })
})

describe('sorts', () => {
  const all = '/api/v1/products?page_size=100'
  test('price ascending and descending (effective price)', async () => {
    const asc = await get(`${all}&sort_by=price&sort_order=asc`)
    const prices = asc.products.map((p) => p.effective_price)
    assert.deepEqual(prices, [...prices].sort((a, b) => a - b))
    assert.deepEqual((await get(`${all}&sort_by=price&sort_order=desc`)).products.map((p) => p.effective_price), [...prices].reverse())
  })

  test('name (the default), newest first, and rating', async () => {
    const byName = names(await get(all))
    assert.deepEqual(byName, [...byName].sort())
    const newest = names(await get(`${all}&sort_by=created_at`))
    assert.deepEqual(newest.slice(0, 2), ['Wireless Mouse', 'Gaming Laptop Ultra'])
    const rated = (await get(`${all}&sort_by=rating`)).products.map((p) => p.rating.average)
    assert.deepEqual(rated, [...rated].sort((a, b) => b - a))
    assert.equal(rated[0], 4.8)
  })
})

describe('pagination', () => {
  test('page and page_size with totals', async () => {
    const p2 = await get('/api/v1/products?page=2&page_size=3')
    assert.equal(p2.products.length, 3)
    assert.deepEqual(p2.pagination, { page: 2, page_size: 3, total_count: 7, total_count_exact: true, total_pages: 3, next_cursor: p2.pagination.next_cursor })
    assert.equal(names(p2)[0], names(await get('/api/v1/products?page_size=100'))[3])
  })

  test('the cursor walks every row once and stays stable when rows are inserted before it', async () => {
    const seen: string[] = []
    let body = await get('/api/v1/products?sort_by=created_at&page_size=2')
    seen.push(...names(body))
    // Newer products sort before the cursor: offset paging would repeat a row, keyset does not.
    await createProduct(app, { sellerId: w.seller.id, categoryId: w.cat.kitchen, name: 'Inserted Kettle' })
    await app.cache.invalidate(['catalog:s:all:base'])
    while (body.pagination.next_cursor) {
      const next = await get(`/api/v1/products?sort_by=created_at&page_size=2&cursor=${body.pagination.next_cursor}`)
      assert.equal(next.pagination.page, body.pagination.page + 1)
      seen.push(...names(next))
      body = next
    }
    assert.equal(seen.length, new Set(seen).size, `no duplicates: ${seen.join(', ')}`)
    assert.equal(seen.length, 7)
    assert.ok(!seen.includes('Inserted Kettle'))
  })

  test('a search cursor carries the relevance key', async () => {
    const first = await get('/api/v1/products/search?q=laptop&page_size=2')
    const second = await get(`/api/v1/products/search?q=laptop&page_size=2&cursor=${first.pagination.next_cursor}`)
    const third = await get(`/api/v1/products/search?q=laptop&page_size=2&cursor=${second.pagination.next_cursor}`)
    assert.deepEqual([...names(first), ...names(second), ...names(third)], names(await get('/api/v1/products/search?q=laptop&page_size=10')))
    assert.equal(third.pagination.next_cursor, null)
  })
})

describe('counts stay cheap on big match sets', () => {
  test('lists count up to 10,000; text searches count exactly up to 300 text matches and estimate past that', async () => {
    // In chunks: each row feeds two GIN and two RUM indexes, and one 10,000-row statement
    // can pass the test pool's statement timeout on a busy machine.
    for (const [from, to] of [[1, 3500], [3501, 7000], [7001, 10005]]) {
      await app.db.sql`
        INSERT INTO products (seller_id, name, slug, sku, price, stock_quantity, category_id)
        SELECT ${w.seller.id}, 'Bulk Widget ' || n, 'bulk-widget-' || n, 'BULK-' || n, 9.99, 1, ${w.cat.kitchen}
        FROM generate_series(${from}::int, ${to}::int) AS n`
    }
    assert.equal(await w.service.refreshSearchWords(), true)
    await app.cache.invalidate(['catalog:s:all:base'])
    const list = await get('/api/v1/products?page_size=50')
    assert.deepEqual([list.pagination.total_count, list.pagination.total_count_exact, list.pagination.total_pages], [10_000, false, 200])
    const search = await get('/api/v1/products/search?q=widget')
    assert.deepEqual([search.pagination.total_count, search.pagination.total_count_exact], [10_005, false])
    assert.equal(search.products.length, 20)
    const sorted = await get('/api/v1/products/search?q=widget&sort_by=name&page_size=5')
    assert.deepEqual([sorted.pagination.total_count, sorted.pagination.total_count_exact], [10_005, false])
    assert.deepEqual(names(sorted), ['Bulk Widget 1', 'Bulk Widget 10', 'Bulk Widget 100', 'Bulk Widget 1000', 'Bulk Widget 10000'])
    // Every widget costs 9.99: the sample passes the price filter whole, or not at all.
    const filtered = await get('/api/v1/products/search?q=widget&max_price=10')
    assert.deepEqual([filtered.pagination.total_count, filtered.pagination.total_count_exact], [10_005, false])
    const none = await get('/api/v1/products/search?q=widget&min_price=10')
    assert.deepEqual([none.pagination.total_count, none.pagination.total_count_exact, none.products.length], [0, true, 0])
    const twoWords = await get('/api/v1/products/search?q=bulk%20widget')
    assert.deepEqual([twoWords.pagination.total_count, twoWords.pagination.total_count_exact], [10_005, false])
    const small = await get('/api/v1/products/search?q=blender')
    assert.deepEqual([small.pagination.total_count, small.pagination.total_count_exact], [1, true])
  })
})
