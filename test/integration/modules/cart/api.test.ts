import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, resetDb } from '../../../support/helper.js'
import { createUser } from '../../../support/fixtures.js'
import { assertError, auth, createShop, createShopProduct, NO_TRAFFIC_CONTROL, putInCart, type Shop } from '../../../support/commerce-fixtures.js'

let app: FastifyInstance
let shop: Shop

const getCart = (token: string) => app.inject({ method: 'GET', url: '/api/v1/cart', headers: auth(token) })
const add = (token: string, payload: unknown) => app.inject({ method: 'POST', url: '/api/v1/cart/add', headers: auth(token), payload: payload as object })
const setQty = (token: string, productId: number | string, payload: unknown) =>
  app.inject({ method: 'PUT', url: `/api/v1/cart/items/${productId}`, headers: auth(token), payload: payload as object })
const remove = (token: string, productId: number | string) => app.inject({ method: 'DELETE', url: `/api/v1/cart/items/${productId}`, headers: auth(token) })

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
  shop = await createShop(app)
})
after(() => app.close())

describe('GET /cart', () => {
  test('an empty cart → no items and total 0', async () => {
    const user = await createUser(app)
    const res = await getCart(user.token)
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { items: [], total: 0 })
  })

  test('lines carry the live effective price, exact line totals and the cart total', async () => {
    const user = await createUser(app)
    const onSale = await createShopProduct(app, shop, { price: '10.10', salePrice: '9.99', stock: 50 })
    const dime = await createShopProduct(app, shop, { price: '0.10', stock: 50 })
    await putInCart(app, user.id, onSale.id, 3)
    await putInCart(app, user.id, dime.id, 7)
    const cart = (await getCart(user.token)).json()
    assert.equal(cart.items.length, 2)
    const byId = new Map(cart.items.map((i: { product_id: number }) => [i.product_id, i]))
    assert.deepEqual(byId.get(onSale.id), {
      product_id: onSale.id,
      quantity: 3,
      unit_price: 9.99,
      line_total: 29.97,
      product: { id: onSale.id, name: onSale.name, slug: onSale.slug, price: 10.1, sale_price: 9.99, stock_quantity: 50, is_active: true }
    })
    assert.equal((byId.get(dime.id) as { line_total: number }).line_total, 0.7)
    assert.equal(cart.total, 30.67) // 29.97 + 0.70 in numeric; 0.1 * 7 in floats would be 0.7000000000000001
  })

  test('a customer sees only its own cart', async () => {
    const [a, b] = [await createUser(app), await createUser(app)]
    const p = await createShopProduct(app, shop)
    await putInCart(app, a.id, p.id, 2)
    assert.equal((await getCart(a.token)).json().items.length, 1)
    assert.deepEqual((await getCart(b.token)).json().items, [])
    assertError(await remove(b.token, p.id), 404, 'CART_ITEM_NOT_FOUND')
    assert.equal((await getCart(a.token)).json().items.length, 1)
  })

  test('no token → 401 on every cart route', async () => {
    for (const req of [
      { method: 'GET' as const, url: '/api/v1/cart' },
      { method: 'POST' as const, url: '/api/v1/cart/add', payload: { product_id: 1, quantity: 1 } },
      { method: 'PUT' as const, url: '/api/v1/cart/items/1', payload: { quantity: 1 } },
      { method: 'DELETE' as const, url: '/api/v1/cart/items/1' }
    ]) {
      assertError(await app.inject(req), 401, 'AUTH_TOKEN_MISSING')
    }
  })
})

describe('POST /cart/add', () => {
  test('adds a line, and adding the same product again adds to that line', async () => {
    const user = await createUser(app)
    const p = await createShopProduct(app, shop, { price: '19.99', stock: 10 })
    const first = await add(user.token, { product_id: p.id, quantity: 2 })
    assert.equal(first.statusCode, 200)
    assert.equal(first.json().total, 39.98)
    const second = (await add(user.token, { product_id: p.id, quantity: 3 })).json()
    assert.equal(second.items.length, 1)
    assert.equal(second.items[0].quantity, 5)
    assert.equal(second.total, 99.95)
  })

  test('more than the stock → 409 CART_INSUFFICIENT_STOCK with the numbers, also when the line would pass it', async () => {
    const user = await createUser(app)
    const p = await createShopProduct(app, shop, { stock: 5 })
    const body = assertError(await add(user.token, { product_id: p.id, quantity: 6 }), 409, 'CART_INSUFFICIENT_STOCK')
    assert.deepEqual((body.details as object[])[0], { field: 'quantity', message: 'requested 6, available 5', product_id: p.id, requested: 6, available: 5 })
    assert.equal((await add(user.token, { product_id: p.id, quantity: 4 })).statusCode, 200)
    const over = assertError(await add(user.token, { product_id: p.id, quantity: 2 }), 409, 'CART_INSUFFICIENT_STOCK')
    assert.equal((over.details as { requested: number }[])[0].requested, 6)
    assert.equal((await getCart(user.token)).json().items[0].quantity, 4, 'a refused add leaves the line as it was')
  })

  test('an inactive product → 422 CART_PRODUCT_UNAVAILABLE; a missing one → 404 CART_PRODUCT_NOT_FOUND', async () => {
    const user = await createUser(app)
    const p = await createShopProduct(app, shop, { isActive: false })
    assertError(await add(user.token, { product_id: p.id, quantity: 1 }), 422, 'CART_PRODUCT_UNAVAILABLE')
    assertError(await add(user.token, { product_id: 999_999, quantity: 1 }), 404, 'CART_PRODUCT_NOT_FOUND')
    assert.deepEqual((await getCart(user.token)).json().items, [])
  })

  test('a line above 1000 units → 422 CART_LINE_QUANTITY_LIMIT', async () => {
    const user = await createUser(app)
    const p = await createShopProduct(app, shop, { stock: 5000 })
    assert.equal((await add(user.token, { product_id: p.id, quantity: 600 })).statusCode, 200)
    assertError(await add(user.token, { product_id: p.id, quantity: 600 }), 422, 'CART_LINE_QUANTITY_LIMIT')
  })

  test('a 101st different product → 422 CART_TOO_MANY_LINES; adding to an existing line still works', async () => {
    const user = await createUser(app)
    const ids = await app.db.sql<{ id: number }[]>`
      INSERT INTO products (seller_id, name, slug, sku, price, stock_quantity, category_id)
      SELECT ${shop.seller.id}, 'Bulk ' || g, 'bulk-cart-' || g, 'BULK-CART-' || g, 1.00, 10, ${shop.categoryId}
      FROM generate_series(1, 101) AS g RETURNING id`
    await app.db.sql`
      INSERT INTO cart_items (user_id, product_id, quantity)
      SELECT ${user.id}, id, 1 FROM unnest(${ids.slice(0, 100).map((r) => r.id)}::int[]) AS id`
    assertError(await add(user.token, { product_id: ids[100].id, quantity: 1 }), 422, 'CART_TOO_MANY_LINES')
    const more = await add(user.token, { product_id: ids[0].id, quantity: 1 })
    assert.equal(more.statusCode, 200)
    assert.equal(more.json().items.length, 100)
    assert.equal(more.json().total, 101)
  })

  test('concurrent adds by one user never push a line past the stock', async () => {
    const user = await createUser(app)
    const p = await createShopProduct(app, shop, { stock: 10 })
    const results = await Promise.all(Array.from({ length: 25 }, () => add(user.token, { product_id: p.id, quantity: 1 })))
    assert.equal(results.filter((r) => r.statusCode === 200).length, 10)
    for (const r of results.filter((r) => r.statusCode !== 200)) assertError(r, 409, 'CART_INSUFFICIENT_STOCK')
    assert.equal((await getCart(user.token)).json().items[0].quantity, 10)
  })

  const invalid: [string, unknown][] = [
    ['missing product_id', { quantity: 1 }],
    ['missing quantity', { product_id: 1 }],
    ['quantity 0', { product_id: 1, quantity: 0 }],
    ['negative quantity', { product_id: 1, quantity: -3 }],
    ['quantity 1001', { product_id: 1, quantity: 1001 }],
    ['fractional quantity', { product_id: 1, quantity: 1.5 }],
    ['quantity as text', { product_id: 1, quantity: 'many' }],
    ['product_id 0', { product_id: 0, quantity: 1 }],
    ['product_id past int4', { product_id: 2 ** 31, quantity: 1 }],
    ['a huge string as product_id', { product_id: '9'.repeat(10_000), quantity: 1 }],
    ['an unknown field', { product_id: 1, quantity: 1, unit_price: 0.01 }]
  ]
  for (const [name, payload] of invalid) {
    test(`${name} → 400 APP_VALIDATION_FAILED`, async () => {
      const user = await createUser(app)
      assertError(await add(user.token, payload), 400, 'APP_VALIDATION_FAILED')
    })
  }
})

describe('PUT /cart/items/:productId', () => {
  test('sets the quantity of a line', async () => {
    const user = await createUser(app)
    const p = await createShopProduct(app, shop, { price: '2.50', stock: 10 })
    await putInCart(app, user.id, p.id, 1)
    const res = await setQty(user.token, p.id, { quantity: 4 })
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().items[0].quantity, 4)
    assert.equal(res.json().total, 10)
  })

  test('not in the cart → 404; above stock → 409; inactive → 422', async () => {
    const user = await createUser(app)
    const p = await createShopProduct(app, shop, { stock: 3 })
    assertError(await setQty(user.token, p.id, { quantity: 1 }), 404, 'CART_ITEM_NOT_FOUND')
    await putInCart(app, user.id, p.id, 1)
    assertError(await setQty(user.token, p.id, { quantity: 4 }), 409, 'CART_INSUFFICIENT_STOCK')
    await app.db.sql`UPDATE products SET is_active = false WHERE id = ${p.id}`
    assertError(await setQty(user.token, p.id, { quantity: 2 }), 422, 'CART_PRODUCT_UNAVAILABLE')
  })

  test('bad input → 400', async () => {
    const user = await createUser(app)
    for (const [id, payload] of [[1, { quantity: 0 }], [1, { quantity: -1 }], [1, {}], [1, { quantity: 2000 }], ['abc', { quantity: 1 }], [-5, { quantity: 1 }], ['1e999', { quantity: 1 }], [1, { quantity: '1e999' }]] as const) {
      assertError(await setQty(user.token, id, payload), 400, 'APP_VALIDATION_FAILED')
    }
  })
})

describe('DELETE /cart/items/:productId', () => {
  test('removes the line and answers the cart; a second delete → 404 CART_ITEM_NOT_FOUND', async () => {
    const user = await createUser(app)
    const [p1, p2] = [await createShopProduct(app, shop, { price: '1.00' }), await createShopProduct(app, shop, { price: '2.00' })]
    await putInCart(app, user.id, p1.id, 1)
    await putInCart(app, user.id, p2.id, 1)
    const res = await remove(user.token, p1.id)
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json().items.map((i: { product_id: number }) => i.product_id), [p2.id])
    assert.equal(res.json().total, 2)
    assertError(await remove(user.token, p1.id), 404, 'CART_ITEM_NOT_FOUND')
    assertError(await remove(user.token, 'nope'), 400, 'APP_VALIDATION_FAILED')
  })
})

describe('each write answers the cart from its own statement', () => {
  test('the answer equals a fresh GET /cart after every write, in the order the lines were added', async () => {
    const user = await createUser(app)
    const [p1, p2, p3] = [
      await createShopProduct(app, shop, { price: '1.00', stock: 10 }),
      await createShopProduct(app, shop, { price: '2.00', stock: 10 }),
      await createShopProduct(app, shop, { price: '3.00', stock: 10 })
    ]
    const writes = [
      () => add(user.token, { product_id: p1.id, quantity: 1 }),
      () => add(user.token, { product_id: p2.id, quantity: 2 }),
      () => add(user.token, { product_id: p3.id, quantity: 1 }),
      () => add(user.token, { product_id: p2.id, quantity: 1 }), // the middle line grows and keeps its place
      () => setQty(user.token, p1.id, { quantity: 5 }),
      () => remove(user.token, p2.id)
    ]
    for (const write of writes) {
      const res = await write()
      assert.equal(res.statusCode, 200)
      assert.deepEqual(res.json(), (await getCart(user.token)).json())
    }
    const final = (await getCart(user.token)).json()
    assert.deepEqual(final.items.map((i: { product_id: number, quantity: number }) => [i.product_id, i.quantity]), [[p1.id, 5], [p3.id, 1]])
    assert.equal(final.total, 8)
  })

  test('removing the last line answers an empty cart; a refused add on an empty cart writes nothing', async () => {
    const user = await createUser(app)
    const p = await createShopProduct(app, shop, { price: '4.00', stock: 2 })
    await putInCart(app, user.id, p.id, 1)
    const res = await remove(user.token, p.id)
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), { items: [], total: 0 })
    assertError(await add(user.token, { product_id: p.id, quantity: 3 }), 409, 'CART_INSUFFICIENT_STOCK')
    assert.deepEqual((await getCart(user.token)).json(), { items: [], total: 0 })
  })
})
