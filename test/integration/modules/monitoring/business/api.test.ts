import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, resetDb } from '../../../../support/helper.js'
import { createCategory, createProduct, createUser } from '../../../../support/fixtures.js'
import { createBusinessRepository } from '../../../../../src/modules/monitoring/business/repository.js'
import { assertTimezone, createBusinessService } from '../../../../../src/modules/monitoring/business/service.js'

const NO_SHAPING = { rateLimitEnabled: false, loadSheddingEnabled: false }
// Tuesday 10 March 2026, 15:30 UTC (New York is on EDT since 8 March).
const NOW = Date.parse('2026-03-10T15:30:00Z')
let orderSeq = 0

type Item = [productId: number, quantity: number, unitPrice: string]

/** Inserts an order with its items; totals are computed in integer cents, so they are exact. */
async function order (app: FastifyInstance, userId: number, at: string, items: Item[], status = 'delivered'): Promise<void> {
  const cents = (price: string, qty: number) => Math.round(Number(price) * 100) * qty
  const money = (c: number) => (c / 100).toFixed(2)
  const total = items.reduce((sum, [, q, p]) => sum + cents(p, q), 0)
  const [row] = await app.db.sql<{ id: number }[]>`
    INSERT INTO orders (order_number, user_id, status, total_amount, shipping_address, billing_address, payment_method, created_at)
    VALUES (${`ORD-TEST-${++orderSeq}`}, ${userId}, ${status}, ${money(total)}, 'street 1', 'street 1', 'card', ${at}::timestamptz)
    RETURNING id`
  for (const [productId, quantity, unitPrice] of items) {
    await app.db.sql`
      INSERT INTO order_items (order_id, product_id, quantity, unit_price, total_price)
      VALUES (${row.id}, ${productId}, ${quantity}, ${unitPrice}, ${money(cents(unitPrice, quantity))})`
  }
}

async function userAt (app: FastifyInstance, createdAt: string, lastLogin: string | null): Promise<number> {
  const u = await createUser(app)
  await app.db.sql`UPDATE users SET created_at = ${createdAt}::timestamptz, last_login = ${lastLogin}::timestamptz WHERE id = ${u.id}`
  return u.id
}

function serviceFor (app: FastifyInstance, timezone: string, now = NOW) {
  return createBusinessService({
    repo: createBusinessRepository(app.db.sql),
    // Local only: results computed with a pinned clock must not reach the app's shared copy in Redis.
    redis: { ...app.redis, isReady: () => false },
    instanceId: 'business-test',
    intervalS: 30,
    timezone,
    lowStockThreshold: 10,
    log: app.log,
    now: () => now
  })
}

/** The known dataset: every expected figure below is worked out by hand from it. */
async function seed (app: FastifyInstance) {
  await resetDb()
  const seller = await userAt(app, '2026-02-01T00:00:00Z', null)
  const u1 = await userAt(app, '2026-03-01T00:00:00Z', '2026-03-10T09:00:00Z') // active today
  const u2 = await userAt(app, '2026-03-10T08:00:00Z', '2026-03-10T15:45:00Z') // new today; its login is after "now"
  const u4 = await userAt(app, '2026-03-05T00:00:00Z', '2026-03-09T23:59:00Z') // logged in yesterday
  const u5 = await userAt(app, '2026-03-06T00:00:00Z', null) // cart only
  const u6 = await userAt(app, '2026-03-06T00:00:00Z', null) // old cart
  const category = await createCategory(app)
  const pA = await createProduct(app, { sellerId: seller, categoryId: category.id, name: 'Alpha Phone', price: '19.99', stock: 100 })
  const pB = await createProduct(app, { sellerId: seller, categoryId: category.id, name: 'Beta Cable', price: '5.00', stock: 3 })
  const pC = await createProduct(app, { sellerId: seller, categoryId: category.id, name: 'Gamma Laptop', price: '100.00', stock: 10 })
  await createProduct(app, { sellerId: seller, categoryId: category.id, name: 'Delta Retired', price: '1.00', stock: 0, isActive: false })

  await order(app, u1, '2026-03-10T01:00:00Z', [[pA.id, 3, '19.99']]) // 59.97
  await order(app, u4, '2026-03-10T10:00:00Z', [[pC.id, 1, '100.00'], [pB.id, 2, '5.00']]) // 110.00
  await order(app, u1, '2026-03-10T12:00:00Z', [[pB.id, 5, '5.00']], 'cancelled') // never counted
  await order(app, u2, '2026-03-10T15:29:59Z', [[pA.id, 1, '19.99']]) // 19.99
  await order(app, u2, '2026-03-10T15:30:00Z', [[pC.id, 9, '100.00']]) // at "now": outside [start, now)
  await order(app, u4, '2026-03-09T09:00:00Z', [[pC.id, 2, '100.00']]) // 200.00, yesterday before the same time
  await order(app, u1, '2026-03-09T20:00:00Z', [[pA.id, 1, '19.99']]) // 19.99, yesterday after it
  await order(app, u1, '2026-03-05T10:00:00Z', [[pB.id, 4, '5.00']]) // 20.00, this week
  await order(app, u1, '2026-02-20T10:00:00Z', [[pB.id, 10, '5.00']]) // 50.00, this month, not this week
  await order(app, u1, '2026-01-01T10:00:00Z', [[pC.id, 1, '100.00']]) // older than 30 days

  await app.db.sql`INSERT INTO cart_items (user_id, product_id, quantity, updated_at) VALUES
    (${u5}, ${pA.id}, 1, '2026-03-10T11:00:00Z'), (${u1}, ${pB.id}, 1, '2026-03-10T11:00:00Z'), (${u6}, ${pC.id}, 1, '2026-03-08T11:00:00Z')`
  return { pA, pB, pC }
}

test('business metrics match a known dataset exactly (UTC days)', async (t) => {
  const app = await buildTestApp(t, NO_SHAPING)
  const { pA, pB, pC } = await seed(app)
  const b = await serviceFor(app, 'UTC').refresh()

  assert.equal(b.computed_at, '2026-03-10T15:30:00.000Z')
  assert.deepEqual(b.users, { total: 6, active_today: 1, new_today: 1 })
  assert.deepEqual(b.products, { active: 3, low_stock: 2, low_stock_threshold: 10 })
  assert.equal(b.orders.today, 3)
  assert.equal(b.orders.yesterday, 2)
  assert.equal(b.orders.yesterday_same_time, 1)
  assert.equal(b.orders.growth_percent, 200)
  // Exact decimals: a float sum of 59.97 + 110 + 19.99 gives 189.95999999999998.
  assert.equal(b.revenue.today, 189.96)
  assert.equal(b.revenue.month, 479.95)
  assert.equal(b.revenue.avg_order_value, 68.56)
  assert.deepEqual(b.top_products, [
    { product_id: pB.id, name: 'Beta Cable', total_sold: 6, revenue: 30 },
    { product_id: pA.id, name: 'Alpha Phone', total_sold: 5, revenue: 99.95 },
    { product_id: pC.id, name: 'Gamma Laptop', total_sold: 3, revenue: 300 }
  ])
  assert.deepEqual(b.conversion, { ordering_users_24h: 3, cart_users_24h: 4, rate: 0.75 })

  const perMinute = b.orders.per_minute
  assert.equal(perMinute.t.length, 60)
  assert.equal(perMinute.t[0], Date.parse('2026-03-10T14:31:00Z') / 1000)
  assert.equal(perMinute.t[59], Date.parse('2026-03-10T15:30:00Z') / 1000)
  assert.equal(perMinute.count[perMinute.t.indexOf(Date.parse('2026-03-10T15:29:00Z') / 1000)], 1)
  assert.equal(perMinute.count.reduce((a, n) => a + n, 0), 1)
})

test('days follow BUSINESS_TIMEZONE: New York on EDT moves the 01:00 UTC order to yesterday', async (t) => {
  const app = await buildTestApp(t, NO_SHAPING)
  await seed(app)
  const b = await serviceFor(app, 'America/New_York').refresh()
  assert.equal(b.timezone, 'America/New_York')
  assert.equal(b.orders.today, 2)
  assert.equal(b.orders.yesterday, 3)
  assert.equal(b.orders.yesterday_same_time, 1)
  assert.equal(b.orders.growth_percent, 100)
  assert.equal(b.revenue.today, 129.99)
})

test('yesterday is a calendar day even when it had 23 hours (DST start)', async (t) => {
  const app = await buildTestApp(t, NO_SHAPING)
  await resetDb()
  const user = await userAt(app, '2026-01-01T00:00:00Z', null)
  const category = await createCategory(app)
  const p = await createProduct(app, { sellerId: user, categoryId: category.id, price: '10.00' })
  await order(app, user, '2026-03-08T04:30:00Z', [[p.id, 1, '10.00']]) // Sat 7 March 23:30 EST
  await order(app, user, '2026-03-08T05:30:00Z', [[p.id, 1, '10.00']]) // Sun 8 March 00:30 EST
  await order(app, user, '2026-03-09T03:30:00Z', [[p.id, 1, '10.00']]) // Sun 8 March 23:30 EDT
  const b = await serviceFor(app, 'America/New_York', Date.parse('2026-03-09T12:00:00Z')).refresh()
  assert.equal(b.orders.yesterday, 2)
  assert.equal(b.orders.today, 0)
  // Same elapsed time since midnight: 8 hours into Sunday is 13:00 UTC, after the 00:30 EST order.
  assert.equal(b.orders.yesterday_same_time, 1)
  assert.equal(b.orders.growth_percent, -100)
})

test('an unknown time zone fails at boot', () => {
  assert.throws(() => assertTimezone('Mars/Olympus_Mons'), /BUSINESS_TIMEZONE: 'Mars\/Olympus_Mons'/)
  assert.doesNotThrow(() => assertTimezone('Europe/Madrid'))
})

test('GET /business is admin only and served from the background result, not recomputed per request', async (t) => {
  // The job runs at start, then not again within this test.
  const app = await buildTestApp(t, { ...NO_SHAPING, businessMetricsIntervalS: 300 })
  await seed(app)
  const admin = await createUser(app, { role: 'admin' })
  const customer = await createUser(app)
  assert.equal((await app.inject({ url: '/api/v1/monitoring/business', headers: { authorization: `Bearer ${customer.token}` } })).statusCode, 403)

  const summaryRuns = () => app.metrics.collector.queries.find('monitoring.business_summary')?.counts(900, app.metrics.collector.nowS()).count ?? 0
  const first = await app.inject({ url: '/api/v1/monitoring/business', headers: { authorization: `Bearer ${admin.token}` } })
  assert.equal(first.statusCode, 200)
  const runs = summaryRuns()
  const again = await app.inject({ url: '/api/v1/monitoring/business', headers: { authorization: `Bearer ${admin.token}` } })
  assert.equal(again.statusCode, 200)
  assert.equal(again.json().computed_at, first.json().computed_at)
  assert.equal(summaryRuns(), runs)
  assert.equal(typeof again.json().age_s, 'number')
  assert.equal(again.json().timezone, 'UTC')
  // The low-stock count also feeds the alert metric.
  assert.equal(app.metrics.value('low_stock_products', 60), again.json().products.low_stock)
})
