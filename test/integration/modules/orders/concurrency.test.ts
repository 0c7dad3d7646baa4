import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, resetDb } from '../../../support/helper.js'
import { assertError, createCustomers, createShop, createShopProduct, NO_TRAFFIC_CONTROL, placeOrder, putInCart, type Shop, stockOf } from '../../../support/commerce-fixtures.js'

// Real PostgreSQL, the test pool of 10 connections, 200 requests in flight at once through app.inject.
let app: FastifyInstance
let shop: Shop

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
  shop = await createShop(app)
})
after(() => app.close())

/** Orders whose total differs from the sum of their items (numeric, to the cent): must be none. */
async function ordersWithWrongTotals (): Promise<number> {
  const [row] = await app.db.sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM orders o
    WHERE o.total_amount <> (SELECT sum(oi.total_price) FROM order_items oi WHERE oi.order_id = o.id)
       OR EXISTS (SELECT 1 FROM order_items oi WHERE oi.order_id = o.id AND oi.total_price <> oi.quantity * oi.unit_price)`
  return row.n
}

test('200 concurrent orders for the last 50 units: exactly 50 succeed, stock ends at 0, every failure is a 409', async () => {
  const product = await createShopProduct(app, shop, { price: '33.33', salePrice: '19.99', stock: 50 })
  const customers = await createCustomers(app, 200, 'race50')
  await app.db.sql`
    INSERT INTO cart_items (user_id, product_id, quantity)
    SELECT id, ${product.id}, 1 FROM unnest(${customers.map((c) => c.id)}::int[]) AS id`

  const results = await Promise.all(customers.map((c) => placeOrder(app, c.token)))

  const created = results.filter((r) => r.statusCode === 201)
  const refused = results.filter((r) => r.statusCode !== 201)
  assert.equal(created.length, 50)
  assert.equal(refused.length, 150)
  for (const r of refused) {
    const body = assertError(r, 409, 'ORDERS_INSUFFICIENT_STOCK')
    assert.deepEqual((body.details as { product_id: number, requested: number, available: number }[])
      .map(({ product_id: id, requested, available }) => ({ id, requested, available })), [{ id: product.id, requested: 1, available: 0 }])
  }
  assert.equal(await stockOf(app, product.id), 0)
  const [sold] = await app.db.sql<{ orders: number, units: number, revenue: string }[]>`
    SELECT count(DISTINCT o.id)::int AS orders, sum(oi.quantity)::int AS units, sum(oi.total_price) AS revenue
    FROM orders o JOIN order_items oi ON oi.order_id = o.id WHERE oi.product_id = ${product.id}`
  assert.deepEqual(sold, { orders: 50, units: 50, revenue: '999.50' })
  assert.equal(new Set(created.map((r) => r.json().id)).size, 50)
  for (const r of created) assert.equal(r.json().total_amount, 19.99)
  assert.equal(await ordersWithWrongTotals(), 0)
  // The winners' carts are empty; the losers' carts are intact.
  const [carts] = await app.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM cart_items WHERE product_id = ${product.id}`
  assert.equal(carts.n, 150)
})

test('multi-line orders racing over shared products never deadlock and never oversell', async () => {
  // Three products; every cart holds two or three of them, inserted in different orders.
  const products = [
    await createShopProduct(app, shop, { price: '0.10', stock: 60 }),
    await createShopProduct(app, shop, { price: '0.20', stock: 60 }),
    await createShopProduct(app, shop, { price: '7.77', stock: 60 })
  ]
  const customers = await createCustomers(app, 120, 'multi')
  const wanted = new Map<number, number>()
  for (const [i, c] of customers.entries()) {
    const lines = i % 3 === 0 ? [2, 0, 1] : i % 3 === 1 ? [1, 2] : [0, 2]
    for (const idx of lines) {
      const qty = 1 + ((i + idx) % 3)
      await putInCart(app, c.id, products[idx].id, qty)
    }
  }

  const results = await Promise.all(customers.map((c) => placeOrder(app, c.token)))

  for (const r of results) if (r.statusCode !== 201) assertError(r, 409, 'ORDERS_INSUFFICIENT_STOCK')
  assert.ok(results.some((r) => r.statusCode === 201))
  for (const r of results.filter((r) => r.statusCode === 201)) {
    for (const item of r.json().items) wanted.set(item.product_id, (wanted.get(item.product_id) ?? 0) + item.quantity)
  }
  for (const p of products) {
    const stock = await stockOf(app, p.id)
    assert.ok(stock >= 0)
    assert.equal(stock, 60 - (wanted.get(p.id) ?? 0), `stock of ${p.id} matches what was ordered`)
  }
  assert.equal(await ordersWithWrongTotals(), 0)
})

test('one cart submitted 10 times at once (no Idempotency-Key) makes one order; the rest find it empty', async () => {
  const product = await createShopProduct(app, shop, { stock: 100 })
  const [customer] = await createCustomers(app, 1, 'double')
  await putInCart(app, customer.id, product.id, 4)

  const results = await Promise.all(Array.from({ length: 10 }, () => placeOrder(app, customer.token)))

  assert.equal(results.filter((r) => r.statusCode === 201).length, 1)
  for (const r of results.filter((r) => r.statusCode !== 201)) assertError(r, 422, 'ORDERS_CART_EMPTY')
  assert.equal(await stockOf(app, product.id), 96)
})
