/**
 * Writes made outside the app (psql, a bulk import) reach
 * every instance's caches through PostgreSQL itself (triggers of migration
 * 0008 → NOTIFY → every instance LISTENs), within a second.
 */
import { after, before, beforeEach, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import postgres from 'postgres'
import { buildTestApp, flushRedisPrefix, resetDb, TEST_DATABASE_URL, TEST_REDIS_PREFIX } from '../../../support/helper.js'
import { startTcpProxy } from '../../../support/tcp-proxy.js'
import { buildCatalogWorld, NO_TRAFFIC_CONTROL, type CatalogWorld } from '../../../support/catalog-fixtures.js'

// The bound: a plain SQL update is visible through every instance within a second.
const VISIBLE_WITHIN_MS = 1000

let a: FastifyInstance
let b: FastifyInstance
let w: CatalogWorld
/** What psql or an import script is to the app: another client, another application_name. */
let psql: postgres.Sql
const logs: Record<string, unknown>[] = []

before(async () => {
  await resetDb()
  a = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
  w = await buildCatalogWorld(a)
  // The second instance shares the Redis prefix (one per test process), as instances do.
  b = await buildTestApp(undefined, NO_TRAFFIC_CONTROL, {
    logger: {
      level: 'info',
      stream: new Writable({ write (chunk, _enc, done) { logs.push(JSON.parse(String(chunk))); done() } })
    }
  })
  psql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {}, connection: { application_name: 'psql' } })
})
after(async () => {
  await Promise.all([a.close(), b.close(), psql.end()])
})
beforeEach(async () => {
  await flushRedisPrefix(a)
  a.cache.clearLocal()
  b.cache.clearLocal()
})

async function getJson (app: FastifyInstance, url: string, status = 200) {
  const res = await app.inject({ method: 'GET', url })
  assert.equal(res.statusCode, status, `${url}: ${res.body}`)
  return res.statusCode === 200 ? res.json() : undefined
}

/** Detail, a search and the category page: the three reads that show a product's price. */
async function pricesSeen (app: FastifyInstance, id: number, query: string, categoryId: number): Promise<(number | undefined)[]> {
  const find = (list: { products: { id: number, effective_price: number }[] }) => list.products.find((p) => p.id === id)?.effective_price
  return [
    (await getJson(app, `/api/v1/products/${id}`)).effective_price,
    find(await getJson(app, `/api/v1/products/search?q=${query}`)),
    find(await getJson(app, `/api/v1/categories/${categoryId}/products?page_size=100`))
  ]
}

/** Polls until `check` holds on every instance; returns how long it took. */
async function timeUntil (check: (app: FastifyInstance) => Promise<boolean>, what: string, timeoutMs = 8000): Promise<number> {
  const started = performance.now()
  const pending = new Set([a, b])
  while (performance.now() - started < timeoutMs) {
    for (const app of pending) if (await check(app)) pending.delete(app)
    if (pending.size === 0) return performance.now() - started
    await sleep(10)
  }
  assert.fail(`timed out waiting for: ${what}`)
}

async function externalChanges (app: FastifyInstance, kind: 'products' | 'all'): Promise<number> {
  const metric = await app.metrics.prom.catalogExternalChanges.get()
  return metric.values.find((v) => v.labels.kind === kind)?.value ?? 0
}

/** Collects the payloads sent on the catalog channel while `fn` runs, up to the one `fn` ends with. */
async function notificationsDuring (fn: () => Promise<void>, last: (payload: string) => boolean): Promise<string[]> {
  const listener = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} })
  const got: string[] = []
  try {
    await listener.listen('techmart_catalog', (p) => got.push(p))
    await fn()
    const until = Date.now() + 5000
    while (!got.some(last) && Date.now() < until) await sleep(10)
    return got
  } finally {
    await listener.end()
  }
}

test('UPDATE products SET price in psql is visible through both instances, detail, search and category page, within a second', async (t) => {
  assert.deepEqual(await pricesSeen(a, w.p.galaxy, 'galaxy', w.cat.electronics), [799, 799, 799])
  assert.deepEqual(await pricesSeen(b, w.p.galaxy, 'galaxy', w.cat.electronics), [799, 799, 799])
  // All three are cached now: without the notification both instances would show 799 for an hour.
  const hitsBefore = b.cache.stats().product_detail.l1Hits
  assert.deepEqual(await pricesSeen(b, w.p.galaxy, 'galaxy', w.cat.electronics), [799, 799, 799])
  assert.equal(b.cache.stats().product_detail.l1Hits, hitsBefore + 1)
  const countedBefore = await externalChanges(b, 'products')

  const started = performance.now()
  await psql`UPDATE products SET price = 749.50 WHERE id = ${w.p.galaxy}`
  const tookMs = await timeUntil(async (app) => (await pricesSeen(app, w.p.galaxy, 'galaxy', w.cat.electronics)).every((p) => p === 749.5), 'the new price on both instances')
  t.diagnostic(`new price on both instances after ${Math.round(tookMs)} ms`)
  assert.ok(tookMs < VISIBLE_WITHIN_MS, `visible after ${Math.round(performance.now() - started)} ms`)

  assert.equal(await externalChanges(b, 'products'), countedBefore + 1)
  const line = logs.find((l) => l.msg === 'catalog changes made outside the app: caches invalidated' && l.ids === 1)
  assert.ok(line, 'the instance logs the invalidation with the number of ids')
  await psql`UPDATE products SET price = 799.00 WHERE id = ${w.p.galaxy}`
  await timeUntil(async (app) => (await getJson(app, `/api/v1/products/${w.p.galaxy}`)).effective_price === 799, 'the price back')
})

test("the app's own writes send no notification (they invalidate synchronously); other clients' do", async () => {
  const got = await notificationsDuring(async () => {
    await a.db.sql`UPDATE products SET stock_quantity = 10 WHERE id = ${w.p.galaxy}`
    await psql`UPDATE products SET stock_quantity = 10 WHERE id = ${w.p.mouse}`
  }, (p) => p.includes(`[${w.p.mouse}]`))
  // Notifications arrive in commit order: had the app's update notified, it would come first.
  assert.equal(got.length, 1, got.join('\n'))
  assert.deepEqual(JSON.parse(got[0]), { ids: [w.p.mouse], categories: [w.cat.computers], slugs: [] })
})

test('a bulk UPDATE of 2,000 rows sends one notification and leaves nothing stale on either instance', async (t) => {
  const countedBefore = await externalChanges(a, 'all')
  const inserted = await notificationsDuring(async () => {
    await psql`
      INSERT INTO products (seller_id, name, slug, sku, price, stock_quantity, category_id, brand)
      SELECT ${w.seller.id}, 'Bulk Gadget ' || g, 'bulk-gadget-' || g, 'BULK-' || g, 10, 5, ${w.cat.kitchen}, 'Bulkco'
      FROM generate_series(1, 2000) g`
  }, () => true)
  assert.deepEqual(inserted.map((p) => JSON.parse(p)), [{ all: true }], 'too many rows for one payload: "everything"')
  const [{ id: bulkId }] = await psql<{ id: number }[]>`SELECT id FROM products WHERE slug = 'bulk-gadget-1000'`
  const bulkPrice = async (app: FastifyInstance) => [
    (await getJson(app, `/api/v1/products/${bulkId}`)).effective_price,
    (await getJson(app, '/api/v1/products/by-slug/bulk-gadget-1000')).effective_price,
    (await getJson(app, `/api/v1/products?brand=bulkco&sort_by=name&page_size=1&page=${1}`)).products[0].effective_price,
    (await getJson(app, `/api/v1/categories/${w.cat.home}/products?brand=bulkco&page_size=1`)).products[0].effective_price
  ]
  await timeUntil(async (app) => (await bulkPrice(app)).every((p) => p === 10), 'the bulk products listed')
  const blender = async (app: FastifyInstance) => (await getJson(app, `/api/v1/products/${w.p.blender}`)).effective_price
  assert.equal(await blender(a), 89.5)
  assert.equal(await blender(b), 89.5)

  const started = performance.now()
  const updated = await notificationsDuring(async () => {
    await psql`UPDATE products SET price = price + 5 WHERE category_id = ${w.cat.kitchen}`
  }, () => true)
  assert.deepEqual(updated.map((p) => JSON.parse(p)), [{ all: true }], 'one notification for 2,001 rows')
  const tookMs = await timeUntil(async (app) => (await bulkPrice(app)).every((p) => p === 15) && await blender(app) === 94.5, 'every bulk price fresh')
  t.diagnostic(`bulk update fresh on both instances after ${Math.round(tookMs)} ms`)
  assert.ok(tookMs < VISIBLE_WITHIN_MS, `visible after ${Math.round(performance.now() - started)} ms`)
  assert.ok(await externalChanges(a, 'all') >= countedBefore + 2)
  await psql`DELETE FROM products WHERE brand = 'Bulkco'`
  await psql`UPDATE products SET price = 89.50 WHERE id = ${w.p.blender}`
})

test('a category renamed in psql shows in product details and the tree on both instances', async () => {
  const seen = async (app: FastifyInstance) => {
    const tree = JSON.stringify(await getJson(app, '/api/v1/categories'))
    return [(await getJson(app, `/api/v1/products/${w.p.galaxy}`)).category.name, tree.includes('"Mobile Phones"')]
  }
  assert.deepEqual(await seen(a), ['Phones', false])
  assert.deepEqual(await seen(b), ['Phones', false])
  await psql`UPDATE categories SET name = 'Mobile Phones' WHERE id = ${w.cat.phones}`
  const tookMs = await timeUntil(async (app) => JSON.stringify(await seen(app)) === '["Mobile Phones",true]', 'the new category name')
  assert.ok(tookMs < VISIBLE_WITHIN_MS, `visible after ${Math.round(tookMs)} ms`)
  await psql`UPDATE categories SET name = 'Phones' WHERE id = ${w.cat.phones}`
  await timeUntil(async (app) => JSON.stringify(await seen(app)) === '["Phones",false]', 'the name back')
})

test('INSERT and DELETE in psql: a new product (cached as "not found" before) appears, a deleted one is gone, on both instances', async () => {
  const slug = `psql-toaster-${process.pid}`
  // Cached "not found" (negative entries) and a category page without it.
  await getJson(a, `/api/v1/products/by-slug/${slug}`, 404)
  await getJson(b, `/api/v1/products/by-slug/${slug}`, 404)
  const kitchenIds = async (app: FastifyInstance) => (await getJson(app, `/api/v1/categories/${w.cat.kitchen}/products`)).products.map((p: { id: number }) => p.id)
  assert.deepEqual(await kitchenIds(a), [w.p.blender])
  assert.deepEqual(await kitchenIds(b), [w.p.blender])

  const [{ id }] = await psql<{ id: number }[]>`
    INSERT INTO products (seller_id, name, slug, sku, price, category_id) VALUES (${w.seller.id}, 'Psql Toaster', ${slug}, ${`SKU-${slug}`}, 30, ${w.cat.kitchen})
    RETURNING id`
  let tookMs = await timeUntil(async (app) => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/products/by-slug/${slug}` })
    return res.statusCode === 200 && (await kitchenIds(app)).includes(id)
  }, 'the inserted product')
  assert.ok(tookMs < VISIBLE_WITHIN_MS, `insert visible after ${Math.round(tookMs)} ms`)
  assert.equal((await getJson(b, `/api/v1/products/${id}`)).name, 'Psql Toaster')

  await psql`DELETE FROM products WHERE id = ${id}`
  tookMs = await timeUntil(async (app) => {
    const res = await app.inject({ method: 'GET', url: `/api/v1/products/${id}` })
    return res.statusCode === 404 && !(await kitchenIds(app)).includes(id)
  }, 'the deleted product gone')
  assert.ok(tookMs < VISIBLE_WITHIN_MS, `delete visible after ${Math.round(tookMs)} ms`)
})

test('the listener reconnects after PostgreSQL was unreachable, and invalidates what it may have missed', async (t) => {
  const proxy = await startTcpProxy(Number(new URL(TEST_DATABASE_URL).port || 5432))
  t.after(() => proxy.close())
  const url = new URL(TEST_DATABASE_URL)
  url.host = `127.0.0.1:${proxy.port}`
  const lines: Record<string, unknown>[] = []
  // Its own Redis prefix: it must learn of the change through its listener alone, not the others' bus messages.
  const c = await buildTestApp(t, { ...NO_TRAFFIC_CONTROL, databaseUrl: url.href, redisKeyPrefix: `${TEST_REDIS_PREFIX}-c` }, {
    logger: { level: 'info', stream: new Writable({ write (chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done() } }) }
  })
  const price = async () => (await getJson(c, `/api/v1/products/${w.p.laptop}`)).effective_price
  assert.equal(await price(), 500)

  proxy.cut()
  // Changed while the listener cannot hear: this notification is lost for instance c.
  await psql`UPDATE products SET price = 450 WHERE id = ${w.p.laptop}`
  await sleep(500)
  assert.equal(await price(), 500, 'still the cached entry while the database is away')
  proxy.restore()
  await timeUntilOn(c, async () => await price() === 450, 'the change made during the outage')
  assert.ok(lines.some((l) => String(l.msg).startsWith('catalog change listener reconnected')), 'logged the re-subscription')

  // And it hears new changes again.
  const started = performance.now()
  await psql`UPDATE products SET price = 500 WHERE id = ${w.p.laptop}`
  await timeUntilOn(c, async () => await price() === 500, 'a change after the reconnection')
  assert.ok(performance.now() - started < VISIBLE_WITHIN_MS)
  await flushRedisPrefix(c)
})

test('with Redis unreachable, a psql update still reaches the instance (local invalidation, replayed later)', async (t) => {
  const proxy = await startTcpProxy(Number(new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379').port || 6379))
  t.after(() => proxy.close())
  const c = await buildTestApp(t, { ...NO_TRAFFIC_CONTROL, redisUrl: proxy.url('redis') })
  const price = async () => (await getJson(c, `/api/v1/products/${w.p.sleeve}`)).effective_price
  assert.equal(await price(), 29.99)
  proxy.cut()
  await psql`UPDATE products SET price = 24.99 WHERE id = ${w.p.sleeve}`
  await timeUntilOn(c, async () => await price() === 24.99, 'the new price without Redis')
  assert.ok(c.cache.layers().pendingInvalidations > 0, 'the bump waits for Redis')
  proxy.restore()
  await timeUntilOn(c, async () => c.cache.layers().pendingInvalidations === 0, 'the bump replayed')
  await psql`UPDATE products SET price = 29.99 WHERE id = ${w.p.sleeve}`
})

async function timeUntilOn (app: FastifyInstance, check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (await check().catch(() => false)) return
    await sleep(20)
  }
  assert.fail(`timed out waiting for: ${what}`)
}

test('a database without the triggers is named at start; migration 0008 re-runs to add them; a bare NOTIFY empties the catalog', async (t) => {
  // Re-runnable, as README tells operators of a database that recorded the placeholder.
  const applyMigration = async () => {
    const migration = await readFile(new URL('../../../../drizzle/0008_external_invalidation.sql', import.meta.url), 'utf8')
    for (const statement of migration.split('--> statement-breakpoint')) await psql.unsafe(statement)
  }
  await psql`DROP TRIGGER categories_notify ON categories`
  t.after(applyMigration)
  const lines: Record<string, unknown>[] = []
  const c = await buildTestApp(t, NO_TRAFFIC_CONTROL, {
    logger: { level: 'info', stream: new Writable({ write (chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done() } }) }
  })
  const warning = lines.find((l) => String(l.msg).startsWith('catalog change triggers are missing'))
  assert.deepEqual(warning?.missing, ['categories_notify'])

  await applyMigration()
  const [{ n }] = await psql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_trigger WHERE tgname LIKE '%\\_notify%' AND NOT tgisinternal`
  assert.equal(n, 5)

  const before = await externalChanges(c, 'all')
  await psql`NOTIFY techmart_catalog`
  await timeUntilOn(c, async () => await externalChanges(c, 'all') === before + 1, 'the bare NOTIFY counted as "everything"')
})
