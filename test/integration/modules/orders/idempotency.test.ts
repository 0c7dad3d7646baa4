import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, resetDb } from '../../../support/helper.js'
import { createUser, type FixtureUser } from '../../../support/fixtures.js'
import { assertError, createShop, createShopProduct, NO_TRAFFIC_CONTROL, ORDER_BODY, placeOrder, putInCart, type Shop, stockOf } from '../../../support/commerce-fixtures.js'
import { createIdempotency, fingerprintOf } from '../../../../src/modules/orders/orders.idempotency.js'
import { createOrdersRepository } from '../../../../src/modules/orders/orders.repository.js'

let app: FastifyInstance
let shop: Shop
let keyN = 0
const newKey = () => `key-${process.pid}-${++keyN}`

async function ordersOf (userId: number): Promise<number> {
  const [row] = await app.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM orders WHERE user_id = ${userId}`
  return row.n
}

async function keyRow (userId: number, key: string) {
  const [row] = await app.db.sql<{ status_code: number | null, fingerprint: string }[]>`
    SELECT status_code, fingerprint FROM idempotency_keys WHERE user_id = ${userId} AND key = ${key}`
  return row
}

/** A customer with `quantity` units of a fresh product (stock 100) in the cart. */
async function customerWithCart (quantity = 2): Promise<{ user: FixtureUser, productId: number }> {
  const user = await createUser(app)
  const p = await createShopProduct(app, shop, { stock: 100 })
  await putInCart(app, user.id, p.id, quantity)
  return { user, productId: p.id }
}

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
  shop = await createShop(app)
})
after(() => app.close())

describe('Idempotency-Key on POST /orders', () => {
  test('20 concurrent requests with one key create exactly one order; the others are 409 in progress or replays of it', async () => {
    const { user, productId } = await customerWithCart(3)
    const key = newKey()
    const results = await Promise.all(Array.from({ length: 20 }, () => placeOrder(app, user.token, { 'idempotency-key': key })))

    assert.equal(await ordersOf(user.id), 1)
    assert.equal(await stockOf(app, productId), 97)
    const [order] = await app.db.sql<{ id: number }[]>`SELECT id FROM orders WHERE user_id = ${user.id}`
    const firsts = results.filter((r) => r.statusCode === 201 && r.headers['idempotent-replayed'] === undefined)
    assert.equal(firsts.length, 1)
    assert.equal(firsts[0].json().id, order.id)
    for (const r of results) {
      if (r.statusCode === 201) assert.equal(r.json().id, order.id)
      else assertError(r, 409, 'ORDERS_IDEMPOTENCY_IN_PROGRESS')
    }
    // Once the first has finished, a retry replays it.
    const retry = await placeOrder(app, user.token, { 'idempotency-key': key })
    assert.equal(retry.statusCode, 201)
    assert.equal(retry.headers['idempotent-replayed'], 'true')
    assert.equal(retry.json().id, order.id)
  })

  test('a retry with the same key and body replays the stored response exactly; no second order', async () => {
    const { user, productId } = await customerWithCart()
    const key = newKey()
    const first = await placeOrder(app, user.token, { 'idempotency-key': key })
    assert.equal(first.statusCode, 201)
    assert.equal(first.headers['idempotent-replayed'], undefined)
    await putInCart(app, user.id, productId, 5) // a refilled cart must not turn the retry into a new order
    const again = await placeOrder(app, user.token, { 'idempotency-key': key })
    assert.equal(again.statusCode, 201)
    assert.equal(again.headers['idempotent-replayed'], 'true')
    assert.deepEqual(again.json(), first.json())
    assert.equal(await ordersOf(user.id), 1)
    assert.equal(await stockOf(app, productId), 98)
  })

  test('the key\'s fingerprint ignores property order; the quoted sf-string form is the same key', async () => {
    const { user } = await customerWithCart()
    const key = newKey()
    const first = await placeOrder(app, user.token, { 'idempotency-key': key })
    const reordered = Object.fromEntries(Object.entries(ORDER_BODY).reverse())
    const again = await placeOrder(app, user.token, { 'idempotency-key': `"${key}"` }, reordered)
    assert.equal(again.statusCode, 201)
    assert.equal(again.headers['idempotent-replayed'], 'true')
    assert.equal(again.json().id, first.json().id)
  })

  test('the same key with a different body → 422 ORDERS_IDEMPOTENCY_KEY_REUSED', async () => {
    const { user } = await customerWithCart()
    const key = newKey()
    assert.equal((await placeOrder(app, user.token, { 'idempotency-key': key })).statusCode, 201)
    assertError(await placeOrder(app, user.token, { 'idempotency-key': key }, { ...ORDER_BODY, notes: 'changed my mind' }), 422, 'ORDERS_IDEMPOTENCY_KEY_REUSED')
    assert.equal(await ordersOf(user.id), 1)
  })

  test('keys are scoped to the user: another user\'s identical key is a different request', async () => {
    const [a, b] = [await customerWithCart(), await customerWithCart()]
    const key = newKey()
    const resA = await placeOrder(app, a.user.token, { 'idempotency-key': key })
    const resB = await placeOrder(app, b.user.token, { 'idempotency-key': key })
    assert.equal(resB.statusCode, 201)
    assert.equal(resB.headers['idempotent-replayed'], undefined)
    assert.notEqual(resB.json().id, resA.json().id)
  })

  test('a 422 outcome is not stored: after the cart is filled, a retry with the same key places the order', async () => {
    const user = await createUser(app)
    const key = newKey()
    assertError(await placeOrder(app, user.token, { 'idempotency-key': key }), 422, 'ORDERS_CART_EMPTY')
    const p = await createShopProduct(app, shop)
    await putInCart(app, user.id, p.id, 1)
    const retry = await placeOrder(app, user.token, { 'idempotency-key': key })
    assert.equal(retry.statusCode, 201, retry.body)
    assert.equal(retry.headers['idempotent-replayed'], undefined)
    assert.equal(await ordersOf(user.id), 1)
    const replay = await placeOrder(app, user.token, { 'idempotency-key': key })
    assert.equal(replay.headers['idempotent-replayed'], 'true', 'the order, once placed, is what the key replays')
    assert.equal(replay.json().id, retry.json().id)
  })

  test('a 409 stock refusal is stored with its details and replayed', async () => {
    const user = await createUser(app)
    const p = await createShopProduct(app, shop, { stock: 1 })
    await putInCart(app, user.id, p.id, 2)
    const key = newKey()
    const first = assertError(await placeOrder(app, user.token, { 'idempotency-key': key }), 409, 'ORDERS_INSUFFICIENT_STOCK')
    await app.db.sql`UPDATE products SET stock_quantity = 10 WHERE id = ${p.id}`
    const replay = await placeOrder(app, user.token, { 'idempotency-key': key })
    assert.deepEqual(assertError(replay, 409, 'ORDERS_INSUFFICIENT_STOCK'), first)
    assert.equal(replay.headers['idempotent-replayed'], 'true')
  })

  test('a 5xx outcome releases the key, so a retry runs', async () => {
    const { user } = await customerWithCart()
    const key = newKey()
    // A trigger that fails every order insert of this user with a server-side error.
    const fn = `fail_orders_${process.pid}`
    await app.db.sql.unsafe(`CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'simulated failure'; END $$`)
    await app.db.sql.unsafe(`CREATE TRIGGER ${fn} BEFORE INSERT ON orders FOR EACH ROW WHEN (NEW.user_id = ${Number(user.id)}) EXECUTE FUNCTION ${fn}()`)
    try {
      assertError(await placeOrder(app, user.token, { 'idempotency-key': key }), 500, 'APP_INTERNAL_ERROR')
      assert.equal(await keyRow(user.id, key), undefined, 'the key was released')
    } finally {
      await app.db.sql.unsafe(`DROP TRIGGER ${fn} ON orders`)
      await app.db.sql.unsafe(`DROP FUNCTION ${fn}()`)
    }
    const retry = await placeOrder(app, user.token, { 'idempotency-key': key })
    assert.equal(retry.statusCode, 201)
    assert.equal(retry.headers['idempotent-replayed'], undefined)
    assert.equal(await ordersOf(user.id), 1)
  })

  test('a key still being processed → 409 ORDERS_IDEMPOTENCY_IN_PROGRESS', async () => {
    const { user } = await customerWithCart()
    const key = newKey()
    await app.db.sql`INSERT INTO idempotency_keys (user_id, key, fingerprint, expires_at)
      VALUES (${user.id}, ${key}, ${fingerprintOf(ORDER_BODY)}, now() + interval '1 day')`
    assertError(await placeOrder(app, user.token, { 'idempotency-key': key }), 409, 'ORDERS_IDEMPOTENCY_IN_PROGRESS')
    assert.equal(await ordersOf(user.id), 0)
  })

  test('an unfinished claim abandoned long ago (crashed process) is taken over by a retry with the same body', async () => {
    const { user } = await customerWithCart()
    const key = newKey()
    await app.db.sql`INSERT INTO idempotency_keys (user_id, key, fingerprint, created_at, expires_at)
      VALUES (${user.id}, ${key}, ${fingerprintOf(ORDER_BODY)}, now() - interval '10 minutes', now() + interval '1 day')`
    const res = await placeOrder(app, user.token, { 'idempotency-key': key })
    assert.equal(res.statusCode, 201)
    assert.equal((await keyRow(user.id, key)).status_code, 201)
  })

  test('an expired key is ignored and replaced: the request runs as new', async () => {
    const { user, productId } = await customerWithCart()
    const key = newKey()
    const first = await placeOrder(app, user.token, { 'idempotency-key': key })
    await app.db.sql`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE user_id = ${user.id} AND key = ${key}`
    await putInCart(app, user.id, productId, 1)
    const second = await placeOrder(app, user.token, { 'idempotency-key': key }, { ...ORDER_BODY, notes: 'a different body is fine now' })
    assert.equal(second.statusCode, 201)
    assert.equal(second.headers['idempotent-replayed'], undefined)
    assert.notEqual(second.json().id, first.json().id)
    assert.equal(await ordersOf(user.id), 2)
  })

  test('keys are kept 24 hours', async () => {
    const { user } = await customerWithCart()
    const key = newKey()
    await placeOrder(app, user.token, { 'idempotency-key': key })
    const [row] = await app.db.sql<{ hours: string }[]>`
      SELECT extract(epoch FROM expires_at - created_at) / 3600 AS hours FROM idempotency_keys WHERE user_id = ${user.id} AND key = ${key}`
    assert.equal(Number(row.hours), 24)
  })

  test('malformed keys → 400', async () => {
    const { user } = await customerWithCart()
    assertError(await placeOrder(app, user.token, { 'idempotency-key': 'k'.repeat(256) }), 400, 'ORDERS_IDEMPOTENCY_KEY_INVALID')
    assertError(await placeOrder(app, user.token, { 'idempotency-key': 'k'.repeat(300) }), 400, 'APP_VALIDATION_FAILED')
    assertError(await placeOrder(app, user.token, { 'idempotency-key': 'caf\u00e9' }), 400, 'ORDERS_IDEMPOTENCY_KEY_INVALID')
    assertError(await placeOrder(app, user.token, { 'idempotency-key': '""' }), 400, 'ORDERS_IDEMPOTENCY_KEY_INVALID')
    assertError(await placeOrder(app, user.token, { 'idempotency-key': 'a"b' }), 400, 'ORDERS_IDEMPOTENCY_KEY_INVALID')
    assert.equal(await ordersOf(user.id), 0)
    assert.equal((await placeOrder(app, user.token, { 'idempotency-key': 'k'.repeat(255) })).statusCode, 201)
  })
})

describe('idempotency store', () => {
  test('a claim taken over while the order was being placed: the order rolls back instead of making a second one', async () => {
    const { user, productId } = await customerWithCart()
    const idem = createIdempotency({ db: app.db.db, log: app.log })
    const orders = createOrdersRepository(app.db.db)
    const scope = { userId: user.id, key: newKey(), fingerprint: 'f'.repeat(64) }
    await assert.rejects(idem.run(scope, async (claim) => {
      // Another process decided this claim was stale and re-claimed the key.
      await app.db.sql`UPDATE idempotency_keys SET created_at = now() + interval '1 second' WHERE user_id = ${scope.userId} AND key = ${scope.key}`
      return orders.place({ orderNumber: `TM-TAKEOVER-${keyN}`, userId: user.id, shippingAddress: 'a', billingAddress: 'b', paymentMethod: 'card', notes: null }, claim)
    }), { code: 'ORDERS_IDEMPOTENCY_IN_PROGRESS' })
    assert.equal(await ordersOf(user.id), 0, 'the order insert was rolled back')
    assert.equal(await stockOf(app, productId), 100, 'the stock decrement was rolled back')
    const [cart] = await app.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM cart_items WHERE user_id = ${user.id}`
    assert.equal(cart.n, 1, 'the cart is intact')
    assert.equal((await keyRow(user.id, scope.key)).status_code, null, 'the other claim is left alone')
  })

  test('purgeExpired deletes expired keys only', async () => {
    const user = await createUser(app)
    await app.db.sql`INSERT INTO idempotency_keys (user_id, key, fingerprint, status_code, expires_at)
      SELECT ${user.id}, 'old-' || g, 'x', 201, now() - interval '1 minute' FROM generate_series(1, 25) AS g`
    await app.db.sql`INSERT INTO idempotency_keys (user_id, key, fingerprint, status_code, expires_at)
      VALUES (${user.id}, 'live', 'x', 201, now() + interval '1 hour')`
    const idem = createIdempotency({ db: app.db.db, log: app.log })
    assert.ok(await idem.purgeExpired() >= 25)
    const rows = await app.db.sql<{ key: string }[]>`SELECT key FROM idempotency_keys WHERE user_id = ${user.id}`
    assert.deepEqual(rows.map((r) => r.key), ['live'])
  })
})
