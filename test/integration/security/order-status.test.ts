import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, resetDb } from '../../support/helper.js'
import { createUser, type FixtureUser } from '../../support/fixtures.js'
import { assertError, auth, createShop, createShopProduct, NO_TRAFFIC_CONTROL, placeOrder, putInCart, type Shop, stockOf } from '../../support/commerce-fixtures.js'

/**
 * Sellers act only on their own order lines: a seller with one line in an
 * order could move the whole order (paid, shipped, delivered, cancelled),
 * and by delivering an order holding a competitor's product it made its own
 * review of that product a verified purchase.
 */

let app: FastifyInstance
let mine: Shop
let theirs: Shop
let admin: FixtureUser

interface Line { product_id: number, seller_id: number, fulfilment_status: string }

const setStatus = (token: string, id: number, status: string) =>
  app.inject({ method: 'PATCH', url: `/api/v1/orders/${id}/status`, headers: auth(token), payload: { status } })
const fulfil = (token: string, id: number, status: string) =>
  app.inject({ method: 'PATCH', url: `/api/v1/orders/${id}/fulfilment`, headers: auth(token), payload: { status } })

async function orderRow (id: number): Promise<{ status: string, payment_status: string, shipped_at: Date | null, delivered_at: Date | null }> {
  const [row] = await app.db.sql<{ status: string, payment_status: string, shipped_at: Date | null, delivered_at: Date | null }[]>`
    SELECT status, payment_status, shipped_at, delivered_at FROM orders WHERE id = ${id}`
  return { ...row }
}

async function lineStates (id: number): Promise<Record<number, string>> {
  const rows = await app.db.sql<{ seller_id: number, fulfilment_status: string }[]>`
    SELECT p.seller_id, oi.fulfilment_status FROM order_items oi JOIN products p ON p.id = oi.product_id WHERE oi.order_id = ${id}`
  return Object.fromEntries(rows.map((r) => [r.seller_id, r.fulfilment_status]))
}

/** `buyer` orders one product of `mine` and one of `theirs`; the order is pending (unpaid). */
async function mixedOrder (buyer: FixtureUser): Promise<{ id: number, own: number, competitor: number }> {
  const [own, competitor] = [await createShopProduct(app, mine, { stock: 10 }), await createShopProduct(app, theirs, { stock: 10 })]
  await putInCart(app, buyer.id, own.id, 2)
  await putInCart(app, buyer.id, competitor.id, 1)
  const res = await placeOrder(app, buyer.token)
  assert.equal(res.statusCode, 201, res.body)
  return { id: res.json().id, own: own.id, competitor: competitor.id }
}

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
  mine = await createShop(app)
  theirs = await createShop(app)
  admin = await createUser(app, { role: 'admin' })
})
after(() => app.close())

describe('a seller with a line in an order does not move the order', () => {
  for (const status of ['processing', 'shipped', 'delivered', 'cancelled']) {
    test(`PATCH /orders/:id/status → ${status} by a seller of one line → 403 ORDERS_STATUS_FORBIDDEN; status, payment and stock unchanged`, async () => {
      const { id, own, competitor } = await mixedOrder(await createUser(app))
      assertError(await setStatus(mine.seller.token, id, status), 403, 'ORDERS_STATUS_FORBIDDEN')
      assert.deepEqual(await orderRow(id), { status: 'pending', payment_status: 'pending', shipped_at: null, delivered_at: null })
      assert.equal(await stockOf(app, own), 8)
      assert.equal(await stockOf(app, competitor), 9)
    })
  }

  test('also once the order is paid: the seller cannot ship, deliver or cancel it', async () => {
    const { id } = await mixedOrder(await createUser(app))
    assert.equal((await setStatus(admin.token, id, 'processing')).statusCode, 200)
    for (const status of ['shipped', 'delivered', 'cancelled']) {
      assertError(await setStatus(theirs.seller.token, id, status), 403, 'ORDERS_STATUS_FORBIDDEN')
    }
    assert.equal((await orderRow(id)).status, 'processing')
  })
})

describe('PATCH /orders/:id/fulfilment: each seller moves its own lines, the order follows', () => {
  test('shipping and delivering line by line; payment status never follows a seller', async () => {
    const { id } = await mixedOrder(await createUser(app))
    assert.equal((await setStatus(admin.token, id, 'processing')).json().payment_status, 'paid')

    const shipped = await fulfil(mine.seller.token, id, 'shipped')
    assert.equal(shipped.statusCode, 200, shipped.body)
    const byLine = Object.fromEntries(shipped.json().items.map((i: Line) => [i.seller_id, i.fulfilment_status]))
    assert.deepEqual(byLine, { [mine.seller.id]: 'shipped', [theirs.seller.id]: 'pending' }, 'only the caller\'s line moved')
    assert.equal(shipped.json().status, 'processing', 'the order waits for the other seller')

    assert.equal((await fulfil(mine.seller.token, id, 'delivered')).json().status, 'processing')
    assert.deepEqual(await lineStates(id), { [mine.seller.id]: 'delivered', [theirs.seller.id]: 'pending' })

    const all = (await fulfil(theirs.seller.token, id, 'shipped')).json()
    assert.equal(all.status, 'shipped', 'every line shipped or delivered: the order is shipped')
    assert.ok(all.shipped_at)
    assert.equal(all.delivered_at, null)
    const done = (await fulfil(theirs.seller.token, id, 'delivered')).json()
    assert.equal(done.status, 'delivered')
    assert.ok(done.delivered_at)
    assert.equal(done.payment_status, 'paid')
  })

  test('an unpaid (pending) order cannot be fulfilled → 409 ORDERS_FULFILMENT_NOT_ALLOWED; payment stays pending', async () => {
    const { id } = await mixedOrder(await createUser(app))
    const body = assertError(await fulfil(mine.seller.token, id, 'shipped'), 409, 'ORDERS_FULFILMENT_NOT_ALLOWED')
    assert.match(String(body.message), /is 'pending'/)
    assert.deepEqual(await orderRow(id), { status: 'pending', payment_status: 'pending', shipped_at: null, delivered_at: null })
    assert.deepEqual(await lineStates(id), { [mine.seller.id]: 'pending', [theirs.seller.id]: 'pending' })
  })

  test('steps out of order → 409 ORDERS_INVALID_FULFILMENT: deliver before shipping, ship twice', async () => {
    const { id } = await mixedOrder(await createUser(app))
    await setStatus(admin.token, id, 'processing')
    assertError(await fulfil(mine.seller.token, id, 'delivered'), 409, 'ORDERS_INVALID_FULFILMENT')
    assert.equal((await fulfil(mine.seller.token, id, 'shipped')).statusCode, 200)
    const body = assertError(await fulfil(mine.seller.token, id, 'shipped'), 409, 'ORDERS_INVALID_FULFILMENT')
    assert.equal(body.message, `Order '${id}' has no line of seller '${mine.seller.id}' in 'pending' to move to 'shipped'`)
  })

  test('who may: a seller without a line → 404; a customer (even the buyer) → 403; no token → 401', async () => {
    const buyer = await createUser(app)
    const { id } = await mixedOrder(buyer)
    await setStatus(admin.token, id, 'processing')
    const stranger = await createShop(app)
    assertError(await fulfil(stranger.seller.token, id, 'shipped'), 404, 'ORDERS_NOT_FOUND')
    assertError(await fulfil(buyer.token, id, 'shipped'), 403, 'AUTH_FORBIDDEN')
    assertError(await app.inject({ method: 'PATCH', url: `/api/v1/orders/${id}/fulfilment`, payload: { status: 'shipped' } }), 401, 'AUTH_TOKEN_MISSING')
    assert.deepEqual(await lineStates(id), { [mine.seller.id]: 'pending', [theirs.seller.id]: 'pending' })
  })

  test('invalid bodies → 400: a seller cannot set pending, cancelled or an extra field', async () => {
    for (const payload of [{ status: 'pending' }, { status: 'cancelled' }, { status: 'shipped', payment_status: 'paid' }, {}]) {
      assertError(await app.inject({ method: 'PATCH', url: '/api/v1/orders/1/fulfilment', headers: auth(mine.seller.token), payload }), 400, 'APP_VALIDATION_FAILED')
    }
  })

  test('two sellers shipping at once: both lines shipped and the order shipped once', async () => {
    const { id } = await mixedOrder(await createUser(app))
    await setStatus(admin.token, id, 'processing')
    const results = await Promise.all([fulfil(mine.seller.token, id, 'shipped'), fulfil(theirs.seller.token, id, 'shipped')])
    assert.deepEqual(results.map((r) => r.statusCode), [200, 200])
    assert.deepEqual(await lineStates(id), { [mine.seller.id]: 'shipped', [theirs.seller.id]: 'shipped' })
    assert.equal((await orderRow(id)).status, 'shipped')
  })

  test('an order with a shipped line is no longer cancelled, even by an admin → 409 ORDERS_PARTLY_SHIPPED; stock stays taken', async () => {
    const { id, own, competitor } = await mixedOrder(await createUser(app))
    await setStatus(admin.token, id, 'processing')
    await fulfil(mine.seller.token, id, 'shipped')
    assertError(await setStatus(admin.token, id, 'cancelled'), 409, 'ORDERS_PARTLY_SHIPPED')
    assert.equal((await orderRow(id)).status, 'processing')
    assert.equal(await stockOf(app, own), 8)
    assert.equal(await stockOf(app, competitor), 9)
  })
})

describe('a seller cannot deliver a competitor\'s line to make its own review verified', () => {
  test('the seller buys its product and a competitor\'s, delivers its own line: the competitor\'s line stays pending, the review is not verified', async () => {
    const { id, competitor } = await mixedOrder(mine.seller)
    await setStatus(admin.token, id, 'processing')
    await fulfil(mine.seller.token, id, 'shipped')
    await fulfil(mine.seller.token, id, 'delivered')
    assertError(await setStatus(mine.seller.token, id, 'delivered'), 403, 'ORDERS_STATUS_FORBIDDEN')
    assert.equal((await orderRow(id)).status, 'processing')
    assert.equal((await lineStates(id))[theirs.seller.id], 'pending')
    const review = await app.inject({
      method: 'POST', url: `/api/v1/products/${competitor}/reviews`, headers: auth(mine.seller.token), payload: { rating: 1, comment: 'Broke on day one.' }
    })
    assert.equal(review.statusCode, 201, review.body)
    assert.equal(review.json().is_verified_purchase, false)
  })

  test('once the competitor delivers its own line, the buyer\'s review of it is verified', async () => {
    const buyer = await createUser(app)
    const { id, competitor } = await mixedOrder(buyer)
    await setStatus(admin.token, id, 'processing')
    await fulfil(theirs.seller.token, id, 'shipped')
    await fulfil(theirs.seller.token, id, 'delivered')
    const review = await app.inject({ method: 'POST', url: `/api/v1/products/${competitor}/reviews`, headers: auth(buyer.token), payload: { rating: 4 } })
    assert.equal(review.json().is_verified_purchase, true)
  })
})
