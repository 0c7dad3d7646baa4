import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import createError from '@fastify/error'
import { buildTestApp, resetDb } from '../../support/helper.js'
import { createUser } from '../../support/fixtures.js'
import { assertError, createShop, createShopProduct, NO_TRAFFIC_CONTROL, placeOrder, putInCart, type Shop } from '../../support/commerce-fixtures.js'
import { createIdempotency } from '../../../src/modules/orders/orders.idempotency.js'

/**
 * A failed order (422 cart empty) kept its Idempotency-Key for 24 hours,
 * and the stored 422 was replayed after the cart was refilled. Only a 409
 * conflict is final now; every other failure frees the key.
 */

let app: FastifyInstance
let shop: Shop
let keyN = 0
const newKey = () => `sec-key-${process.pid}-${++keyN}`

async function keyRow (userId: number, key: string): Promise<{ status_code: number | null } | undefined> {
  const [row] = await app.db.sql<{ status_code: number | null }[]>`SELECT status_code FROM idempotency_keys WHERE user_id = ${userId} AND key = ${key}`
  return row && { ...row }
}

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
  shop = await createShop(app)
})
after(() => app.close())

describe('POST /orders with an Idempotency-Key', () => {
  test('422 ORDERS_CART_EMPTY does not keep the key: once the cart is filled, the same key places the order', async () => {
    const user = await createUser(app)
    const key = newKey()
    assertError(await placeOrder(app, user.token, { 'idempotency-key': key }), 422, 'ORDERS_CART_EMPTY')
    assert.equal(await keyRow(user.id, key), undefined, 'the key is free again')
    await putInCart(app, user.id, (await createShopProduct(app, shop)).id, 1)
    const placed = await placeOrder(app, user.token, { 'idempotency-key': key })
    assert.equal(placed.statusCode, 201, placed.body)
    assert.equal(placed.headers['idempotent-replayed'], undefined, 'a new attempt, not a replay of the 422')
    const replay = await placeOrder(app, user.token, { 'idempotency-key': key })
    assert.equal(replay.statusCode, 201)
    assert.equal(replay.headers['idempotent-replayed'], 'true')
    assert.equal(replay.json().id, placed.json().id)
  })

  test('409 ORDERS_INSUFFICIENT_STOCK keeps the key and is replayed with its details', async () => {
    const user = await createUser(app)
    const p = await createShopProduct(app, shop, { stock: 1 })
    await putInCart(app, user.id, p.id, 2)
    const key = newKey()
    const first = assertError(await placeOrder(app, user.token, { 'idempotency-key': key }), 409, 'ORDERS_INSUFFICIENT_STOCK')
    assert.equal((await keyRow(user.id, key))?.status_code, 409)
    const replay = await placeOrder(app, user.token, { 'idempotency-key': key })
    assert.deepEqual(assertError(replay, 409, 'ORDERS_INSUFFICIENT_STOCK'), first)
    assert.equal(replay.headers['idempotent-replayed'], 'true')
  })
})

describe('the idempotency store settles each failure', () => {
  for (const status of [400, 401, 403, 404, 422, 429, 500, 503]) {
    test(`a ${status} frees the key: the retry runs`, async () => {
      const user = await createUser(app)
      const idem = createIdempotency({ db: app.db.db, log: app.log })
      const scope = { userId: user.id, key: newKey(), fingerprint: 'a'.repeat(64) }
      const Failure = createError(`TEST_FAILURE_${status}`, 'failed', status)
      await assert.rejects(idem.run(scope, async () => { throw new Failure() }), { statusCode: status })
      assert.equal(await keyRow(user.id, scope.key), undefined)
      let ran = false
      const again = await idem.run(scope, async () => { ran = true; return { ok: true } })
      assert.equal(ran, true)
      assert.deepEqual(again, { body: { ok: true }, replayed: false })
    })
  }

  test('a 409 conflict is stored and replayed; the work does not run again', async () => {
    const user = await createUser(app)
    const idem = createIdempotency({ db: app.db.db, log: app.log })
    const scope = { userId: user.id, key: newKey(), fingerprint: 'b'.repeat(64) }
    const Conflict = createError('TEST_CONFLICT', 'conflict', 409)
    await assert.rejects(idem.run(scope, async () => { throw new Conflict() }), { statusCode: 409 })
    assert.equal((await keyRow(user.id, scope.key))?.status_code, 409)
    let ran = false
    await assert.rejects(idem.run(scope, async () => { ran = true; return {} }), { statusCode: 409, code: 'TEST_CONFLICT', name: 'ReplayedError' })
    assert.equal(ran, false)
  })
})
