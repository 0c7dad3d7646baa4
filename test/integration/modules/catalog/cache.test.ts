import { after, before, beforeEach, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, flushRedisPrefix, resetDb, TEST_DATABASE_URL } from '../../../support/helper.js'
import { startTcpProxy } from '../../../support/tcp-proxy.js'
import { ORDER_BODY } from '../../../support/commerce-fixtures.js'
import { auth, buildCatalogWorld, NO_TRAFFIC_CONTROL, type CatalogWorld } from '../../../support/catalog-fixtures.js'
import { eventually } from '../../../support/eventually.js'

let app: FastifyInstance
let w: CatalogWorld

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
  w = await buildCatalogWorld(app)
})
after(() => app.close())
beforeEach(async () => {
  await flushRedisPrefix(app)
  app.cache.clearLocal()
})

async function getJson (instance: FastifyInstance, url: string) {
  const res = await instance.inject({ method: 'GET', url })
  assert.equal(res.statusCode, 200, `${url}: ${res.body}`)
  return { body: res.json(), status: res.headers['server-timing'] as string | undefined }
}

/** The three reads that show a product's price: detail, a search and its category page. */
async function pricesSeen (instance: FastifyInstance, id: number, query: string, categoryId: number): Promise<number[]> {
  const detail = (await getJson(instance, `/api/v1/products/${id}`)).body.effective_price
  const find = (list: { products: { id: number, effective_price: number }[] }) => list.products.find((p) => p.id === id)?.effective_price
  const search = find((await getJson(instance, `/api/v1/products/search?q=${query}`)).body)
  const category = find((await getJson(instance, `/api/v1/categories/${categoryId}/products?page_size=100`)).body)
  return [detail, search!, category!]
}

test('a price change shows at once in detail, search and category page, here and on a second instance', async (t) => {
  const other = await buildTestApp(t, NO_TRAFFIC_CONTROL)
  assert.deepEqual(await pricesSeen(app, w.p.galaxy, 'galaxy', w.cat.electronics), [799, 799, 799])
  assert.deepEqual(await pricesSeen(other, w.p.galaxy, 'galaxy', w.cat.electronics), [799, 799, 799])
  // Both instances now answer these from their L1.
  assert.ok(app.cache.stats().product_detail.misses >= 1)

  const res = await app.inject({ method: 'PATCH', url: `/api/v1/products/${w.p.galaxy}`, headers: auth(w.seller), payload: { price: 749.5 } })
  assert.equal(res.statusCode, 200)
  assert.deepEqual(await pricesSeen(app, w.p.galaxy, 'galaxy', w.cat.electronics), [749.5, 749.5, 749.5])
  await eventually(async () => (await pricesSeen(other, w.p.galaxy, 'galaxy', w.cat.electronics)).every((p) => p === 749.5), 'second instance sees the new price')
})

/** How the cache answered, from Server-Timing: 'hit', 'miss', 'stale'... */
async function cacheAnswer (instance: FastifyInstance, url: string): Promise<string | undefined> {
  return /cache;[^,]*desc=(\w+)/.exec((await getJson(instance, url)).status ?? '')?.[1]
}

/** The stock a list page shows for product `id`, undefined when the page does not list it. */
async function listedStock (url: string, id: number): Promise<number | undefined> {
  const { products } = (await getJson(app, url)).body as { products: { id: number, stock_quantity: number }[] }
  return products.find((p) => p.id === id)?.stock_quantity
}

/** Places an order of `quantity` units of product `id` for the world's customer through the API; answers the order id. */
async function order (id: number, quantity: number): Promise<number> {
  await app.db.sql`INSERT INTO cart_items (user_id, product_id, quantity) VALUES (${w.customer.id}, ${id}, ${quantity})`
  const res = await app.inject({ method: 'POST', url: '/api/v1/orders', headers: auth(w.customer), payload: ORDER_BODY })
  assert.equal(res.statusCode, 201, res.body)
  return res.json().id
}

async function cancel (orderId: number): Promise<void> {
  const res = await app.inject({ method: 'PATCH', url: `/api/v1/orders/${orderId}/status`, headers: auth(w.admin), payload: { status: 'cancelled' } })
  assert.equal(res.statusCode, 200, res.body)
}

test('an order that leaves stock keeps cached list, search and category pages (stock as cached); the detail shows the new stock at once', async () => {
  const pages = [
    '/api/v1/products?page_size=100',
    `/api/v1/categories/${w.cat.computers}/products`,
    `/api/v1/products?in_stock=true&category_id=${w.cat.computers}`,
    '/api/v1/products/search?q=mouse'
  ]
  for (const url of pages) assert.equal(await listedStock(url, w.p.mouse), 50, url)
  assert.equal((await getJson(app, `/api/v1/products/${w.p.mouse}`)).body.stock_quantity, 50)

  const orderId = await order(w.p.mouse, 2)
  assert.equal((await getJson(app, `/api/v1/products/${w.p.mouse}`)).body.stock_quantity, 48)
  for (const url of pages) {
    assert.equal(await cacheAnswer(app, url), 'hit', url)
    assert.equal(await listedStock(url, w.p.mouse), 50, `${url} shows the stock it was cached with`)
  }

  await cancel(orderId)
  assert.equal((await getJson(app, `/api/v1/products/${w.p.mouse}`)).body.stock_quantity, 50)
  for (const url of pages) assert.equal(await cacheAnswer(app, url), 'hit', url)
})

test('an order that sells a product out refreshes in_stock pages of its categories and pages showing it; cancelling it brings it back', async () => {
  const inStock = [`/api/v1/products?in_stock=true&category_id=${w.cat.laptops}`, '/api/v1/products?in_stock=true&page_size=100']
  const showing = [`/api/v1/categories/${w.cat.laptops}/products`, '/api/v1/products/search?q=gaming']
  const untouched = [`/api/v1/categories/${w.cat.kitchen}/products`, `/api/v1/products?in_stock=true&category_id=${w.cat.kitchen}`]
  for (const url of [...inStock, ...showing]) assert.equal(await listedStock(url, w.p.gamingLaptop), 2, url)
  for (const url of untouched) await getJson(app, url)

  const orderId = await order(w.p.gamingLaptop, 2)
  assert.equal((await getJson(app, `/api/v1/products/${w.p.gamingLaptop}`)).body.stock_quantity, 0)
  for (const url of inStock) {
    assert.equal(await cacheAnswer(app, url), 'miss', url)
    assert.equal(await listedStock(url, w.p.gamingLaptop), undefined, `${url} no longer lists it`)
  }
  for (const url of showing) {
    assert.equal(await cacheAnswer(app, url), 'miss', url)
    assert.equal(await listedStock(url, w.p.gamingLaptop), 0, url)
  }
  for (const url of untouched) assert.equal(await cacheAnswer(app, url), 'hit', `${url} neither shows it nor filters its categories`)

  await cancel(orderId)
  assert.equal((await getJson(app, `/api/v1/products/${w.p.gamingLaptop}`)).body.stock_quantity, 2)
  for (const url of [...inStock, ...showing]) assert.equal(await listedStock(url, w.p.gamingLaptop), 2, `${url} after the restock`)
  for (const url of untouched) assert.equal(await cacheAnswer(app, url), 'hit', url)
})

test('a new review (rating change) reorders rating-sorted pages', async () => {
  const top = async () => (await getJson(app, '/api/v1/products?sort_by=rating')).body.products[0].id
  assert.equal(await top(), w.p.galaxy)
  await app.db.sql`UPDATE products SET rating_avg = 4.95 WHERE id = ${w.p.blender}`
  await w.service.invalidateProducts([w.p.blender])
  assert.equal(await top(), w.p.blender)
  await app.db.sql`UPDATE products SET rating_avg = 4.00 WHERE id = ${w.p.blender}`
  await w.service.invalidateProducts([w.p.blender])
})

test('responses say how the cache answered (Server-Timing) and the cache counts per type and layer', async () => {
  const before = app.cache.stats().product_detail
  const first = await getJson(app, `/api/v1/products/${w.p.laptop}`)
  const second = await getJson(app, `/api/v1/products/${w.p.laptop}`)
  assert.match(first.status ?? '', /cache;desc=miss/)
  assert.match(second.status ?? '', /cache;desc=hit/)
  let now = app.cache.stats().product_detail
  assert.equal(now.misses - before.misses, 1)
  assert.equal(now.l1Hits - before.l1Hits, 1)
  app.cache.clearLocal()
  await getJson(app, `/api/v1/products/${w.p.laptop}`)
  now = app.cache.stats().product_detail
  assert.equal(now.l2Hits - before.l2Hits, 1)
  assert.equal(now.misses - before.misses, 1)
})

test('with Redis down, every catalog read still answers 200', async (t) => {
  const proxy = await startTcpProxy(6379)
  t.after(() => proxy.close())
  const viaProxy = await buildTestApp(t, { ...NO_TRAFFIC_CONTROL, redisUrl: proxy.url('redis') })
  await getJson(viaProxy, `/api/v1/products/${w.p.laptop}`)
  proxy.cut()
  await eventually(async () => !viaProxy.redis.isReady(), 'redis client notices the outage')
  for (const url of [
    `/api/v1/products/${w.p.laptop}`, `/api/v1/products/${w.p.mouse}`, '/api/v1/products', '/api/v1/products/search?q=laptop',
    `/api/v1/categories/${w.cat.electronics}/products`, '/api/v1/categories', '/api/v1/products/popular'
  ]) {
    const res = await viaProxy.inject({ method: 'GET', url })
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`)
  }
  const write = await viaProxy.inject({ method: 'PATCH', url: `/api/v1/products/${w.p.mouse}`, headers: auth(w.seller), payload: { stock_quantity: 49 } })
  assert.equal(write.statusCode, 200)
  assert.equal((await getJson(viaProxy, `/api/v1/products/${w.p.mouse}`)).body.stock_quantity, 49)
})

test('with PostgreSQL down, an invalidated or expired entry is served (grace) instead of an error', async (t) => {
  const proxy = await startTcpProxy(5432)
  t.after(() => proxy.close())
  const dbName = new URL(TEST_DATABASE_URL).pathname
  const viaProxy = await buildTestApp(t, { ...NO_TRAFFIC_CONTROL, databaseUrl: proxy.url('postgres', dbName), databaseConnectTimeoutS: 1 })
  const fresh = await getJson(viaProxy, `/api/v1/products/${w.p.blender}`)
  await viaProxy.cache.invalidate([`catalog:p:${w.p.blender}`])
  proxy.cut()
  const res = await viaProxy.inject({ method: 'GET', url: `/api/v1/products/${w.p.blender}` })
  assert.equal(res.statusCode, 200)
  assert.deepEqual(res.json(), fresh.body)
  assert.equal(viaProxy.cache.stats().product_detail.staleHits, 1)
  // Nothing cached for this one: the outage surfaces as a 503 with the error shape.
  const missing = await viaProxy.inject({ method: 'GET', url: `/api/v1/products/${w.p.sleeve}` })
  assert.equal(missing.statusCode, 503)
  assert.equal(missing.json().code, 'APP_DATABASE_UNAVAILABLE')
  proxy.restore()
})
