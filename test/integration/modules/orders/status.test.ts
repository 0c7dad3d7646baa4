import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, resetDb } from '../../../support/helper.js'
import { createUser, type FixtureUser } from '../../../support/fixtures.js'
import { assertError, auth, createShop, createShopProduct, NO_TRAFFIC_CONTROL, placeOrder, putInCart, type Shop, stockOf } from '../../../support/commerce-fixtures.js'
import { ORDER_STATUSES, TRANSITIONS, type OrderStatus } from '../../../../src/modules/orders/orders.status.js'

let app: FastifyInstance
let shop: Shop
let admin: FixtureUser

const setStatus = (token: string, id: number | string, payload: unknown) =>
  app.inject({ method: 'PATCH', url: `/api/v1/orders/${id}/status`, headers: auth(token), payload: payload as object })

/** A fresh order of 3 units (stock 10 → 7), optionally forced into `status` through SQL. */
async function newOrder (status: OrderStatus = 'pending', s: Shop = shop): Promise<{ id: number, productId: number, customer: FixtureUser }> {
  const customer = await createUser(app)
  const p = await createShopProduct(app, s, { stock: 10 })
  await putInCart(app, customer.id, p.id, 3)
  const res = await placeOrder(app, customer.token)
  assert.equal(res.statusCode, 201, res.body)
  const id = res.json().id
  if (status !== 'pending') await app.db.sql`UPDATE orders SET status = ${status} WHERE id = ${id}`
  return { id, productId: p.id, customer }
}

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
  shop = await createShop(app)
  admin = await createUser(app, { role: 'admin' })
})
after(() => app.close())

describe('PATCH /orders/:id/status — lifecycle', () => {
  test('pending → processing → shipped → delivered, with payment and timestamps', async () => {
    const { id, productId } = await newOrder()
    const processing = (await setStatus(admin.token, id, { status: 'processing' })).json()
    assert.equal(processing.status, 'processing')
    assert.equal(processing.payment_status, 'paid', 'no payment provider: accepted for processing counts as paid')
    assert.equal(processing.shipped_at, null)
    const shipped = (await setStatus(admin.token, id, { status: 'shipped' })).json()
    assert.equal(shipped.status, 'shipped')
    assert.ok(shipped.shipped_at)
    assert.equal(shipped.delivered_at, null)
    assert.deepEqual(shipped.items.map((i: { fulfilment_status: string }) => i.fulfilment_status), ['shipped'], 'an admin ships every line')
    const delivered = (await setStatus(admin.token, id, { status: 'delivered' })).json()
    assert.equal(delivered.status, 'delivered')
    assert.deepEqual(delivered.items.map((i: { fulfilment_status: string }) => i.fulfilment_status), ['delivered'])
    assert.ok(delivered.delivered_at)
    assert.equal(delivered.shipped_at, shipped.shipped_at)
    assert.equal(await stockOf(app, productId), 7, 'delivery does not touch stock')
  })

  test('cancelling a pending order returns its stock; payment stays pending', async () => {
    const { id, productId } = await newOrder()
    assert.equal(await stockOf(app, productId), 7)
    const res = (await setStatus(admin.token, id, { status: 'cancelled' })).json()
    assert.equal(res.status, 'cancelled')
    assert.equal(res.payment_status, 'pending')
    assert.equal(res.items[0].fulfilment_status, 'cancelled')
    assert.equal(await stockOf(app, productId), 10)
  })

  test('cancelling a processing (paid) order returns its stock and marks it refunded', async () => {
    const { id, productId } = await newOrder()
    await setStatus(admin.token, id, { status: 'processing' })
    const res = (await setStatus(admin.token, id, { status: 'cancelled' })).json()
    assert.equal(res.status, 'cancelled')
    assert.equal(res.payment_status, 'refunded')
    assert.equal(await stockOf(app, productId), 10)
  })

  test('a second cancel is refused and does not return stock twice', async () => {
    const { id, productId } = await newOrder()
    await setStatus(admin.token, id, { status: 'cancelled' })
    assertError(await setStatus(admin.token, id, { status: 'cancelled' }), 409, 'ORDERS_INVALID_TRANSITION')
    assert.equal(await stockOf(app, productId), 10)
  })

  test('concurrent cancels of one order return the stock once', async () => {
    const { id, productId } = await newOrder()
    const results = await Promise.all(Array.from({ length: 5 }, () => setStatus(admin.token, id, { status: 'cancelled' })))
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 409, 409, 409, 409])
    assert.equal(await stockOf(app, productId), 10)
  })

  // Every (from, to) pair the lifecycle does not allow, including "to itself".
  const refused = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.filter((to) => !TRANSITIONS[from].includes(to)).map((to) => [from, to] as const))
  test(`the lifecycle allows exactly 5 moves and refuses the other ${refused.length}`, () => {
    assert.equal(ORDER_STATUSES.length ** 2 - refused.length, 5)
  })
  for (const [from, to] of refused) {
    test(`${from} → ${to} → 409 ORDERS_INVALID_TRANSITION naming both`, async () => {
      const { id, productId } = await newOrder(from)
      const body = assertError(await setStatus(admin.token, id, { status: to }), 409, 'ORDERS_INVALID_TRANSITION')
      assert.equal(body.message, `Order '${id}' cannot move from '${from}' to '${to}'`)
      const [row] = await app.db.sql<{ status: string }[]>`SELECT status FROM orders WHERE id = ${id}`
      assert.equal(row.status, from)
      assert.equal(await stockOf(app, productId), 7)
    })
  }
})

describe('PATCH /orders/:id/status — who may', () => {
  test('the buyer may cancel its pending order and nothing else → 403 ORDERS_STATUS_FORBIDDEN', async () => {
    const { id, customer } = await newOrder()
    for (const status of ['processing', 'shipped', 'delivered'] as const) {
      assertError(await setStatus(customer.token, id, { status }), 403, 'ORDERS_STATUS_FORBIDDEN')
    }
    const [row] = await app.db.sql<{ status: string }[]>`SELECT status FROM orders WHERE id = ${id}`
    assert.equal(row.status, 'pending')
    assert.equal((await setStatus(customer.token, id, { status: 'cancelled' })).json().status, 'cancelled')
  })

  test('the seller of a product in the order → 403 ORDERS_STATUS_FORBIDDEN, nothing changes', async () => {
    const { id } = await newOrder()
    assertError(await setStatus(shop.seller.token, id, { status: 'processing' }), 403, 'ORDERS_STATUS_FORBIDDEN')
    const [row] = await app.db.sql<{ status: string, payment_status: string }[]>`SELECT status, payment_status FROM orders WHERE id = ${id}`
    assert.deepEqual({ ...row }, { status: 'pending', payment_status: 'pending' })
  })

  test('a seller with no product in the order, or another customer → 404 ORDERS_NOT_FOUND, nothing changes', async () => {
    const { id } = await newOrder()
    const stranger = await createShop(app)
    assertError(await setStatus(stranger.seller.token, id, { status: 'processing' }), 404, 'ORDERS_NOT_FOUND')
    assertError(await setStatus((await createUser(app)).token, id, { status: 'cancelled' }), 404, 'ORDERS_NOT_FOUND')
    const [row] = await app.db.sql<{ status: string }[]>`SELECT status FROM orders WHERE id = ${id}`
    assert.equal(row.status, 'pending')
  })

  test('an admin may move any order; an unknown id → 404', async () => {
    const { id } = await newOrder()
    assert.equal((await setStatus(admin.token, id, { status: 'processing' })).statusCode, 200)
    assertError(await setStatus(admin.token, 987654, { status: 'processing' }), 404, 'ORDERS_NOT_FOUND')
  })

  test('no token → 401', async () => {
    assertError(await app.inject({ method: 'PATCH', url: '/api/v1/orders/1/status', payload: { status: 'shipped' } }), 401, 'AUTH_TOKEN_MISSING')
  })

  const invalid: [string, string, unknown][] = [
    ['an unknown status', '1', { status: 'lost' }],
    ['a missing status', '1', {}],
    ['a status as a number', '1', { status: 3 }],
    ['an extra field', '1', { status: 'shipped', shipped_at: '2020-01-01' }],
    ['a huge status', '1', { status: 'x'.repeat(100_000) }],
    ['a malformed id', 'abc', { status: 'shipped' }]
  ]
  for (const [name, id, payload] of invalid) {
    test(`${name} → 400 APP_VALIDATION_FAILED`, async () => {
      assertError(await setStatus(admin.token, id, payload), 400, 'APP_VALIDATION_FAILED')
    })
  }
})
