/**
 * With DATABASE_READ_URL, a product just edited or created
 * and an order just placed are read from the primary, so no cache is
 * refilled from a lagging replica with the old row. The "replica" here is a
 * copy of the test database that receives no writes: an infinitely lagging
 * replica.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import postgres from 'postgres'
import { copyDatabase, databaseName, dropDatabase } from '../../../../tools/loadtest/db-copy.js'
import { createReplicaWindow } from '../../../../src/db/replica-window.js'
import { buildTestApp, flushRedisPrefix, resetDb, TEST_DATABASE_URL } from '../../../support/helper.js'
import { ORDER_BODY, placeOrder, putInCart } from '../../../support/commerce-fixtures.js'
import { auth, buildCatalogWorld, NO_TRAFFIC_CONTROL, type CatalogWorld } from '../../../support/catalog-fixtures.js'
import { eventually } from '../../../support/eventually.js'

const REPLICA_NAME = `${databaseName(TEST_DATABASE_URL)}_replica`
const replicaUrl = (() => {
  const u = new URL(TEST_DATABASE_URL)
  u.pathname = `/${REPLICA_NAME}`
  return u.href
})()

let a: FastifyInstance
let b: FastifyInstance
let w: CatalogWorld
let replica: postgres.Sql

before(async () => {
  await resetDb()
  const seeding = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
  w = await buildCatalogWorld(seeding)
  await flushRedisPrefix(seeding)
  await seeding.close()
  await copyDatabase(TEST_DATABASE_URL, REPLICA_NAME, () => {})
  replica = postgres(replicaUrl, { max: 1, onnotice: () => {} })
  // Two instances sharing Redis (the same prefix), both reading from the lagging replica.
  a = await buildTestApp(undefined, { ...NO_TRAFFIC_CONTROL, databaseReadUrl: replicaUrl })
  b = await buildTestApp(undefined, { ...NO_TRAFFIC_CONTROL, databaseReadUrl: replicaUrl })
})
after(async () => {
  await flushRedisPrefix(a)
  await Promise.all([a.close(), b.close(), replica.end()])
  await dropDatabase(TEST_DATABASE_URL, REPLICA_NAME)
})

async function getJson (app: FastifyInstance, url: string) {
  const res = await app.inject({ method: 'GET', url })
  assert.equal(res.statusCode, 200, `${url}: ${res.body}`)
  return res.json()
}

async function prices (app: FastifyInstance, id: number, query: string): Promise<(number | undefined)[]> {
  const search = await getJson(app, `/api/v1/products/search?q=${encodeURIComponent(query)}`)
  return [(await getJson(app, `/api/v1/products/${id}`)).effective_price, search.products.find((p: { id: number }) => p.id === id)?.effective_price]
}

test('the read pool follows the window: the primary for windowMs after a write, then the replica again', async () => {
  let now = 1_000
  const database = async (sql: postgres.Sql) => (await sql<{ db: string }[]>`SELECT current_database() AS db`)[0].db
  const primaryName = databaseName(TEST_DATABASE_URL)
  const window = createReplicaWindow({ primary: a.db.sql, replica: a.db.readSql, windowMs: 5000, now: () => now })
  assert.equal(await database(window.sql), REPLICA_NAME)
  window.markWrite()
  assert.equal(await database(window.sql), primaryName)
  // Fragments (sql.unsafe) and transactions follow the same choice.
  assert.equal((await window.sql`SELECT ${window.sql.unsafe('current_database()')} AS db`)[0].db, primaryName)
  assert.equal(await window.sql.begin((tx) => database(tx as unknown as postgres.Sql)), primaryName)
  now += 4999
  assert.equal(await database(window.sql), primaryName)
  now += 1
  assert.equal(await database(window.sql), REPLICA_NAME)

  const off = createReplicaWindow({ primary: a.db.sql, replica: a.db.readSql, windowMs: 0, now: () => now })
  off.markWrite()
  assert.equal(await database(off.sql), REPLICA_NAME)
  const noReplica = createReplicaWindow({ primary: a.db.sql, replica: a.db.sql, windowMs: 5000 })
  assert.equal(noReplica.sql, a.db.sql)
})

test('a product edited through instance A: detail and search through A and B show the new price, though the replica never gets it', async () => {
  assert.deepEqual(await prices(a, w.p.galaxy, 'galaxy'), [799, 799])
  assert.deepEqual(await prices(b, w.p.galaxy, 'galaxy'), [799, 799])
  // A third instance sharing the cache but without the window shows what would happen otherwise.
  const c = await buildTestApp(undefined, { ...NO_TRAFFIC_CONTROL, databaseReadUrl: replicaUrl, replicaLagWindowMs: 0 })

  const res = await a.inject({ method: 'PATCH', url: `/api/v1/products/${w.p.galaxy}`, headers: auth(w.seller), payload: { price: 749.5 } })
  assert.equal(res.statusCode, 200, res.body)
  assert.deepEqual(await prices(a, w.p.galaxy, 'galaxy'), [749.5, 749.5])
  await eventually(async () => (await prices(b, w.p.galaxy, 'galaxy')).every((p) => p === 749.5), 'instance B shows the new price')
  const [{ price }] = await replica<{ price: string }[]>`SELECT price FROM products WHERE id = ${w.p.galaxy}`
  assert.equal(price, '799.00', 'the replica still has the old row')

  // A search nobody cached yet: without the window it is filled from the replica, with the old price.
  assert.equal((await getJson(c, '/api/v1/products/search?q=samsung%20phone')).products[0].effective_price, 799)
  assert.equal((await getJson(b, '/api/v1/products/search?q=samsung')).products[0].effective_price, 749.5)
  await c.close()
})

test('a product created through A is found through B at once: by id, by slug and on its category page', async () => {
  const res = await a.inject({
    method: 'POST',
    url: '/api/v1/products',
    headers: auth(w.seller),
    payload: { name: 'Replica Kettle', sku: `KETTLE-${process.pid}`, price: 45, category_id: w.cat.kitchen, stock_quantity: 3 }
  })
  assert.equal(res.statusCode, 201, res.body)
  const { id, slug } = res.json()
  assert.equal((await getJson(b, `/api/v1/products/${id}`)).name, 'Replica Kettle')
  assert.equal((await getJson(b, `/api/v1/products/by-slug/${slug}`)).id, id)
  const kitchen = await getJson(b, `/api/v1/categories/${w.cat.kitchen}/products`)
  assert.ok(kitchen.products.some((p: { id: number }) => p.id === id))
})

test('an order placed through A: B reads the order from the primary and the product detail shows the new stock', async () => {
  assert.equal((await getJson(b, `/api/v1/products/${w.p.mouse}`)).stock_quantity, 50)
  await putInCart(a, w.customer.id, w.p.mouse, 2)
  const placed = await placeOrder(a, w.customer.token, {}, ORDER_BODY)
  assert.equal(placed.statusCode, 201, placed.body)
  const orderId = placed.json().id
  const order = await b.inject({ method: 'GET', url: `/api/v1/orders/${orderId}`, headers: auth(w.customer) })
  assert.equal(order.statusCode, 200, order.body)
  await eventually(async () => (await getJson(b, `/api/v1/products/${w.p.mouse}`)).stock_quantity === 48, 'instance B shows the new stock')
  const [{ n }] = await replica<{ n: number }[]>`SELECT count(*)::int AS n FROM orders`
  assert.equal(n, 0, 'the replica has no order')
})
