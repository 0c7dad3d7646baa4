import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { Value } from 'typebox/value'
import { buildTestApp, flushRedisPrefix, resetDb, TEST_REDIS_PREFIX } from '../../support/helper.js'
import { createCategory, createProduct, createUser } from '../../support/fixtures.js'
import { NO_TRAFFIC_CONTROL } from '../../support/catalog-fixtures.js'
import { ProductListSchema } from '../../../src/modules/catalog/catalog.schemas.js'
import { CatalogTags } from '../../../src/modules/catalog/catalog.keys.js'
import { createCatalogService, type CatalogService } from '../../../src/modules/catalog/catalog.service.js'

interface Body {
  products: { id: number, name: string, brand: string | null }[]
  pagination: { total_count: number, total_count_exact: boolean, next_cursor: string | null }
  matching?: 'all' | 'partial'
  dropped?: string[]
  corrected_query?: string
  facets?: {
    exact: boolean
    sample_size: number
    brand?: { value: string, count: number }[]
    category?: { id: number, name: string, count: number }[]
    price?: { min: number, max: number | null, count: number }[]
  }
}

// Three apps on one database: as shipped (the in-process match index), the RUM plan (migration
// built its indexes) and the GIN fallback.
let shipped: FastifyInstance
let rum: FastifyInstance
let gin: FastifyInstance
let service: CatalogService
let categoryId: number
let sellerId: number
let sellerToken: string

async function search (app: FastifyInstance, query: string): Promise<Body> {
  const res = await app.inject({ url: `/api/v1/products/search?${query}` })
  assert.equal(res.statusCode, 200, res.body)
  const body = res.json() as Body
  assert.ok(Value.Check(ProductListSchema, body), `matches ProductListSchema: ${res.body.slice(0, 500)}`)
  return body
}
const q = (text: string, extra = ''): string => `q=${encodeURIComponent(text)}${extra}`
const names = (b: Body) => b.products.map((p) => p.name)

const NAMED = [
  { name: 'Marantz Cinema 70s 8K AV Receiver 9.4 Channel Silver', brand: 'Marantz' },
  { name: 'Denon AVR-X3800H AV Receiver 9.4 Channel Black', brand: 'Denon' },
  { name: 'Polk Signa S4 Soundbar 3.1 Channel', brand: 'Polk', reviews: 400 },
  { name: 'Polk MagniFi Mini AX Soundbar 2.1 Channel', brand: 'Polk', reviews: 2 },
  { name: 'Polk Audio Monitor XT20 Bookshelf Speakers', brand: 'Polk' },
  { name: 'Sony WH-1000XM5 Wireless Noise Cancelling Headphones Black', brand: 'Sony', price: '399.99' },
  { name: 'Samsung Galaxy S24+ 256GB Onyx Black', brand: 'Samsung', price: '999.99' },
  { name: 'Samsung Galaxy S24 128GB Onyx Black', brand: 'Samsung', price: '799.99', reviews: 900 },
  { name: 'Anker Nano USB-C Charger 65W', brand: 'Anker', price: '45.00' },
  { name: 'Whirlpool Countertop Microwave 0.9 cu ft Stainless', brand: 'Whirlpool', price: '129.00' },
  { name: 'Whirlpool Countertop Microwave 2.2 cu ft Stainless', brand: 'Whirlpool', price: '229.00', reviews: 500 },
  { name: 'Insignia 10-inch Tablet Stand', brand: 'Insignia', price: '19.99' },
  { name: 'Sanus Tilting Wall Mount for 32-55 TVs', brand: 'Sanus', price: '59.99' },
  { name: 'PowerBlock Elite EXP 10-90 lb Adjustable Dumbbells', brand: 'PowerBlock', price: '499.00' },
  { name: 'Canon RF 35mm f/1.8 Macro IS STM Lens', brand: 'Canon', price: '499.00' },
  // "headphones" only in the description: ranks below every name match, however popular.
  { name: 'Audio Technica Turntable AT-LP60X', brand: 'Audio-Technica', description: 'Pairs with headphones and speakers', reviews: 5000 }
] as const

/** 1,200 unpopular products with "black" in their name, inserted first (table order), then one popular one. */
const FILLERS = 1200

before(async () => {
  await resetDb()
  rum = await buildTestApp(undefined, { ...NO_TRAFFIC_CONTROL, catalogWordsRefreshS: 0 })
  gin = await buildTestApp(undefined, { ...NO_TRAFFIC_CONTROL, catalogWordsRefreshS: 0, searchTextIndex: 'gin' })
  await flushRedisPrefix(rum)
  const seller = await createUser(rum, { role: 'seller' })
  sellerId = seller.id
  sellerToken = seller.token
  categoryId = (await createCategory(rum, { name: 'Audio Video' })).id
  await rum.db.sql`
    INSERT INTO products (seller_id, name, slug, sku, price, stock_quantity, category_id, brand, description)
    SELECT ${sellerId}, 'Filler Black Cable ' || n, 'filler-black-cable-' || n, 'FILL-' || n, 5 + n % 50, 1, ${categoryId}, 'Generic', 'A plain cable'
    FROM generate_series(1, ${FILLERS}::int) AS n`
  // 60 products of a mid-frequency word, priced 10.00 to 69.00: served by the text index, not a scan.
  await rum.db.sql`
    INSERT INTO products (seller_id, name, slug, sku, price, stock_quantity, category_id, brand)
    SELECT ${sellerId}, 'Turbo Widget ' || n, 'turbo-widget-' || n, 'TURBO-' || n, 9 + n, 1, ${categoryId}, 'Turbo'
    FROM generate_series(1, 60) AS n`
  for (const p of NAMED) {
    const { id } = await createProduct(rum, {
      sellerId, categoryId, name: p.name, brand: p.brand, price: 'price' in p ? p.price : '99.00', description: 'description' in p ? p.description : undefined
    })
    if ('reviews' in p) await rum.db.sql`UPDATE products SET rating_count = ${p.reviews}, rating_avg = 4.5 WHERE id = ${id}`
  }
  const { id } = await createProduct(rum, { sellerId, categoryId, name: 'Black Premium Speaker', brand: 'Acme', price: '150.00' })
  await rum.db.sql`UPDATE products SET rating_count = 3000, rating_avg = 4.8 WHERE id = ${id}`
  await rum.db.sql`ANALYZE products`
  // Inserted through SQL, not the catalog's write path: announce it as an outside writer's notification would.
  for (const app of [rum, gin]) await app.cache.invalidate([CatalogTags.scope('all', 'base')])
  service = createCatalogService({
    db: { db: rum.db.db, sql: rum.db.sql, readSql: rum.db.readSql }, cache: rum.cache, log: rum.log, wordsRefreshS: 0, searchTextIndex: 'auto', searchMatchIndex: false
  })
  assert.equal(await service.refreshSearchWords(), true)
  // Its own cache (key prefix): its answers are its own, never another app's cached page.
  shipped = await buildTestApp(undefined, { ...NO_TRAFFIC_CONTROL, catalogWordsRefreshS: 0, searchMatchIndex: true, redisKeyPrefix: `${TEST_REDIS_PREFIX}-shipped` })
  await shipped.catalogSearch.loaded()
})
after(async () => {
  await flushRedisPrefix(shipped)
  await shipped.close()
  await rum.close()
  await gin.close()
})

describe('one tokenization for product names and queries', () => {
  test('the exact name of every product, punctuation and all, finds that product first', async () => {
    for (const p of NAMED) {
      const body = await search(shipped, q(p.name))
      assert.equal(body.products[0]?.name, p.name, `search for "${p.name}"`)
      assert.equal(body.matching, 'all')
      assert.deepEqual(body.dropped, [])
    }
  })

  test('decimals, hyphens, plus signs, slashes and ranges match the same way on both sides', async () => {
    const cases: [string, string][] = [
      ['Marantz AV Receiver 9.4', 'Marantz Cinema 70s 8K AV Receiver 9.4 Channel Silver'],
      ['Polk 2.1', 'Polk MagniFi Mini AX Soundbar 2.1 Channel'],
      ['wh-1000xm5', 'Sony WH-1000XM5 Wireless Noise Cancelling Headphones Black'],
      ['Sony WH1000XM5', 'Sony WH-1000XM5 Wireless Noise Cancelling Headphones Black'],
      ['Galaxy S24+', 'Samsung Galaxy S24+ 256GB Onyx Black'],
      ['usb-c charger', 'Anker Nano USB-C Charger 65W'],
      ['usbc', 'Anker Nano USB-C Charger 65W'],
      ['Whirlpool 0.9 cu ft', 'Whirlpool Countertop Microwave 0.9 cu ft Stainless'],
      ['10-inch stand', 'Insignia 10-inch Tablet Stand'],
      ['wall mount 32-55', 'Sanus Tilting Wall Mount for 32-55 TVs'],
      ['PowerBlock 10-90', 'PowerBlock Elite EXP 10-90 lb Adjustable Dumbbells'],
      ['35mm f/1.8', 'Canon RF 35mm f/1.8 Macro IS STM Lens']
    ]
    for (const [typed, expected] of cases) {
      const body = await search(shipped, q(typed))
      assert.equal(body.products[0]?.name, expected, `search for "${typed}": ${names(body).slice(0, 3).join(' | ')}`)
    }
    // "9.4 Channel" and "AV Receiver 9.4" are in both receivers and in nothing else; "2.1" is not "3.1".
    assert.deepEqual(new Set(names(await search(shipped, q('9.4 Channel')))), new Set(NAMED.slice(0, 2).map((p) => p.name)))
    assert.deepEqual(new Set(names(await search(shipped, q('AV Receiver 9.4')))), new Set(NAMED.slice(0, 2).map((p) => p.name)))
    assert.deepEqual(names(await search(shipped, q('Polk 2.1'))), ['Polk MagniFi Mini AX Soundbar 2.1 Channel'])
    // S24+ is only the plus model; S24 finds both, the more popular first.
    assert.deepEqual(names(await search(shipped, q('S24+'))), ['Samsung Galaxy S24+ 256GB Onyx Black'])
    assert.deepEqual(names(await search(shipped, q('Galaxy S24'))), ['Samsung Galaxy S24 128GB Onyx Black', 'Samsung Galaxy S24+ 256GB Onyx Black'])
  })
})

describe('word dropping', () => {
  test('a product\'s exact name plus a word no product has still finds the product, and says which word was dropped', async () => {
    for (const p of NAMED.slice(0, 8)) {
      const body = await search(shipped, q(`${p.name} zorblax`))
      assert.equal(body.products[0]?.name, p.name)
      assert.equal(body.matching, 'partial')
      assert.deepEqual(body.dropped, ['zorblax'])
    }
  })

  test('known words that match nothing together: the most common one goes first', async () => {
    // Three Polk products, one Marantz: "polk" tells less.
    const body = await search(shipped, q('marantz polk'))
    assert.deepEqual(names(body), ['Marantz Cinema 70s 8K AV Receiver 9.4 Channel Silver'])
    assert.deepEqual([body.matching, body.dropped], ['partial', ['polk']])
  })

  test('typo correction, the prefix on the last word and dropping work together', async () => {
    const body = await search(shipped, q('sny zorblax wh-1000xm5 headph'))
    assert.equal(body.products[0]?.name, 'Sony WH-1000XM5 Wireless Noise Cancelling Headphones Black')
    assert.deepEqual(body.dropped, ['zorblax'])
    assert.equal(body.corrected_query, 'sony wh-1000xm5 headph')
  })

  test('the last word is a prefix of the word as written, not only of its stem', async () => {
    // "cancelling" is stored stemmed as "cancel": "cancell" is a prefix of the written word only.
    for (const typed of ['noise cancell', 'sony nois', 'wirel']) {
      assert.equal((await search(shipped, q(typed))).products[0]?.name, 'Sony WH-1000XM5 Wireless Noise Cancelling Headphones Black', typed)
    }
  })

  test('a last word that is a whole word elsewhere is tried as a prefix before any word is dropped', async () => {
    // "audio" is a word (Polk Audio, Audio Technica); with "turntable" only "audio-technica" completes it.
    const body = await search(shipped, q('turntable audio-tech'))
    assert.deepEqual(names(body), ['Audio Technica Turntable AT-LP60X'])
    const partial = await search(shipped, q('Sony Wireless Noise Canc'))
    assert.equal(partial.products[0]?.name, 'Sony WH-1000XM5 Wireless Noise Cancelling Headphones Black')
    assert.deepEqual([partial.matching, partial.dropped], ['all', []])
  })

  test('the exact-name tier holds the name left after a dropped word or a correction', async () => {
    // Both receivers match "av receiver 9.4 channel"; the one whose name it is comes first.
    const named = 'Denon AVR-X3800H AV Receiver 9.4 Channel Black'
    assert.equal((await search(shipped, q(`${named} zorblax`))).products[0]?.name, named)
    assert.equal((await search(shipped, q('Denon AVR-X3800H AV Recevier 9.4 Channel Black'))).products[0]?.name, named)
  })

  test('a cursor keeps walking the reduced query', async () => {
    const first = await search(shipped, q('black zorblax', '&page_size=5'))
    assert.deepEqual(first.dropped, ['zorblax'])
    const second = await search(shipped, q('black zorblax', `&page_size=5&cursor=${first.pagination.next_cursor}`))
    assert.equal(second.products.length, 5)
    assert.deepEqual(second.dropped, ['zorblax'])
    const both = names(await search(shipped, q('black', '&page_size=10')))
    assert.deepEqual([...names(first), ...names(second)], both)
  })
})

describe('relevance over every match', () => {
  test('a broad word ranks all its matches: the popular product inserted after 1,200 others comes first', async () => {
    const body = await search(shipped, q('black'))
    assert.equal(body.products[0].name, 'Black Premium Speaker')
    // Then the other popular ones; the 1,200 unreviewed fillers come last.
    assert.equal(body.products[1].name, 'Samsung Galaxy S24 128GB Onyx Black')
  })

  test('a name match outranks a description-only match, however popular', async () => {
    const body = await search(shipped, q('headphones'))
    assert.deepEqual(names(body), ['Sony WH-1000XM5 Wireless Noise Cancelling Headphones Black', 'Audio Technica Turntable AT-LP60X'])
  })

  test('the match index, the RUM plan and the GIN fallback give the same pages, cursor after cursor', async () => {
    for (const text of ['black', 'polk', 'channel', 'cable black', 'samsung black', 'headphones', 'black', 'stainless']) {
      const walk = async (app: FastifyInstance) => {
        const seen: string[] = []
        let cursor = ''
        for (let i = 0; i < 3; i++) {
          const body = await search(app, q(text, `&page_size=7${cursor}`))
          seen.push(...names(body))
          if (body.pagination.next_cursor === null) break
          cursor = `&cursor=${body.pagination.next_cursor}`
        }
        return seen
      }
      const expected = await walk(rum)
      assert.deepEqual(await walk(gin), expected, `"${text}" GIN`)
      assert.deepEqual(await walk(shipped), expected, `"${text}" match index`)
    }
  })

  test('a full page of a narrow word with filters counts its total; a short page knows it', async () => {
    const body = await search(shipped, q('turbo', '&max_price=39.99&page_size=5'))
    assert.equal(body.products.length, 5)
    assert.notEqual(body.pagination.next_cursor, null)
    // 30 of the 60 Turbo widgets cost at most 39.99 (10.00 + n - 1); all 60 are within the 300-match sample.
    assert.deepEqual([body.pagination.total_count, body.pagination.total_count_exact], [30, true])
    const short = await search(shipped, q('turbo', '&max_price=12&page_size=5'))
    assert.deepEqual([short.products.length, short.pagination.total_count, short.pagination.total_count_exact], [3, 3, true])
  })

  test('a broad word with a narrow price filter still fills the page from matches past the scan', async () => {
    const body = await search(shipped, q('black', '&min_price=54&max_price=54.5&page_size=50'))
    assert.ok(body.products.length > 0)
    assert.ok(body.products.every((p) => p.name.startsWith('Filler Black Cable')))
    assert.equal(body.pagination.total_count_exact, true)
    assert.equal(body.pagination.total_count, body.products.length)
  })
})

describe('facets', () => {
  test('counts per brand, category and price bucket over the matches of a search', async () => {
    const body = await search(rum, q('samsung', '&facets=brand,category,price'))
    assert.deepEqual(body.facets, {
      exact: true,
      sample_size: 2,
      brand: [{ value: 'Samsung', count: 2 }],
      category: [{ id: categoryId, name: 'Audio Video', slug: 'audio-video', count: 2 }],
      price: [{ min: 500, max: 1000, count: 2 }]
    })
  })

  test('a broad word is counted over its 1,000 best ranked matches, and says so', async () => {
    const body = await search(rum, q('black', '&facets=brand'))
    assert.equal(body.facets?.exact, false)
    assert.equal(body.facets?.sample_size, 1000)
    assert.equal(body.facets?.brand?.reduce((n, b) => n + b.count, 0), 1000)
    assert.equal(body.facets?.price, undefined)
  })

  test('lists take facets too, and a bad facet name is a 400', async () => {
    const res = await rum.inject({ url: '/api/v1/products?brand=polk&facets=price,brand' })
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json().facets, { exact: true, sample_size: 3, brand: [{ value: 'Polk', count: 3 }], price: [{ min: 50, max: 100, count: 3 }] })
    const bad = await rum.inject({ url: '/api/v1/products/search?q=black&facets=colour' })
    assert.equal(bad.statusCode, 400)
  })
})

describe('the vocabulary is rebuilt in the background', () => {
  test('a product added since the last rebuild is found by its new words', async () => {
    await createProduct(rum, { sellerId, categoryId, name: 'Quuxotron Hyperdrive', brand: 'Quux' })
    assert.deepEqual(names(await search(rum, q('quuxotron'))), ['Quuxotron Hyperdrive'])
    assert.deepEqual(names(await search(rum, q('quuxot'))), ['Quuxotron Hyperdrive'])
  })

  test('a word the app looked up and did not know is known again as soon as a product write brings it', async () => {
    assert.deepEqual(names(await search(rum, q('flibbertigibbet'))), [])
    const res = await rum.inject({
      method: 'POST',
      url: '/api/v1/products',
      headers: { authorization: `Bearer ${sellerToken}` },
      payload: { name: 'Flibbertigibbet Lamp', sku: 'FLIB-1', price: 25, category_id: categoryId }
    })
    assert.equal(res.statusCode, 201, res.body)
    const after = await search(rum, q('flibbertigibbet'))
    assert.deepEqual([names(after), after.dropped], [['Flibbertigibbet Lamp'], []])
  })

  test('an empty answer given before this process has seen the vocabulary built is cached for a second, not a minute', async () => {
    // The gin app never refreshed its vocabulary: a typo answers nothing until the vocabulary knows the word.
    await createProduct(rum, { sellerId, categoryId, name: 'Zentrifuge Deluxe', brand: 'Zent' })
    assert.deepEqual(names(await search(gin, q('zentrifuhe'))), [])
    await service.refreshSearchWords()
    await new Promise((resolve) => setTimeout(resolve, 1300))
    // Served stale at most once while it reloads, then the new answer.
    await search(gin, q('zentrifuhe'))
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.deepEqual(names(await search(gin, q('zentrifuhe'))), ['Zentrifuge Deluxe'])
  })
})

describe('the in-process match index', () => {
  const seller = () => ({ authorization: `Bearer ${sellerToken}` })

  test('answers from process memory: a product written without an announcement is found once its write is announced', async () => {
    const { id } = await createProduct(rum, { sellerId, categoryId, name: 'Zyzzogeton Silent Blender', brand: 'Zyzzo' })
    assert.deepEqual(names(await search(rum, q('zyzzogeton'))), ['Zyzzogeton Silent Blender'])
    // The index has not heard of the insert: the shipped app does not see it.
    assert.deepEqual(names(await search(shipped, q('zyzzogeton blender'))), [])
    // What the catalog's own writes (and outside writes, through NOTIFY) announce.
    await shipped.cache.invalidate([CatalogTags.listed(id), CatalogTags.scope('all', 'base')])
    const found = await search(shipped, q('zyzzogeton blender'))
    assert.deepEqual([names(found), found.pagination.total_count, found.pagination.total_count_exact], [['Zyzzogeton Silent Blender'], 1, true])
  })

  test('the next search after a write through the API sees it: rename, price, removal', async () => {
    const created = await shipped.inject({
      method: 'POST',
      url: '/api/v1/products',
      headers: seller(),
      payload: { name: 'Quillwort Desk Lamp', sku: 'QUILL-1', price: 30, category_id: categoryId, brand: 'Quill' }
    })
    assert.equal(created.statusCode, 201, created.body)
    const id = created.json().id as number
    assert.deepEqual(names(await search(shipped, q('quillwort lamp'))), ['Quillwort Desk Lamp'])

    const renamed = await shipped.inject({ method: 'PATCH', url: `/api/v1/products/${id}`, headers: seller(), payload: { name: 'Quillwort Floor Lamp', price: 80 } })
    assert.equal(renamed.statusCode, 200, renamed.body)
    assert.deepEqual(names(await search(shipped, q('quillwort floor'))), ['Quillwort Floor Lamp'])
    assert.deepEqual(names(await search(shipped, q('quillwort desk'))).filter((n) => n.startsWith('Quillwort')), ['Quillwort Floor Lamp'], 'desk dropped, floor lamp found')
    assert.deepEqual(names(await search(shipped, q('quillwort', '&max_price=50'))), [])
    assert.deepEqual(names(await search(shipped, q('quillwort', '&min_price=50&brand=quill'))), ['Quillwort Floor Lamp'])

    const removed = await shipped.inject({ method: 'DELETE', url: `/api/v1/products/${id}`, headers: seller() })
    assert.equal(removed.statusCode, 204, removed.body)
    assert.deepEqual(names(await search(shipped, q('quillwort'))), [])
  })

  test('filters, cursors and exact totals agree with the database\'s search', async () => {
    const cases = [
      q('black', '&max_price=20&page_size=9'),
      q('black cable', `&category_id=${categoryId}&page_size=4`),
      q('widget', '&brand=turbo&min_price=30&page_size=6'),
      q('turbo widget', '&is_featured=false&page_size=25')
    ]
    for (const query of cases) {
      const expected = await search(rum, query)
      const got = await search(shipped, query)
      assert.deepEqual(names(got), names(expected), query)
      if (expected.pagination.total_count_exact) assert.equal(got.pagination.total_count, expected.pagination.total_count, query)
      assert.equal(got.pagination.total_count_exact, true, query)
      if (expected.pagination.next_cursor !== null) {
        const more = (b: Body) => `${query}&cursor=${b.pagination.next_cursor}`
        assert.deepEqual(names(await search(shipped, more(got))), names(await search(rum, more(expected))), `${query}, page 2`)
      }
    }
  })

  test('facets count every match, however broad the word', async () => {
    const narrow = q('samsung', '&facets=brand,category,price')
    assert.deepEqual((await search(shipped, narrow)).facets, (await search(rum, narrow)).facets)
    const broad = await search(shipped, q('black', '&facets=brand,price&max_price=60'))
    assert.equal(broad.facets?.exact, true)
    assert.equal(broad.facets?.sample_size, broad.pagination.total_count)
    assert.ok(broad.pagination.total_count > 1000, String(broad.pagination.total_count))
    assert.equal(broad.facets?.price?.reduce((n, b) => n + b.count, 0), broad.pagination.total_count)
    assert.ok(broad.facets?.price?.every((b) => b.max !== null && b.max <= 100))
  })

  test('a stock filter is not held in process: the database answers it', async () => {
    const { id } = await createProduct(rum, { sellerId, categoryId, name: 'Vorpal Soldout Kettle', brand: 'Vorpal', stock: 0 })
    await shipped.cache.invalidate([CatalogTags.listed(id), CatalogTags.scope('all', 'base')])
    assert.deepEqual(names(await search(shipped, q('vorpal kettle', '&in_stock=false'))), ['Vorpal Soldout Kettle'])
    assert.deepEqual(names(await search(shipped, q('vorpal kettle', '&in_stock=true'))), [])
  })

  test('a change made outside the app that names no product sends searches to the database until the index is rebuilt', async () => {
    await createProduct(rum, { sellerId, categoryId, name: 'Gallimaufry Spice Rack', brand: 'Galli' })
    await shipped.cache.invalidate([CatalogTags.details, CatalogTags.scope('all', 'base')])
    // At once (the database), and still after the rebuild that the announcement started (the index).
    assert.deepEqual(names(await search(shipped, q('gallimaufry rack'))), ['Gallimaufry Spice Rack'])
    await new Promise((resolve) => setTimeout(resolve, 1500))
    await shipped.cache.invalidate([CatalogTags.scope('all', 'base')])
    assert.deepEqual(names(await search(shipped, q('gallimaufry spice'))), ['Gallimaufry Spice Rack'])
  })
})
