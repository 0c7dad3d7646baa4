import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import postgres from 'postgres'
import { Value } from 'typebox/value'
import { buildTestApp, flushRedisPrefix, resetDb, TEST_DATABASE_URL } from '../../support/helper.js'
import { createProduct } from '../../support/fixtures.js'
import { auth, buildCatalogWorld, NO_TRAFFIC_CONTROL, type CatalogWorld } from '../../support/catalog-fixtures.js'
import { SuggestResponseSchema, type SuggestResponse } from '../../../src/modules/catalog/catalog.suggest-schemas.js'
import { buildTokenIndex, findEntries, SHORT_PREFIX_TOP } from '../../../src/modules/catalog/catalog.suggest-index.js'
import { documentTokens, queryWords } from '../../../src/modules/catalog/catalog.suggest-tokens.js'
import { eventually as poll } from '../../support/eventually.js'

/** Waits until `check` holds: the index is rebuilt in the background after product writes. */
const eventually = (check: () => Promise<boolean>, what: string) => poll(check, what, 15_000, 100)

let app: FastifyInstance
let w: CatalogWorld
let extra: Record<'headphones' | 'receiver' | 'charger' | 'hidden' | 'toaster', number>

async function suggest (q: string, limit?: number): Promise<SuggestResponse> {
  const res = await app.inject({ method: 'GET', url: '/api/v1/products/suggest', query: limit === undefined ? { q } : { q, limit: String(limit) } })
  assert.equal(res.statusCode, 200, res.body)
  const body = res.json() as SuggestResponse
  assert.ok(Value.Check(SuggestResponseSchema, body), `response matches SuggestResponseSchema: ${res.body}`)
  return body
}
const texts = (b: SuggestResponse) => b.suggestions.map((s) => `${s.type}:${s.text}`)

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
  await flushRedisPrefix(app)
  w = await buildCatalogWorld(app)
  const make = async (name: string, brand: string, categoryId: number, ratingCount: number, isActive = true) => {
    const { id } = await createProduct(app, { sellerId: w.seller.id, name, brand, categoryId, isActive })
    await app.db.sql`UPDATE products SET rating_avg = 4.00, rating_count = ${ratingCount} WHERE id = ${id}`
    return id
  }
  extra = {
    headphones: await make('Sony WH-1000XM5 Wireless Headphones', 'Sony', w.cat.electronics, 50),
    receiver: await make('Marantz Cinema 70s AV Receiver 9.4 Channel', 'Marantz', w.cat.electronics, 40),
    charger: await make('USB-C Charger 65W', 'Anker', w.cat.electronics, 30),
    hidden: await make('Samsung Hidden Gadget', 'Samsung', w.cat.phones, 99, false),
    toaster: await make('Retro Toaster', 'Vortex', w.cat.kitchen, 1)
  }
  // The fixtures are written on the app's own connections, which send no change notification: announce
  // them as a bulk change made outside the app is announced, which schedules a rebuild of the index.
  await w.service.invalidateAll()
  await eventually(async () => (await suggest('retro')).suggestions.length > 0, 'the index holds the fixtures')
})
after(() => app.close())

describe('GET /products/suggest', () => {
  test('a prefix finds categories, then products by popularity (rating count, then rating)', async () => {
    const body = await suggest('lap')
    assert.equal(body.ready, true)
    assert.equal(body.query, 'lap')
    assert.deepEqual(texts(body), [
      'category:Laptops',
      // Every world product has 10 ratings: the average decides.
      'product:Gaming Laptop Ultra', 'product:Acme Laptop Pro 15', 'product:Neoprene Laptop Sleeve', 'product:Laptop'
    ])
    const product = body.suggestions.find((s) => s.text === 'Gaming Laptop Ultra')!
    assert.equal(product.id, w.p.gamingLaptop)
    assert.match(product.slug!, /^gaming-laptop-ultra/)
    // Most rated first.
    assert.deepEqual(texts(await suggest('s')).filter((t) => t.startsWith('product:')),
      ['product:Sony WH-1000XM5 Wireless Headphones', 'product:Samsung Galaxy Phone', 'product:Neoprene Laptop Sleeve'])
  })

  test('several words: each is a prefix of some word of the name, in any order', async () => {
    assert.deepEqual(texts(await suggest('gaming lap')), ['product:Gaming Laptop Ultra'])
    assert.deepEqual(texts(await suggest('lap gam')), ['product:Gaming Laptop Ultra'])
    assert.deepEqual(texts(await suggest('laptop pro')), ['product:Acme Laptop Pro 15'])
    assert.deepEqual(texts(await suggest('Wireless MOU')), ['product:Wireless Mouse'])
    assert.deepEqual(texts(await suggest('gaming zzz')), [])
  })

  test('model numbers, decimals and hyphens match with or without their punctuation', async () => {
    for (const q of ['wh-1000', 'wh1000', '1000xm5', 'WH-1000XM5', 'sony wh 1000']) {
      assert.deepEqual(texts(await suggest(q)), ['product:Sony WH-1000XM5 Wireless Headphones'], q)
    }
    for (const q of ['9.4', 'receiver 9.4', 'AV Receiver 9.4 Channel', 'marantz cinema 70s']) {
      assert.deepEqual(texts(await suggest(q)), ['product:Marantz Cinema 70s AV Receiver 9.4 Channel'], q)
    }
    for (const q of ['usb-c', 'usbc', 'USB-C Charger 65']) assert.deepEqual(texts(await suggest(q)), ['product:USB-C Charger 65W'], q)
    assert.deepEqual(documentTokens('Sony WH-1000XM5'), ['sony', 'wh', '1000xm5', 'wh1000xm5'])
    assert.deepEqual(documentTokens('AV Receiver 9.4 Channel, Café'), ['av', 'receiver', '9.4', 'channel', 'cafe'])
    assert.deepEqual(queryWords('WH-1000  9.4 café+'), ['wh1000', '9.4', 'cafe'])
  })

  test('brands come first with their active product count', async () => {
    const body = await suggest('sams')
    // The inactive Samsung product counts for nothing and is never suggested.
    assert.deepEqual(body.suggestions, [
      { type: 'brand', text: 'Samsung', product_count: 1 },
      { type: 'product', text: 'Samsung Galaxy Phone', id: w.p.galaxy, slug: body.suggestions[1].slug }
    ])
    assert.deepEqual(texts(await suggest('logi')), ['brand:Logitech'])
    assert.deepEqual(texts(await suggest('vort')), ['brand:Vortex'])
  })

  test('categories carry their id, slug and the active products of their subtree', async () => {
    const kitchen = (await suggest('kitch')).suggestions.find((s) => s.type === 'category')!
    assert.deepEqual(kitchen, { type: 'category', text: 'Kitchen', id: w.cat.kitchen, slug: 'kitchen', product_count: 2 })
    const home = (await suggest('home')).suggestions.find((s) => s.type === 'category')!
    assert.equal(home.product_count, 2)
    const electronics = (await suggest('electr')).suggestions.find((s) => s.type === 'category')!
    // Electronics holds three fixtures itself, and its subtree the six world products of computers, laptops and phones.
    assert.equal(electronics.product_count, 9)
  })

  test('inactive products are not suggested', async () => {
    assert.deepEqual(texts(await suggest('hidden')), [])
    assert.deepEqual(texts(await suggest('samsung hid')), [])
  })

  test('limit caps the suggestions (default 8); brands and categories take at most one slot in four', async () => {
    // "a": the brands Acme and Anker, the products "Acme Laptop Pro 15" and the Marantz receiver ("AV"), most rated first.
    assert.deepEqual(texts(await suggest('a')), ['brand:Acme', 'brand:Anker', 'product:Marantz Cinema 70s AV Receiver 9.4 Channel', 'product:Acme Laptop Pro 15'])
    assert.equal((await suggest('a', 20)).suggestions.length, 4)
    // Below four suggestions no slot is reserved: products first, then brands and categories if products run out.
    assert.deepEqual(texts(await suggest('a', 3)), ['product:Marantz Cinema 70s AV Receiver 9.4 Channel', 'product:Acme Laptop Pro 15', 'brand:Acme'])
    assert.deepEqual(texts(await suggest('sams', 1)), ['product:Samsung Galaxy Phone'])
    assert.deepEqual(texts(await suggest('logi', 1)), ['brand:Logitech'])
  })

  test('answers carry a cache lifetime; a query of no word suggests nothing', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/products/suggest?q=lap' })
    assert.equal(res.headers['cache-control'], 'public, max-age=30')
    assert.deepEqual((await suggest('  ?! ')).suggestions, [])
  })

  test('invalid input is a 400: empty, too long, control characters, limit out of range', async () => {
    for (const url of [
      '/api/v1/products/suggest', '/api/v1/products/suggest?q=', `/api/v1/products/suggest?q=${'a'.repeat(101)}`,
      '/api/v1/products/suggest?q=lap%00top', '/api/v1/products/suggest?q=lap%0A', '/api/v1/products/suggest?q=lap&limit=0',
      '/api/v1/products/suggest?q=lap&limit=21', '/api/v1/products/suggest?q=lap&limit=x'
    ]) {
      const res = await app.inject({ method: 'GET', url })
      assert.equal(res.statusCode, 400, url)
      assert.equal(res.json().code, 'APP_VALIDATION_FAILED', url)
    }
    assert.equal((await app.inject({ method: 'GET', url: `/api/v1/products/suggest?q=${'a'.repeat(100)}` })).statusCode, 200)
  })

  test('a renamed product is found under its new name after the rebuild its write schedules', async () => {
    const res = await app.inject({ method: 'PATCH', url: `/api/v1/products/${extra.toaster}`, headers: auth(w.admin), payload: { name: 'Quantum Flux Toaster' } })
    assert.equal(res.statusCode, 200, res.body)
    await eventually(async () => texts(await suggest('quantum fl')).includes('product:Quantum Flux Toaster'), 'the new name is suggested')
    assert.deepEqual(texts(await suggest('retro')), [])
    // A product switched off leaves the suggestions the same way.
    assert.equal((await app.inject({ method: 'DELETE', url: `/api/v1/products/${extra.charger}`, headers: auth(w.admin) })).statusCode, 204)
    await eventually(async () => (await suggest('usb-c')).suggestions.length === 0, 'the deleted product is no longer suggested')
  })
})

describe('before the index has loaded', () => {
  test('answers ready: false with no suggestions and no-store, then suggests once loaded', async () => {
    // The products table is locked while the second app starts: its index cannot load until the lock goes.
    const locker = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} })
    let release!: () => void
    const released = new Promise<void>((resolve) => { release = resolve })
    let locked!: () => void
    const isLocked = new Promise<void>((resolve) => { locked = resolve })
    const holding = locker.begin(async (tx) => {
      await tx`LOCK TABLE products IN ACCESS EXCLUSIVE MODE`
      locked()
      await released
    })
    try {
      await isLocked
      const cold = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
      try {
        const res = await cold.inject({ method: 'GET', url: '/api/v1/products/suggest?q=lap' })
        assert.equal(res.statusCode, 200)
        assert.deepEqual(res.json(), { query: 'lap', ready: false, suggestions: [] })
        assert.equal(res.headers['cache-control'], 'no-store')
        release()
        await holding
        await eventually(async () => (await cold.inject({ method: 'GET', url: '/api/v1/products/suggest?q=lap' })).json().ready === true, 'the index loads')
        const loaded = (await cold.inject({ method: 'GET', url: '/api/v1/products/suggest?q=gaming' })).json() as SuggestResponse
        assert.deepEqual(texts(loaded), ['product:Gaming Laptop Ultra'])
      } finally {
        await cold.close()
      }
    } finally {
      release()
      await holding.catch(() => {})
      await locker.end({ timeout: 5 })
    }
  })
})

describe('suggestion index', () => {
  test('a short prefix past its precomputed top entries is continued by merging the posting lists', async () => {
    // Entries 0..1999 all start with "a"; only those from 1500 on also hold "zebra".
    const lists = Array.from({ length: 2000 }, (_, i) => i >= 1500 ? ['alpha', `a${i}`, 'zebra'] : ['alpha', `a${i}`])
    const ix = await buildTokenIndex(lists)
    assert.equal(ix.short.get('a')!.length, SHORT_PREFIX_TOP)
    assert.deepEqual(findEntries(ix, ['a', 'zeb'], 3), [1500, 1501, 1502])
    assert.deepEqual(findEntries(ix, ['a'], 3), [0, 1, 2])
    assert.equal(findEntries(ix, ['a19', 'z'], 200).length, 100)
    assert.deepEqual(findEntries(ix, ['b'], 3), [])
    assert.deepEqual(findEntries(ix, ['a', 'zeb'], 5, (e) => e % 2 === 1), [1501, 1503, 1505, 1507, 1509])
  })
})
