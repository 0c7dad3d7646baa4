import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, resetDb } from '../../../support/helper.js'
import { createUser, type FixtureUser } from '../../../support/fixtures.js'
import { assertError, auth, createShop, createShopProduct, NO_TRAFFIC_CONTROL, ORDER_BODY, placeOrder, putInCart, type Shop, stockOf } from '../../../support/commerce-fixtures.js'

let app: FastifyInstance
let shop: Shop

const getOrder = (token: string, id: number | string) => app.inject({ method: 'GET', url: `/api/v1/orders/${id}`, headers: auth(token) })
const listOrders = (token: string, query = '') => app.inject({ method: 'GET', url: `/api/v1/orders${query}`, headers: auth(token) })

async function cartCount (userId: number): Promise<number> {
  const [row] = await app.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM cart_items WHERE user_id = ${userId}`
  return row.n
}

/** A customer with one order of `quantity` units of a fresh product of `shop`. */
async function orderOf (customer: FixtureUser, s: Shop = shop, quantity = 1): Promise<{ id: number, productId: number }> {
  const p = await createShopProduct(app, s, { stock: 100 })
  await putInCart(app, customer.id, p.id, quantity)
  const res = await placeOrder(app, customer.token)
  assert.equal(res.statusCode, 201, res.body)
  return { id: res.json().id, productId: p.id }
}

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
  shop = await createShop(app)
})
after(() => app.close())

describe('POST /orders', () => {
  test('turns the cart into an order: prices copied (sale price when set), exact totals, stock taken, cart emptied', async () => {
    const user = await createUser(app)
    const a = await createShopProduct(app, shop, { price: '25.00', salePrice: '19.99', stock: 10 })
    const b = await createShopProduct(app, shop, { price: '0.10', stock: 10 })
    const c = await createShopProduct(app, shop, { price: '0.20', stock: 10 })
    await putInCart(app, user.id, a.id, 7)
    await putInCart(app, user.id, b.id, 3)
    await putInCart(app, user.id, c.id, 1)
    const res = await placeOrder(app, user.token, {}, { ...ORDER_BODY, notes: 'leave at the door' })
    assert.equal(res.statusCode, 201)
    const order = res.json()
    assert.match(order.order_number, /^TM-\d{8}-[0-9A-F]{10}$/)
    assert.equal(order.status, 'pending')
    assert.equal(order.payment_status, 'pending')
    assert.equal(order.user_id, user.id)
    assert.equal(order.notes, 'leave at the door')
    assert.deepEqual(order.items, [
      { product_id: a.id, product_name: a.name, seller_id: shop.seller.id, quantity: 7, unit_price: 19.99, total_price: 139.93, fulfilment_status: 'pending' },
      { product_id: b.id, product_name: b.name, seller_id: shop.seller.id, quantity: 3, unit_price: 0.1, total_price: 0.3, fulfilment_status: 'pending' },
      { product_id: c.id, product_name: c.name, seller_id: shop.seller.id, quantity: 1, unit_price: 0.2, total_price: 0.2, fulfilment_status: 'pending' }
    ])
    assert.equal(order.total_amount, 140.43) // in floats 0.1 * 3 + 0.2 is 0.5000000000000001
    const [row] = await app.db.sql<{ total_amount: string, sum: string }[]>`
      SELECT o.total_amount, (SELECT sum(total_price) FROM order_items WHERE order_id = o.id) AS sum FROM orders o WHERE o.id = ${order.id}`
    assert.equal(row.total_amount, '140.43')
    assert.equal(row.sum, '140.43')
    assert.deepEqual([await stockOf(app, a.id), await stockOf(app, b.id), await stockOf(app, c.id)], [3, 7, 9])
    assert.equal(await cartCount(user.id), 0)
  })

  test('answers the order exactly as GET /orders/:id shows it (money, names, timestamps, item order)', async () => {
    const user = await createUser(app)
    const a = await createShopProduct(app, shop, { price: '25.00', salePrice: '19.99', stock: 10 })
    const b = await createShopProduct(app, shop, { price: '0.10', stock: 10 })
    await putInCart(app, user.id, b.id, 3)
    await putInCart(app, user.id, a.id, 1)
    const placed = await placeOrder(app, user.token)
    assert.equal(placed.statusCode, 201)
    const got = await getOrder(user.token, placed.json().id)
    assert.equal(got.statusCode, 200)
    assert.equal(placed.body, got.body)
    const order = placed.json()
    assert.deepEqual(order.items.map((i: { product_id: number }) => i.product_id), [a.id, b.id])
    assert.equal(order.notes, null)
    assert.equal(order.shipped_at, null)
    assert.match(order.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  })

  test('an empty cart → 422 ORDERS_CART_EMPTY', async () => {
    const user = await createUser(app)
    assertError(await placeOrder(app, user.token), 422, 'ORDERS_CART_EMPTY')
  })

  test('one short line → 409 ORDERS_INSUFFICIENT_STOCK naming it, and nothing changes', async () => {
    const user = await createUser(app)
    const plenty = await createShopProduct(app, shop, { stock: 10 })
    const scarce = await createShopProduct(app, shop, { name: 'Scarce Widget', stock: 2 })
    await putInCart(app, user.id, plenty.id, 5)
    await putInCart(app, user.id, scarce.id, 3)
    const body = assertError(await placeOrder(app, user.token), 409, 'ORDERS_INSUFFICIENT_STOCK')
    assert.match(String(body.message), /Scarce Widget/)
    assert.deepEqual((body.details as object[]).map((d) => ({ ...d, message: undefined })), [
      { message: undefined, product_id: scarce.id, name: 'Scarce Widget', requested: 3, available: 2 }
    ])
    assert.equal(await stockOf(app, plenty.id), 10, 'the other line was not decremented')
    assert.equal(await stockOf(app, scarce.id), 2)
    assert.equal(await cartCount(user.id), 2, 'the cart is intact')
    const [orders] = await app.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM orders WHERE user_id = ${user.id}`
    assert.equal(orders.n, 0)
  })

  test('a product deactivated after it was put in the cart counts as out of stock → 409', async () => {
    const user = await createUser(app)
    const p = await createShopProduct(app, shop, { stock: 10 })
    await putInCart(app, user.id, p.id, 1)
    await app.db.sql`UPDATE products SET is_active = false WHERE id = ${p.id}`
    const body = assertError(await placeOrder(app, user.token), 409, 'ORDERS_INSUFFICIENT_STOCK')
    assert.equal((body.details as { available: number }[])[0].available, 0)
    assert.equal(await stockOf(app, p.id), 10)
  })

  test('no token → 401', async () => {
    assertError(await app.inject({ method: 'POST', url: '/api/v1/orders', payload: ORDER_BODY }), 401, 'AUTH_TOKEN_MISSING')
  })

  const invalid: [string, Record<string, unknown>][] = [
    ['missing shipping_address', { shipping_address: undefined }],
    ['missing payment_method', { payment_method: undefined }],
    ['blank billing_address', { billing_address: '   ' }],
    ['shipping_address of 100,000 characters', { shipping_address: 'x'.repeat(100_000) }],
    ['notes of 1001 characters', { notes: 'x'.repeat(1001) }],
    ['payment_method with markup', { payment_method: '<script>' }],
    ['an object as shipping_address', { shipping_address: { street: 'x' } }],
    ['client-sent items', { items: [{ product_id: 1, quantity: 1, unit_price: 0 }] }],
    ['a client-sent total', { total_amount: 0.01 }]
  ]
  for (const [name, patch] of invalid) {
    test(`${name} → 400 APP_VALIDATION_FAILED`, async () => {
      const user = await createUser(app)
      assertError(await placeOrder(app, user.token, {}, { ...ORDER_BODY, ...patch }), 400, 'APP_VALIDATION_FAILED')
    })
  }
})

describe('GET /orders', () => {
  test('lists only the caller\'s orders, newest first, paginated', async () => {
    const [user, other] = [await createUser(app), await createUser(app)]
    const ids = []
    for (let i = 0; i < 3; i++) ids.push((await orderOf(user)).id)
    await orderOf(other)
    const page1 = (await listOrders(user.token, '?page_size=2')).json()
    assert.deepEqual(page1.orders.map((o: { id: number }) => o.id), [ids[2], ids[1]])
    assert.deepEqual(page1.pagination, { page: 1, page_size: 2, total_count: 3, total_pages: 2 })
    assert.equal(page1.orders[0].item_count, 1)
    const page2 = (await listOrders(user.token, '?page_size=2&page=2')).json()
    assert.deepEqual(page2.orders.map((o: { id: number }) => o.id), [ids[0]])
    const beyond = (await listOrders(user.token, '?page=9')).json()
    assert.deepEqual(beyond.orders, [])
    assert.equal(beyond.pagination.total_count, 3)
  })

  test('filters by status', async () => {
    const user = await createUser(app)
    const { id } = await orderOf(user)
    await orderOf(user)
    await app.db.sql`UPDATE orders SET status = 'cancelled' WHERE id = ${id}`
    const res = (await listOrders(user.token, '?status=cancelled')).json()
    assert.deepEqual(res.orders.map((o: { id: number }) => o.id), [id])
  })

  test('an admin may list another user\'s orders; anyone else passing user_id → 403', async () => {
    const [user, other, admin] = [await createUser(app), await createUser(app), await createUser(app, { role: 'admin' })]
    const { id } = await orderOf(user)
    const res = (await listOrders(admin.token, `?user_id=${user.id}`)).json()
    assert.deepEqual(res.orders.map((o: { id: number }) => o.id), [id])
    assertError(await listOrders(other.token, `?user_id=${user.id}`), 403, 'AUTH_FORBIDDEN')
  })

  test('scope=selling lists orders containing the seller\'s products; customers → 403', async () => {
    const [customer, otherShop] = [await createUser(app), await createShop(app)]
    const mine = await orderOf(customer, otherShop)
    await orderOf(customer)
    const res = (await listOrders(otherShop.seller.token, '?scope=selling')).json()
    assert.deepEqual(res.orders.map((o: { id: number }) => o.id), [mine.id])
    assertError(await listOrders(customer.token, '?scope=selling'), 403, 'AUTH_FORBIDDEN')
  })

  test('bad query → 400; no token → 401', async () => {
    const user = await createUser(app)
    for (const q of ['?page=0', '?page_size=101', '?page_size=0', '?page=abc', '?status=lost', '?user_id=-1', '?page=1e999', '?scope=all', '?sort=id']) {
      assertError(await listOrders(user.token, q), 400, 'APP_VALIDATION_FAILED')
    }
    assertError(await app.inject({ method: 'GET', url: '/api/v1/orders' }), 401, 'AUTH_TOKEN_MISSING')
  })
})

describe('GET /orders/:id', () => {
  test('the owner gets the order with its items', async () => {
    const user = await createUser(app)
    const { id, productId } = await orderOf(user, shop, 2)
    const res = await getOrder(user.token, id)
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().id, id)
    assert.deepEqual(res.json().items.map((i: { product_id: number, quantity: number }) => [i.product_id, i.quantity]), [[productId, 2]])
  })

  test('another customer → 404 ORDERS_NOT_FOUND (the id does not leak), an admin → 200', async () => {
    const [owner, other, admin] = [await createUser(app), await createUser(app), await createUser(app, { role: 'admin' })]
    const { id } = await orderOf(owner)
    const body = assertError(await getOrder(other.token, id), 404, 'ORDERS_NOT_FOUND')
    assert.equal(body.message, `Order '${id}' not found`)
    assert.equal((await getOrder(admin.token, id)).statusCode, 200)
  })

  test('a seller sees orders containing its products, not others', async () => {
    const [customer, otherShop] = [await createUser(app), await createShop(app)]
    const withMine = await orderOf(customer, otherShop)
    const withoutMine = await orderOf(customer)
    assert.equal((await getOrder(otherShop.seller.token, withMine.id)).statusCode, 200)
    assertError(await getOrder(otherShop.seller.token, withoutMine.id), 404, 'ORDERS_NOT_FOUND')
  })

  test('unknown id → 404; malformed id → 400; no token → 401', async () => {
    const user = await createUser(app)
    assertError(await getOrder(user.token, 987654), 404, 'ORDERS_NOT_FOUND')
    for (const id of ['abc', '0', '-1', '99999999999', '1e999']) assertError(await getOrder(user.token, id), 400, 'APP_VALIDATION_FAILED')
    assertError(await app.inject({ method: 'GET', url: '/api/v1/orders/1' }), 401, 'AUTH_TOKEN_MISSING')
  })
})
