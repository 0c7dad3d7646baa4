import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildTestApp, resetDb } from '../../support/helper.js'
import { createUser, type FixtureUser } from '../../support/fixtures.js'
import { assertError, auth, createShop, createShopProduct, NO_TRAFFIC_CONTROL, placeOrder, putInCart, type Shop, stockOf } from '../../support/commerce-fixtures.js'
import { loadConfig } from '../../../src/config.js'
import { runExclusive } from '../../../src/lib/redis/background-jobs.js'
import { createInventoryService } from '../../../src/modules/inventory/inventory.service.js'
import { createOrdersService } from '../../../src/modules/orders/orders.service.js'
import { CartTags } from '../../../src/modules/cart/cart.keys.js'

/**
 * Stock could be hoarded: pending orders never expired and their buyer
 * could not cancel them (403), so one account could hold a product's whole
 * stock. Now the buyer cancels a pending order, and unpaid pending orders
 * expire after ORDER_PENDING_TTL_MINUTES; either way the stock comes back
 * exactly once and the catalog cache learns of it.
 */

const TTL_MINUTES = 30

let app: FastifyInstance
let shop: Shop
let admin: FixtureUser

const setStatus = (token: string, id: number, status: string) =>
  app.inject({ method: 'PATCH', url: `/api/v1/orders/${id}/status`, headers: auth(token), payload: { status } })
const detailStock = async (a: FastifyInstance, id: number): Promise<number> =>
  (await a.inject({ method: 'GET', url: `/api/v1/products/${id}` })).json().stock_quantity

/** `buyer` orders `quantity` of a new product with `stock` units; answers the order and product ids. */
async function hoard (buyer: FixtureUser, stock: number, quantity: number): Promise<{ id: number, productId: number }> {
  const p = await createShopProduct(app, shop, { stock })
  await putInCart(app, buyer.id, p.id, quantity)
  const res = await placeOrder(app, buyer.token)
  assert.equal(res.statusCode, 201, res.body)
  return { id: res.json().id, productId: p.id }
}

async function backdate (orderId: number, minutes: number): Promise<void> {
  await app.db.sql`UPDATE orders SET created_at = now() - make_interval(mins => ${minutes}::int) WHERE id = ${orderId}`
}

async function statusOf (orderId: number): Promise<{ status: string, payment_status: string, lines: string[] }> {
  const [row] = await app.db.sql<{ status: string, payment_status: string, lines: string[] }[]>`
    SELECT status, payment_status, ARRAY(SELECT fulfilment_status::text FROM order_items WHERE order_id = o.id) AS lines FROM orders o WHERE id = ${orderId}`
  return { ...row }
}

/** An orders service of its own on the app's database, as another instance would have; `changed` records the stock reports. */
function instance (changed: number[][] = []) {
  const inventory = createInventoryService({
    db: app.db.db, log: app.log, onProductsChanged: async () => {}, onStockChanged: async (ids) => { changed.push(ids) }
  })
  return createOrdersService({ db: app.db.db, log: app.log, inventory, cache: app.cache, cartTag: CartTags.user, pendingTtlMinutes: TTL_MINUTES })
}

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, { ...NO_TRAFFIC_CONTROL, orderPendingTtlMinutes: TTL_MINUTES })
  shop = await createShop(app)
  admin = await createUser(app, { role: 'admin' })
})
after(() => app.close())

describe('the buyer cancels its own pending order', () => {
  test('200: the order and its lines are cancelled, the stock is back, the product detail shows it at once', async () => {
    const buyer = await createUser(app)
    const { id, productId } = await hoard(buyer, 10, 10)
    assert.equal(await detailStock(app, productId), 0)
    const res = await setStatus(buyer.token, id, 'cancelled')
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json().status, 'cancelled')
    assert.deepEqual(await statusOf(id), { status: 'cancelled', payment_status: 'pending', lines: ['cancelled'] })
    assert.equal(await stockOf(app, productId), 10)
    assert.equal(await detailStock(app, productId), 10, 'the cached detail was invalidated')
  })

  test('another customer\'s order → 404; a paid order → 409 ORDERS_CANCEL_NOT_PENDING; the stock stays taken', async () => {
    const buyer = await createUser(app)
    const { id, productId } = await hoard(buyer, 10, 4)
    assertError(await setStatus((await createUser(app)).token, id, 'cancelled'), 404, 'ORDERS_NOT_FOUND')
    assert.equal((await setStatus(admin.token, id, 'processing')).statusCode, 200)
    const body = assertError(await setStatus(buyer.token, id, 'cancelled'), 409, 'ORDERS_CANCEL_NOT_PENDING')
    assert.equal(body.message, `Order '${id}' is 'processing'; its buyer can cancel it only while it is pending`)
    assert.equal(await stockOf(app, productId), 6)
  })

  test('concurrent cancels by the buyer return the stock once: one 200, the rest 409', async () => {
    const buyer = await createUser(app)
    const { id, productId } = await hoard(buyer, 10, 7)
    const results = await Promise.all(Array.from({ length: 8 }, () => setStatus(buyer.token, id, 'cancelled')))
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 409, 409, 409, 409, 409, 409, 409])
    for (const r of results.filter((r) => r.statusCode === 409)) assert.equal(r.json().code, 'ORDERS_CANCEL_NOT_PENDING')
    assert.equal(await stockOf(app, productId), 10)
  })

  test('the buyer, an admin and the expiry job of three instances cancelling at once return the stock once', async () => {
    const buyer = await createUser(app)
    const { id, productId } = await hoard(buyer, 5, 5)
    await backdate(id, TTL_MINUTES + 5)
    const [byBuyer, byAdmin, ...expired] = await Promise.all([
      setStatus(buyer.token, id, 'cancelled'),
      setStatus(admin.token, id, 'cancelled'),
      instance().expirePending(), instance().expirePending(), instance().expirePending()
    ])
    const winners = [byBuyer.statusCode === 200, byAdmin.statusCode === 200, ...expired.map((n) => n === 1)].filter(Boolean)
    assert.equal(winners.length, 1, `one cancellation: buyer ${byBuyer.statusCode}, admin ${byAdmin.statusCode}, expiry ${expired.join(',')}`)
    assert.equal(await stockOf(app, productId), 5)
    assert.equal((await statusOf(id)).status, 'cancelled')
  })
})

describe('unpaid pending orders expire', () => {
  test('expirePending cancels only unpaid pending orders older than the TTL, returns their stock and reports it to the catalog', async () => {
    const buyer = await createUser(app)
    const old = await hoard(buyer, 10, 3)
    const fresh = await hoard(buyer, 10, 3)
    const paid = await hoard(buyer, 10, 3)
    await backdate(old.id, TTL_MINUTES + 1)
    await backdate(fresh.id, TTL_MINUTES - 1)
    await setStatus(admin.token, paid.id, 'processing')
    await backdate(paid.id, TTL_MINUTES * 10)
    const changed: number[][] = []
    assert.equal(await instance(changed).expirePending(), 1)
    assert.deepEqual(await statusOf(old.id), { status: 'cancelled', payment_status: 'pending', lines: ['cancelled'] })
    assert.equal(await stockOf(app, old.productId), 10)
    assert.deepEqual(changed, [[old.productId]], 'the catalog is told which products\' stock changed')
    assert.equal((await statusOf(fresh.id)).status, 'pending')
    assert.equal(await stockOf(app, fresh.productId), 7)
    assert.equal((await statusOf(paid.id)).status, 'processing')
    assert.equal(await stockOf(app, paid.productId), 7)
    assert.equal(await instance().expirePending(), 0, 'nothing is cancelled twice')
  })

  test('many instances expiring at once cancel each order once and return the stock exactly', async () => {
    const product = await createShopProduct(app, shop, { stock: 40 })
    const buyers = await Promise.all(Array.from({ length: 20 }, () => createUser(app)))
    const ids: number[] = []
    for (const buyer of buyers) {
      await putInCart(app, buyer.id, product.id, 2)
      ids.push((await placeOrder(app, buyer.token)).json().id)
    }
    assert.equal(await stockOf(app, product.id), 0)
    for (const id of ids) await backdate(id, TTL_MINUTES + 2)
    const counts = await Promise.all(Array.from({ length: 6 }, () => instance().expirePending()))
    assert.equal(counts.reduce((a, b) => a + b, 0), 20, `cancelled per instance: ${counts.join(',')}`)
    assert.equal(await stockOf(app, product.id), 40)
    const [row] = await app.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM orders WHERE id = ANY(${ids}::int[]) AND status = 'cancelled'`
    assert.equal(row.n, 20)
  })

  test('the background job runs by itself every ORDER_EXPIRY_INTERVAL_S and the catalog shows the stock back, in stock again', async (t) => {
    const fast = await buildTestApp(t, { ...NO_TRAFFIC_CONTROL, orderPendingTtlMinutes: TTL_MINUTES, orderExpiryIntervalS: 1 })
    const buyer = await createUser(app)
    const { id, productId } = await hoard(buyer, 4, 4)
    const inStock = `/api/v1/products?in_stock=true&category_id=${shop.categoryId}&page_size=100`
    const listed = async () => (await fast.inject({ method: 'GET', url: inStock })).json().products.some((p: { id: number }) => p.id === productId)
    assert.equal(await listed(), false, 'sold out: not in stock')
    assert.equal(await detailStock(fast, productId), 0)
    await backdate(id, TTL_MINUTES + 1)
    const deadline = Date.now() + 15_000
    while ((await statusOf(id)).status !== 'cancelled' && Date.now() < deadline) await sleep(200)
    assert.equal((await statusOf(id)).status, 'cancelled', 'the job expired the order')
    assert.equal(await stockOf(app, productId), 4)
    assert.equal(await detailStock(fast, productId), 4, 'the cached detail was invalidated')
    assert.equal(await listed(), true, 'back in stock: the cached in_stock page was refreshed')
  })

  test('the job\'s lease lets one instance in per interval', async () => {
    const key = app.redis.key('test', 'lease', process.pid)
    let runs = 0
    const job = async () => { runs++; await sleep(50) }
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => runExclusive(app.redis, key, `instance-${i}`, 5000, job)))
    assert.equal(runs, 1)
    assert.equal(results.filter((r) => r.ran).length, 1)
  })

  test('ORDER_PENDING_TTL_MINUTES and ORDER_EXPIRY_INTERVAL_S are validated, naming the variable', () => {
    assert.equal(loadConfig({}).orderPendingTtlMinutes, 30)
    assert.equal(loadConfig({ ORDER_PENDING_TTL_MINUTES: '90' }).orderPendingTtlMinutes, 90)
    for (const bad of ['0', '-5', 'abc', '1.5', '100000']) assert.throws(() => loadConfig({ ORDER_PENDING_TTL_MINUTES: bad }), /ORDER_PENDING_TTL_MINUTES/)
    assert.throws(() => loadConfig({ ORDER_EXPIRY_INTERVAL_S: '0' }), /ORDER_EXPIRY_INTERVAL_S/)
  })
})
