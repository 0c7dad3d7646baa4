import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, resetDb } from '../../../support/helper.js'
import { createUser } from '../../../support/fixtures.js'
import { createShop, createShopProduct, NO_TRAFFIC_CONTROL, ORDER_BODY, putInCart, type Shop, stockOf } from '../../../support/commerce-fixtures.js'
import { createInventoryService } from '../../../../src/modules/inventory/inventory.service.js'
import { createOrdersService } from '../../../../src/modules/orders/orders.service.js'
import { createReviewsService } from '../../../../src/modules/reviews/reviews.service.js'
import { CartTags } from '../../../../src/modules/cart/cart.keys.js'

// The catalog-invalidation hooks: called with the changed product ids, only after the commit, never failing the write.
let app: FastifyInstance
let shop: Shop

interface Call { ids: number[], flipped: number[], stockSeen: number[] }

const nothing = async (): Promise<void> => {}

function services (hooks: { onProductsChanged?: (ids: number[]) => Promise<void>, onStockChanged?: (ids: number[], flipped: number[]) => Promise<void> }) {
  const db = app.db.db
  const inventory = createInventoryService({ db, log: app.log, onProductsChanged: nothing, onStockChanged: nothing, ...hooks })
  return { orders: createOrdersService({ db, log: app.log, inventory, cache: app.cache, cartTag: CartTags.user, pendingTtlMinutes: 30 }), reviews: createReviewsService({ db, log: app.log, inventory, cache: app.cache, productTags: (ids) => ids.map((id) => `catalog:p:${id}`) }) }
}

/** A stock hook that records the ids, the flipped ids and the stock another connection sees at call time (i.e. what is committed). */
function recorder (calls: Call[]) {
  return async (ids: number[], flipped: number[]) => {
    const rows = await app.db.sql<{ stock_quantity: number }[]>`SELECT stock_quantity FROM products WHERE id = ANY(${ids}::int[]) ORDER BY id`
    calls.push({ ids: [...ids].sort((a, b) => a - b), flipped: [...flipped].sort((a, b) => a - b), stockSeen: rows.map((r) => r.stock_quantity) })
  }
}

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
  shop = await createShop(app)
})
after(() => app.close())

test('placing and cancelling an order report the products after commit', async () => {
  const calls: Call[] = []
  const { orders } = services({ onStockChanged: recorder(calls) })
  const user = await createUser(app)
  const [a, b] = [await createShopProduct(app, shop, { stock: 10 }), await createShopProduct(app, shop, { stock: 10 })]
  await putInCart(app, user.id, a.id, 2)
  await putInCart(app, user.id, b.id, 3)
  const { body: order } = await orders.place(user.id, ORDER_BODY)
  assert.deepEqual(calls, [{ ids: [a.id, b.id], flipped: [], stockSeen: [8, 7] }])
  await orders.updateStatus({ id: user.id, role: 'admin' }, order.id, 'cancelled')
  assert.deepEqual(calls[1], { ids: [a.id, b.id], flipped: [], stockSeen: [10, 10] })
})

test('an order that sells a product out reports it as flipped; cancelling it reports the flip back', async () => {
  const calls: Call[] = []
  const { orders } = services({ onStockChanged: recorder(calls) })
  const user = await createUser(app)
  const [last, plenty] = [await createShopProduct(app, shop, { stock: 2 }), await createShopProduct(app, shop, { stock: 10 })]
  await putInCart(app, user.id, last.id, 2)
  await putInCart(app, user.id, plenty.id, 1)
  const { body: order } = await orders.place(user.id, ORDER_BODY)
  assert.deepEqual(calls, [{ ids: [last.id, plenty.id], flipped: [last.id], stockSeen: [0, 9] }])
  await orders.updateStatus({ id: user.id, role: 'admin' }, order.id, 'cancelled')
  assert.deepEqual(calls[1], { ids: [last.id, plenty.id], flipped: [last.id], stockSeen: [2, 10] })
})

test('a status change that does not touch stock reports nothing', async () => {
  const calls: Call[] = []
  const { orders } = services({ onStockChanged: recorder(calls) })
  const user = await createUser(app)
  const p = await createShopProduct(app, shop)
  await putInCart(app, user.id, p.id, 1)
  const { body: order } = await orders.place(user.id, ORDER_BODY)
  await orders.updateStatus({ id: user.id, role: 'admin' }, order.id, 'processing')
  assert.equal(calls.length, 1)
})

test('a refused order reports nothing', async () => {
  const calls: Call[] = []
  const { orders } = services({ onStockChanged: recorder(calls) })
  const user = await createUser(app)
  const p = await createShopProduct(app, shop, { stock: 1 })
  await putInCart(app, user.id, p.id, 5)
  await assert.rejects(orders.place(user.id, ORDER_BODY), { code: 'ORDERS_INSUFFICIENT_STOCK' })
  assert.deepEqual(calls, [])
})

test('a review reports its product after the rating is committed, as a rating change', async () => {
  const seen: string[] = []
  const stockCalls: number[][] = []
  const { reviews } = services({
    onProductsChanged: async (ids) => {
      const [row] = await app.db.sql<{ rating_avg: string }[]>`SELECT rating_avg FROM products WHERE id = ${ids[0]}`
      seen.push(`${ids.join(',')}:${row.rating_avg}`)
    },
    onStockChanged: async (ids) => { stockCalls.push(ids) }
  })
  const [user, p] = [await createUser(app), await createShopProduct(app, shop)]
  await reviews.create(user.id, p.id, { rating: 4 })
  assert.deepEqual(seen, [`${p.id}:4.00`])
  assert.deepEqual(stockCalls, [])
})

test('a failing invalidation does not fail the order', async () => {
  const { orders } = services({ onStockChanged: async () => { throw new Error('cache down') } })
  const user = await createUser(app)
  const p = await createShopProduct(app, shop, { stock: 5 })
  await putInCart(app, user.id, p.id, 1)
  const { body: order } = await orders.place(user.id, ORDER_BODY)
  assert.ok(order.id > 0)
  assert.equal(await stockOf(app, p.id), 4)
})

test('through the API: the cached product detail shows stock and rating changes from orders, cancellations and reviews', async () => {
  const user = await createUser(app)
  const admin = await createUser(app, { role: 'admin' })
  const p = await createShopProduct(app, shop, { stock: 10 })
  const detail = async () => (await app.inject({ method: 'GET', url: `/api/v1/products/${p.id}` })).json()
  const headers = { authorization: `Bearer ${user.token}` }
  assert.equal((await detail()).stock_quantity, 10)
  const cached = await app.inject({ method: 'GET', url: `/api/v1/products/${p.id}` })
  assert.match(String(cached.headers['server-timing']), /cache;[^,]*desc=hit/, 'the detail is now served from the cache')

  await putInCart(app, user.id, p.id, 3)
  const order = await app.inject({ method: 'POST', url: '/api/v1/orders', headers, payload: ORDER_BODY })
  assert.equal(order.statusCode, 201)
  assert.equal((await detail()).stock_quantity, 7)

  await app.inject({ method: 'PATCH', url: `/api/v1/orders/${order.json().id}/status`, headers: { authorization: `Bearer ${admin.token}` }, payload: { status: 'cancelled' } })
  assert.equal((await detail()).stock_quantity, 10)

  await app.inject({ method: 'POST', url: `/api/v1/products/${p.id}/reviews`, headers, payload: { rating: 4 } })
  assert.deepEqual((await detail()).rating, { average: 4, count: 1 })
})
