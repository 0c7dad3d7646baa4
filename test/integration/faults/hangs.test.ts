import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildTestApp, flushRedisPrefix, resetDb, TEST_DATABASE_URL } from '../../support/helper.js'
import { assertError, auth, NO_TRAFFIC_CONTROL, putInCart } from '../../support/commerce-fixtures.js'
import { startTcpProxy } from '../../support/tcp-proxy.js'
import { buildFaultWorld, timed, timeUntil, type FaultWorld } from '../../support/faults/fault-fixtures.js'

// Small deadlines so the test is quick; the response deadline must exceed the statement timeout.
const STATEMENT_TIMEOUT_MS = 1000
const RESPONSE_TIMEOUT_MS = 2000
const REDIS_COMMAND_TIMEOUT_MS = 500
// Generous slack over each deadline for a busy machine; a hang is anything past HANG_MS.
const SLACK_MS = 1500
const HANG_MS = 15_000
const RECOVERY_BOUND_MS = 5000

function requests (app: FastifyInstance, w: FaultWorld): Array<[string, () => Promise<LightMyRequestResponse>]> {
  const [customer] = w.customers
  return [
    ['POST /orders', () => app.inject({ method: 'POST', url: '/api/v1/orders', headers: auth(customer.token), payload: { shipping_address: '1 Hang Street', billing_address: '1 Hang Street', payment_method: 'card' } })],
    ['PATCH /products/:id', () => app.inject({ method: 'PATCH', url: `/api/v1/products/${w.productIds[0]}`, headers: auth(w.shop.seller.token), payload: { stock_quantity: 700 } })],
    ['POST /cart/add', () => app.inject({ method: 'POST', url: '/api/v1/cart/add', headers: auth(customer.token), payload: { product_id: w.productIds[1], quantity: 1 } })],
    ['GET /cart', () => app.inject({ method: 'GET', url: '/api/v1/cart', headers: auth(customer.token) })]
  ]
}

test('PostgreSQL that accepts connections and never answers: requests answer 503 within the response deadline, and the pool recovers when it answers again', { timeout: 60_000 }, async (t) => {
  await resetDb()
  const proxy = await startTcpProxy(5432)
  const app = await buildTestApp(t, {
    ...NO_TRAFFIC_CONTROL,
    databaseUrl: proxy.url('postgres', new URL(TEST_DATABASE_URL).pathname),
    databaseStatementTimeoutMs: STATEMENT_TIMEOUT_MS,
    databaseResponseTimeoutMs: RESPONSE_TIMEOUT_MS,
    databasePoolMax: 4
  })
  // Closed after the app (hooks run in the order they were added): the app never outlives its database.
  t.after(() => proxy.close())
  const w = await buildFaultWorld(app, { products: 3, customers: 1 })
  await putInCart(app, w.customers[0].id, w.productIds[2], 1)
  const cached = `/api/v1/products/${w.productIds[2]}`
  assert.equal((await app.inject({ method: 'GET', url: cached })).statusCode, 200)

  // A slow but answering server is left alone: silent for less than the deadline, then answers...
  const [slept] = await app.db.sql<{ done: boolean }[]>`SELECT pg_sleep(${(STATEMENT_TIMEOUT_MS / 2) / 1000}) IS NOT NULL AS done`
  assert.equal(slept.done, true)
  // ...or ends the statement itself (57014) before the deadline, keeping the connection.
  await assert.rejects(app.db.sql`SELECT pg_sleep(${(RESPONSE_TIMEOUT_MS * 2) / 1000})`, (err: { code?: string }) => err.code === '57014')

  proxy.blackhole()
  const bound = RESPONSE_TIMEOUT_MS + SLACK_MS
  // All at once: they share the pool's 4 connections (and pipeline behind each other's queries).
  const answered = await Promise.all(requests(app, w).map(async ([name, send]) => ({ name, ...await timed(send, HANG_MS, name) })))
  for (const { name, value: res, ms } of answered) {
    assertError(res, 503, 'APP_DATABASE_TIMEOUT')
    assert.ok(ms < bound, `${name} answered 503 in ${ms.toFixed(0)} ms, bound ${bound} ms`)
  }
  const read = await timed(() => app.inject({ method: 'GET', url: cached }), HANG_MS, cached)
  assert.equal(read.value.statusCode, 200, 'a cached read does not wait for the database')
  const health = await timed(() => app.inject({ method: 'GET', url: '/health/ready' }), HANG_MS, '/health/ready')
  assert.equal(health.value.statusCode, 503)

  proxy.restore()
  const write = requests(app, w)[2][1]
  const recoveryMs = await timeUntil(async () => (await write()).statusCode === 200, 'a write succeeds after the server answers again', RECOVERY_BOUND_MS)
  // No connection stays stuck: twice the pool's size of queries at once all complete, and no query
  // is left pending (background jobs' queries come and go, so "eventually none").
  const rows = await timed(() => Promise.all(Array.from({ length: 8 }, (_, i) => app.db.sql<{ n: number }[]>`SELECT ${i}::int AS n`)), HANG_MS, '8 queries on a pool of 4')
  assert.deepEqual(rows.value.map(([r]) => r.n), [0, 1, 2, 3, 4, 5, 6, 7])
  await timeUntil(async () => app.db.pool.stats().pending === 0, 'no query left pending', RECOVERY_BOUND_MS)
  assert.equal((await requests(app, w)[0][1]()).statusCode, 201, 'the order goes through')
  await flushRedisPrefix(app)

  t.diagnostic(`silent database: ${answered.map((a) => `${a.name} 503 in ${a.ms.toFixed(0)} ms`).join(', ')} (deadline ${RESPONSE_TIMEOUT_MS} ms); cached read 200 in ${read.ms.toFixed(0)} ms; /health/ready 503 in ${health.ms.toFixed(0)} ms`)
  t.diagnostic(`recovery: first successful write ${recoveryMs.toFixed(0)} ms after the server answered again; 8 concurrent queries on the pool of 4 in ${rows.ms.toFixed(0)} ms`)
})

test('Redis that accepts connections and never answers: requests still answer 200, bounded by the command timeout', { timeout: 60_000 }, async (t) => {
  await resetDb()
  const proxy = await startTcpProxy(6379)
  // Rate limits on: every request below asks Redis for its budget first.
  const app = await buildTestApp(t, { redisUrl: proxy.url('redis'), redisCommandTimeoutMs: REDIS_COMMAND_TIMEOUT_MS })
  // Closed after the app (hooks run in the order they were added): the app never outlives its Redis.
  t.after(() => proxy.close())
  const w = await buildFaultWorld(app, { products: 3, customers: 1 })
  const detail = `/api/v1/products/${w.productIds[0]}`
  assert.equal((await app.inject({ method: 'GET', url: detail })).statusCode, 200)

  proxy.blackhole()
  const bound = REDIS_COMMAND_TIMEOUT_MS + SLACK_MS
  const sends: Array<[string, () => Promise<LightMyRequestResponse>]> = [
    ['GET cached detail', () => app.inject({ method: 'GET', url: detail })],
    ['GET uncached detail', () => app.inject({ method: 'GET', url: `/api/v1/products/${w.productIds[1]}` })],
    ['GET search', () => app.inject({ method: 'GET', url: `/api/v1/products/search?q=${w.words[0]}` })],
    ['POST /cart/add', () => app.inject({ method: 'POST', url: '/api/v1/cart/add', headers: auth(w.customers[0].token), payload: { product_id: w.productIds[2], quantity: 1 } })]
  ]
  const answered = await Promise.all(sends.map(async ([name, send]) => ({ name, ...await timed(send, HANG_MS, name) })))
  for (const { name, value: res, ms } of answered) {
    assert.equal(res.statusCode, 200, `${name}: ${res.body}`)
    assert.ok(ms < bound, `${name} answered in ${ms.toFixed(0)} ms, bound ${bound} ms`)
  }
  const health = await timed(() => app.inject({ method: 'GET', url: '/health/ready' }), HANG_MS, '/health/ready')
  assert.equal(health.value.statusCode, 200)
  assert.equal(health.value.json().status, 'degraded')

  proxy.restore()
  // The replies held meanwhile arrive in order; the connection is usable again at once.
  assert.equal(await app.redis.client.ping(), 'PONG')
  assert.equal((await app.inject({ method: 'GET', url: detail })).statusCode, 200)
  await flushRedisPrefix(app)

  t.diagnostic(`silent Redis: ${answered.map((a) => `${a.name} 200 in ${a.ms.toFixed(0)} ms`).join(', ')} (command timeout ${REDIS_COMMAND_TIMEOUT_MS} ms); /health/ready degraded in ${health.ms.toFixed(0)} ms`)
})

test('a response deadline that does not exceed the statement timeout fails the boot', async () => {
  await assert.rejects(
    buildTestApp(undefined, { databaseStatementTimeoutMs: 2000, databaseResponseTimeoutMs: 2000 }),
    /database response timeout \(2000 ms\) must exceed the statement timeout \(2000 ms\)/
  )
})
