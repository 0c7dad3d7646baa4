import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { LightMyRequestResponse } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildTestApp, flushRedisPrefix, resetDb, TEST_DATABASE_URL } from '../../support/helper.js'
import { assertError, auth, NO_TRAFFIC_CONTROL, putInCart } from '../../support/commerce-fixtures.js'
import { startTcpProxy } from '../../support/tcp-proxy.js'
import { READY_MAX_AGE_MS } from '../../../src/plugins/health.js'
import { buildFaultWorld, timed, timeUntil } from '../../support/faults/fault-fixtures.js'

// The bounds: each answer during the outage under 1 s, full recovery within 5 s.
const ANSWER_BOUND_MS = 1000
const RECOVERY_BOUND_MS = 5000
// How long writes keep coming during the outage: long enough for postgres.js to have failed
// many reconnections in a row (its reconnect backoff grows with them).
const OUTAGE_MS = 3000
// An answer slower than this is a hang, reported as such instead of waiting for the test timeout.
const HANG_MS = 15_000

/**
 * PostgreSQL unreachable, through a TCP proxy in front of the shared server
 * (`cut` drops every connection and refuses new ones, as a stopped server
 * does): writes answer 503 APP_DATABASE_UNAVAILABLE fast, cached catalog reads
 * keep answering 200, /health/ready is 503, and once the database is back the
 * same process takes writes again without a restart.
 */
test('PostgreSQL unreachable: writes 503 in under 1 s each, cached reads 200, readiness 503; writes succeed again within 5 s of it coming back', { timeout: 60_000 }, async (t) => {
  await resetDb()
  const proxy = await startTcpProxy(5432)
  const dbName = new URL(TEST_DATABASE_URL).pathname
  // Default pool and timeouts. Rate limits off: the loop below sends more writes per user
  // than their budgets allow, and 429s are not what it measures.
  const app = await buildTestApp(t, { ...NO_TRAFFIC_CONTROL, databaseUrl: proxy.url('postgres', dbName) })
  // Closed after the app (hooks run in the order they were added): the app never outlives its database.
  t.after(() => proxy.close())
  const w = await buildFaultWorld(app, { products: 3, customers: 1 })
  const [customer] = w.customers
  const [productId] = w.productIds
  await putInCart(app, customer.id, productId, 1)
  const cachedReads = [`/api/v1/products/${productId}`, '/api/v1/products?page_size=20', `/api/v1/products/search?q=${w.words[0]}`, '/api/v1/categories']
  for (const url of cachedReads) assert.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url)

  const writes: Array<[string, () => Promise<LightMyRequestResponse>]> = [
    ['POST /orders', () => app.inject({ method: 'POST', url: '/api/v1/orders', headers: auth(customer.token), payload: { shipping_address: '1 Fault Street', billing_address: '1 Fault Street', payment_method: 'card' } })],
    ['PATCH /products/:id', () => app.inject({ method: 'PATCH', url: `/api/v1/products/${productId}`, headers: auth(w.shop.seller.token), payload: { stock_quantity: 500 } })],
    ['POST /cart/add', () => app.inject({ method: 'POST', url: '/api/v1/cart/add', headers: auth(customer.token), payload: { product_id: w.productIds[1], quantity: 1 } })]
  ]

  proxy.cut()
  const slowest: Record<string, number> = {}
  const cutAt = performance.now()
  let answers = 0
  while (performance.now() - cutAt < OUTAGE_MS) {
    for (const [name, send] of writes) {
      const { value: res, ms } = await timed(send, HANG_MS, name)
      assertError(res, 503, 'APP_DATABASE_UNAVAILABLE')
      assert.ok(ms < ANSWER_BOUND_MS, `${name} answered 503 in ${ms.toFixed(0)} ms, bound ${ANSWER_BOUND_MS} ms`)
      slowest[name] = Math.max(slowest[name] ?? 0, ms)
      answers++
    }
    await sleep(50)
  }
  for (const url of cachedReads) {
    const { value: res, ms } = await timed(() => app.inject({ method: 'GET', url }), HANG_MS, url)
    assert.equal(res.statusCode, 200, `cached ${url} during the outage: ${res.body}`)
    slowest[`GET ${url}`] = ms
  }
  const health = await timed(() => app.inject({ method: 'GET', url: '/health/ready' }), HANG_MS, '/health/ready')
  assert.equal(health.value.statusCode, 503)
  assert.equal(health.value.json().checks.database.status, 'down')

  proxy.restore()
  // Time to the first write that succeeds, asking every 50 ms as clients retrying would.
  const recoveryMs = await timeUntil(async () => (await writes[2][1]()).statusCode === 200, 'first successful write after the database came back', RECOVERY_BOUND_MS)
  const order = await writes[0][1]()
  assert.equal(order.statusCode, 201, order.body)
  assert.equal((await writes[1][1]()).statusCode, 200)
  // Readiness answers from a check at most READY_MAX_AGE_MS old: the outage's answer may stand that long.
  await timeUntil(async () => (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200, 'readiness after the database came back', READY_MAX_AGE_MS + 2000)
  await flushRedisPrefix(app)

  t.diagnostic(`outage: ${answers} writes answered 503 APP_DATABASE_UNAVAILABLE; slowest answer per request (ms): ${Object.entries(slowest).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`)
  t.diagnostic(`recovery: first successful write ${recoveryMs.toFixed(0)} ms after the database came back (bound ${RECOVERY_BOUND_MS} ms)`)
})
