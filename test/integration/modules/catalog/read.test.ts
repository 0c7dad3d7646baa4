import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { Value } from 'typebox/value'
import { buildTestApp, flushRedisPrefix, resetDb } from '../../../support/helper.js'
import { CategoryTreeSchema, PopularListSchema, ProductDetailSchema } from '../../../../src/modules/catalog/catalog.schemas.js'
import { dbQueryChannel } from '../../../../src/lib/observability/channels.js'
import type { DbQueryEvent } from '../../../../src/lib/observability/instrumentation.js'
import { buildCatalogWorld, NO_TRAFFIC_CONTROL, type CatalogWorld } from '../../../support/catalog-fixtures.js'

let app: FastifyInstance
let w: CatalogWorld

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
  await flushRedisPrefix(app)
  w = await buildCatalogWorld(app)
})
after(() => app.close())

function assertError (res: { statusCode: number, json: () => unknown }, status: number, code: string): void {
  assert.equal(res.statusCode, status)
  const body = res.json() as Record<string, unknown>
  assert.equal(body.code, code)
  assert.equal(body.statusCode, status)
  assert.equal(typeof body.error, 'string')
  assert.equal(typeof body.message, 'string')
}

describe('product detail', () => {
  test('has every detail field: category, rating and money as numbers', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/products/${w.p.acmeLaptop}` })
    assert.equal(res.statusCode, 200)
    assert.match(res.headers['content-type'] as string, /^application\/json/)
    const body = res.json()
    assert.ok(Value.Check(ProductDetailSchema, body), res.body)
    assert.equal(body.name, 'Acme Laptop Pro 15')
    assert.equal(body.price, 1200)
    assert.equal(body.sale_price, 999.99)
    assert.equal(body.effective_price, 999.99)
    assert.deepEqual(body.rating, { average: 4.5, count: 10 })
    assert.deepEqual(body.category, { id: w.cat.laptops, name: 'Laptops', slug: 'laptops' })
    assert.equal(body.seller_id, w.seller.id)
    const bySlug = await app.inject({ method: 'GET', url: `/api/v1/products/by-slug/${body.slug}` })
    assert.equal(bySlug.statusCode, 200)
    assert.deepEqual(bySlug.json(), body)
  })

  test('ETag on detail and lists; If-None-Match answers 304 with no body', async () => {
    for (const url of [`/api/v1/products/${w.p.laptop}`, '/api/v1/products?page_size=3', '/api/v1/products/search?q=laptop', '/api/v1/categories']) {
      const first = await app.inject({ method: 'GET', url })
      const etag = first.headers.etag as string
      assert.match(etag, /^W\/".+"$/, url)
      const again = await app.inject({ method: 'GET', url, headers: { 'if-none-match': etag } })
      assert.equal(again.statusCode, 304, url)
      assert.equal(again.body, '')
      const listed = await app.inject({ method: 'GET', url, headers: { 'if-none-match': `"other", ${etag}` } })
      assert.equal(listed.statusCode, 304, url)
      const stale = await app.inject({ method: 'GET', url, headers: { 'if-none-match': 'W/"not-it"' } })
      assert.equal(stale.statusCode, 200, url)
      assert.equal(stale.body, first.body)
    }
  })

  test('missing and deleted products are 404 with the error shape; the miss is cached briefly', async () => {
    const missing = await app.inject({ method: 'GET', url: '/api/v1/products/999999' })
    assertError(missing, 404, 'CATALOG_PRODUCT_NOT_FOUND')
    assert.match((missing.json() as { message: string }).message, /999999/)
    await app.inject({ method: 'GET', url: '/api/v1/products/999999' })
    const stats = app.cache.stats().product_detail
    assert.ok(stats.l1Hits >= 1, 'second 404 came from the negative cache entry')
    assertError(await app.inject({ method: 'GET', url: '/api/v1/products/by-slug/no-such-product' }), 404, 'CATALOG_PRODUCT_NOT_FOUND')
    await app.db.sql`UPDATE products SET is_active = false WHERE id = ${w.p.mouse}`
    await w.service.invalidateProducts([w.p.mouse])
    assertError(await app.inject({ method: 'GET', url: `/api/v1/products/${w.p.mouse}` }), 404, 'CATALOG_PRODUCT_NOT_FOUND')
    await app.db.sql`UPDATE products SET is_active = true WHERE id = ${w.p.mouse}`
    await w.service.invalidateProducts([w.p.mouse])
  })
})

describe('categories', () => {
  test('the tree nests subcategories and counts their products', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/categories' })
    assert.equal(res.statusCode, 200)
    const body = res.json()
    assert.ok(Value.Check(CategoryTreeSchema, body), res.body)
    const electronics = body.categories.find((c: { id: number }) => c.id === w.cat.electronics)!
    assert.equal(electronics.product_count, 6)
    const computers = electronics.children.find((c: { id: number }) => c.id === w.cat.computers)!
    assert.equal(computers.product_count, 5)
    assert.deepEqual(computers.children.map((c: { name: string, product_count: number }) => [c.name, c.product_count]), [['Laptops', 3]])
  })

  test('a category page pages by offset and by cursor over its subtree', async () => {
    const url = `/api/v1/categories/${w.cat.electronics}/products?sort_by=price&page_size=4`
    const first = (await app.inject({ method: 'GET', url })).json()
    assert.equal(first.pagination.total_count, 6)
    const second = (await app.inject({ method: 'GET', url: `${url}&page=2` })).json()
    const byCursor = (await app.inject({ method: 'GET', url: `${url}&cursor=${first.pagination.next_cursor}` })).json()
    assert.deepEqual(byCursor.products.map((p: { id: number }) => p.id), second.products.map((p: { id: number }) => p.id))
    assert.equal(byCursor.products.length, 2)
    const prices = [...first.products, ...second.products].map((p: { effective_price: number }) => p.effective_price)
    assert.deepEqual(prices, [...prices].sort((a, b) => a - b))
  })

  test('an unknown category is a 404 on its page and an empty result as a filter', async () => {
    assertError(await app.inject({ method: 'GET', url: '/api/v1/categories/987654/products' }), 404, 'CATALOG_CATEGORY_NOT_FOUND')
    const filtered = await app.inject({ method: 'GET', url: '/api/v1/products?category_id=987654' })
    assert.equal(filtered.statusCode, 200)
    assert.equal(filtered.json().pagination.total_count, 0)
  })
})

describe('popular products', () => {
  test('counts order lines of shipped and delivered orders of the last 30 days', async (t) => {
    const order = async (status: string, daysAgo: number, productIds: number[]) => {
      const [o] = await app.db.sql<{ id: number }[]>`
        INSERT INTO orders (order_number, user_id, status, total_amount, shipping_address, billing_address, payment_method, created_at)
        VALUES (${`T-${status}-${daysAgo}-${productIds.join('-')}-${Math.random()}`}, ${w.customer.id}, ${status}, '10.00', 'a', 'b', 'card',
                now() - make_interval(days => ${daysAgo})) RETURNING id`
      for (const pid of productIds) {
        await app.db.sql`INSERT INTO order_items (order_id, product_id, quantity, unit_price, total_price) VALUES (${o.id}, ${pid}, 1, '10.00', '10.00')`
      }
    }
    await order('delivered', 2, [w.p.galaxy, w.p.blender])
    await order('shipped', 5, [w.p.galaxy])
    await order('delivered', 20, [w.p.galaxy, w.p.blender])
    await order('pending', 1, [w.p.laptop, w.p.laptop])
    await order('cancelled', 1, [w.p.laptop])
    await order('delivered', 45, [w.p.laptop, w.p.laptop])
    const aggregates: string[] = []
    const listener = (msg: unknown) => { if ((msg as DbQueryEvent).name === 'catalog.popular') aggregates.push('popular') }
    dbQueryChannel.subscribe(listener)
    t.after(() => dbQueryChannel.unsubscribe(listener))
    const res = await app.inject({ method: 'GET', url: '/api/v1/products/popular?limit=5' })
    assert.equal(res.statusCode, 200)
    const body = res.json()
    assert.ok(Value.Check(PopularListSchema, body), res.body)
    assert.equal(body.window_days, 30)
    assert.deepEqual(body.products.map((p: { id: number, order_count: number }) => [p.id, p.order_count]), [[w.p.galaxy, 3], [w.p.blender, 2]])
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/products/popular?limit=1' })).json().products.length, 1)
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/products/popular' })).json().products.length, 2)
    // Every limit is cut from one cached top list: one aggregate query for all three.
    assert.deepEqual(aggregates, ['popular'])
  })

  test('limit is 1..50', async () => {
    assertError(await app.inject({ method: 'GET', url: '/api/v1/products/popular?limit=0' }), 400, 'APP_VALIDATION_FAILED')
    assertError(await app.inject({ method: 'GET', url: '/api/v1/products/popular?limit=51' }), 400, 'APP_VALIDATION_FAILED')
  })
})

describe('bad query parameters are 400 with the error shape', () => {
  const cases: [string, string][] = [
    ['/api/v1/products?page_size=0', 'APP_VALIDATION_FAILED'],
    ['/api/v1/products?page_size=101', 'APP_VALIDATION_FAILED'],
    ['/api/v1/products?page=0', 'APP_VALIDATION_FAILED'],
    ['/api/v1/products?sort_by=popularity', 'APP_VALIDATION_FAILED'],
    ['/api/v1/products?sort_order=sideways', 'APP_VALIDATION_FAILED'],
    ['/api/v1/products?min_price=-1', 'APP_VALIDATION_FAILED'],
    ['/api/v1/products?min_price=abc', 'APP_VALIDATION_FAILED'],
    ['/api/v1/products?in_stock=maybe', 'APP_VALIDATION_FAILED'],
    ['/api/v1/products?category_id=0', 'APP_VALIDATION_FAILED'],
    ['/api/v1/products?colour=red', 'APP_VALIDATION_FAILED'],
    [`/api/v1/products/search?q=${'x'.repeat(201)}`, 'APP_VALIDATION_FAILED'],
    ['/api/v1/products/abc', 'APP_VALIDATION_FAILED'],
    ['/api/v1/products/by-slug/Not%20A%20Slug', 'APP_VALIDATION_FAILED'],
    ['/api/v1/products?min_price=50&max_price=10', 'CATALOG_INVALID_PRICE_RANGE'],
    ['/api/v1/products?page=600&page_size=20', 'CATALOG_PAGE_TOO_DEEP'],
    ['/api/v1/products?cursor=bm90LWEtY3Vyc29y', 'CATALOG_INVALID_CURSOR'],
    ['/api/v1/products?cursor=***', 'APP_VALIDATION_FAILED']
  ]
  for (const [url, code] of cases) {
    test(`${url.slice(0, 70)} → ${code}`, async () => {
      assertError(await app.inject({ method: 'GET', url }), 400, code)
    })
  }

  test('a cursor is refused for another query, another sort, or with a forged key', async () => {
    const first = (await app.inject({ method: 'GET', url: '/api/v1/products?sort_by=price&page_size=2' })).json()
    const cursor = first.pagination.next_cursor as string
    assertError(await app.inject({ method: 'GET', url: `/api/v1/products?sort_by=name&page_size=2&cursor=${cursor}` }), 400, 'CATALOG_INVALID_CURSOR')
    assertError(await app.inject({ method: 'GET', url: `/api/v1/products?sort_by=price&page_size=2&brand=acme&cursor=${cursor}` }), 400, 'CATALOG_INVALID_CURSOR')
    const payload = JSON.parse(Buffer.from(cursor, 'base64url').toString())
    const forged = Buffer.from(JSON.stringify({ ...payload, k: ["1'); DROP TABLE products; --"] })).toString('base64url')
    assertError(await app.inject({ method: 'GET', url: `/api/v1/products?sort_by=price&page_size=2&cursor=${forged}` }), 400, 'CATALOG_INVALID_CURSOR')
  })

  test('POST /products/search rejects unknown fields and wrong types', async () => {
    for (const payload of [{ q: 'x', colour: 'red' }, { is_featured: 'perhaps' }, { page_size: 'ten' }, { q: '' }]) {
      assertError(await app.inject({ method: 'POST', url: '/api/v1/products/search', payload }), 400, 'APP_VALIDATION_FAILED')
    }
  })
})

describe('route contract', () => {
  // Per-client limits (60 s window); reads are shed as 'browse', writes keep the default class.
  const EXPECTED: Record<string, { points: number, criticality?: string }> = {
    'GET /api/v1/products': { points: 200, criticality: 'browse' },
    'GET /api/v1/products/search': { points: 100, criticality: 'browse' },
    'POST /api/v1/products/search': { points: 100, criticality: 'browse' },
    'GET /api/v1/products/popular': { points: 100, criticality: 'browse' },
    'GET /api/v1/products/:id': { points: 300, criticality: 'browse' },
    'GET /api/v1/products/by-slug/:slug': { points: 300, criticality: 'browse' },
    'GET /api/v1/categories': { points: 100, criticality: 'browse' },
    'GET /api/v1/categories/:id/products': { points: 100, criticality: 'browse' },
    'POST /api/v1/products': { points: 100 },
    'PATCH /api/v1/products/:id': { points: 100 },
    'DELETE /api/v1/products/:id': { points: 100 }
  }

  test('every catalog route declares its rate limit, criticality and response schemas', async (t) => {
    const seen = new Map<string, { config: { rateLimit?: unknown, criticality?: string }, hasResponseSchema: boolean }>()
    const probe = await buildTestApp(t, NO_TRAFFIC_CONTROL, {
      setup: (instance) => {
        instance.addHook('onRequest', async (request) => {
          const { method, url, config, schema } = request.routeOptions
          seen.set(`${method} ${url}`, { config: config as never, hasResponseSchema: Boolean(schema?.response) })
        })
      }
    })
    for (const route of Object.keys(EXPECTED)) {
      const [method, url] = route.split(' ')
      await probe.inject({ method: method as 'GET', url: url.replace(':id', '1').replace(':slug', 'x') })
    }
    for (const [route, expected] of Object.entries(EXPECTED)) {
      const options = seen.get(route)
      assert.ok(options, `${route} is registered`)
      assert.deepEqual(options.config.rateLimit ?? { points: 100, duration: 60 }, { points: expected.points, duration: 60 }, route)
      assert.equal(options.config.criticality, expected.criticality, route)
      assert.ok(options.hasResponseSchema, `${route} has response schemas`)
    }
  })

  test('queries are named and carry the SQL that ran (for slow-query EXPLAIN)', async (t) => {
    const seen: DbQueryEvent[] = []
    const listener = (msg: unknown) => { seen.push(msg as DbQueryEvent) }
    dbQueryChannel.subscribe(listener)
    t.after(() => dbQueryChannel.unsubscribe(listener))
    await app.inject({ method: 'GET', url: '/api/v1/products/search?q=kitchen&brand=vortex&page_size=7' })
    // The relevance tiers run as catalog.search_rum (or search_gin without RUM, search_scan for broad words).
    const search = seen.find((e) => /^catalog\.search_(rum|gin|scan)$/.test(e.name))
    assert.ok(search?.ok, `a relevance tier query seen among ${seen.map((e) => e.name).join(', ')}`)
    const built = search.sql?.()
    assert.ok(built)
    assert.match(built.sql, /p\.title_vector @@ \$\d+::tsquery/)
    assert.match(built.sql, /lower\(p\.brand\) = \$\d+/)
    assert.ok(built.params.includes('vortex') && built.params.map(String).includes('8'), JSON.stringify(built.params))
  })

  test('the OpenAPI document lists the catalog paths', async () => {
    const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
    for (const path of ['/api/v1/products', '/api/v1/products/search', '/api/v1/products/{id}', '/api/v1/products/by-slug/{slug}', '/api/v1/categories', '/api/v1/categories/{id}/products', '/api/v1/products/popular']) {
      assert.ok(spec.paths[path], `${path} documented`)
    }
    assert.deepEqual(spec.paths['/api/v1/products/{id}'].patch.security, [{ bearerAuth: [] }])
  })
})
