import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { Value } from 'typebox/value'
import { buildTestApp, flushRedisPrefix, resetDb } from '../../../support/helper.js'
import { createUser } from '../../../support/fixtures.js'
import { ProductDetailSchema } from '../../../../src/modules/catalog/catalog.schemas.js'
import { auth, buildCatalogWorld, NO_TRAFFIC_CONTROL, type CatalogWorld } from '../../../support/catalog-fixtures.js'

let app: FastifyInstance
let w: CatalogWorld
let skuSeq = 0
const sku = () => `TST-${process.pid}-${++skuSeq}`

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
  await flushRedisPrefix(app)
  w = await buildCatalogWorld(app)
})
after(() => app.close())

function assertError (res: { statusCode: number, json: () => unknown }, status: number, code: string): void {
  const body = res.json() as Record<string, unknown>
  assert.equal(res.statusCode, status, JSON.stringify(body))
  assert.equal(body.code, code)
  assert.equal(typeof body.message, 'string')
}

const create = (user: typeof w.seller, payload: Record<string, unknown>) =>
  app.inject({ method: 'POST', url: '/api/v1/products', headers: auth(user), payload })
const patch = (user: typeof w.seller, id: number, payload: Record<string, unknown>) =>
  app.inject({ method: 'PATCH', url: `/api/v1/products/${id}`, headers: auth(user), payload })

describe('POST /products', () => {
  test('a seller creates a product it owns; 201 with Location, detail body and a generated slug', async () => {
    const res = await create(w.seller, { name: 'Café Espresso Machine', sku: sku(), price: 249.9, sale_price: 199, category_id: w.cat.kitchen, stock_quantity: 4, brand: 'Brewer' })
    assert.equal(res.statusCode, 201, res.body)
    const body = res.json()
    assert.ok(Value.Check(ProductDetailSchema, body), res.body)
    assert.equal(res.headers.location, `/api/v1/products/${body.id}`)
    assert.equal(body.slug, 'cafe-espresso-machine')
    assert.equal(body.seller_id, w.seller.id)
    assert.equal(body.price, 249.9)
    assert.equal(body.sale_price, 199)
    const [row] = await app.db.sql<{ price: string }[]>`SELECT price::text FROM products WHERE id = ${body.id}`
    assert.equal(row.price, '249.90')
    const again = await create(w.seller, { name: 'Café Espresso Machine', sku: sku(), price: 10, category_id: w.cat.kitchen })
    assert.equal(again.statusCode, 201)
    assert.match(again.json().slug, /^cafe-espresso-machine-[0-9a-f]{6}$/)
  })

  test('an admin may create for a seller; a seller may not name another seller', async () => {
    const byAdmin = await create(w.admin, { name: 'Admin Listed', sku: sku(), price: 5, category_id: w.cat.kitchen, seller_id: w.otherSeller.id })
    assert.equal(byAdmin.statusCode, 201)
    assert.equal(byAdmin.json().seller_id, w.otherSeller.id)
    assertError(await create(w.seller, { name: 'X', sku: sku(), price: 5, category_id: w.cat.kitchen, seller_id: w.otherSeller.id }), 403, 'CATALOG_SELLER_ASSIGNMENT_FORBIDDEN')
    assertError(await create(w.admin, { name: 'X', sku: sku(), price: 5, category_id: w.cat.kitchen, seller_id: w.customer.id }), 422, 'CATALOG_INVALID_SELLER')
  })

  test('conflicts and semantic errors', async () => {
    const taken = sku()
    assert.equal((await create(w.seller, { name: 'First', sku: taken, price: 5, category_id: w.cat.kitchen })).statusCode, 201)
    assertError(await create(w.seller, { name: 'Second', sku: taken, price: 5, category_id: w.cat.kitchen }), 409, 'CATALOG_DUPLICATE_SKU')
    assertError(await create(w.seller, { name: 'Third', sku: sku(), price: 5, category_id: w.cat.kitchen, slug: 'cafe-espresso-machine' }), 409, 'CATALOG_DUPLICATE_SLUG')
    assertError(await create(w.seller, { name: 'Dear', sku: sku(), price: 5, sale_price: 6, category_id: w.cat.kitchen }), 422, 'CATALOG_INVALID_SALE_PRICE')
    assertError(await create(w.seller, { name: 'Nowhere', sku: sku(), price: 5, category_id: 999999 }), 422, 'CATALOG_INVALID_CATEGORY')
    assertError(await create(w.seller, { name: 'Fraction', sku: sku(), price: 5.999, category_id: w.cat.kitchen }), 400, 'CATALOG_INVALID_MONEY')
  })

  test('schema validation: required fields, bounds, unknown fields', async () => {
    for (const payload of [
      { sku: sku(), price: 5, category_id: w.cat.kitchen },
      { name: 'Free', sku: sku(), price: 0, category_id: w.cat.kitchen },
      { name: 'Neg stock', sku: sku(), price: 5, category_id: w.cat.kitchen, stock_quantity: -1 },
      { name: 'x'.repeat(201), sku: sku(), price: 5, category_id: w.cat.kitchen },
      { name: 'Bad sku', sku: 'has spaces', price: 5, category_id: w.cat.kitchen },
      { name: 'Extra', sku: sku(), price: 5, category_id: w.cat.kitchen, is_active: false }
    ]) {
      assertError(await create(w.seller, payload), 400, 'APP_VALIDATION_FAILED')
    }
  })

  test('401 without a token, 403 for a customer', async () => {
    assertError(await app.inject({ method: 'POST', url: '/api/v1/products', payload: { name: 'X', sku: sku(), price: 5, category_id: w.cat.kitchen } }), 401, 'AUTH_TOKEN_MISSING')
    assertError(await create(w.customer, { name: 'X', sku: sku(), price: 5, category_id: w.cat.kitchen }), 403, 'AUTH_FORBIDDEN')
  })
})

describe('PATCH and DELETE /products/{id}', () => {
  test('the owner updates fields; updated_at moves; the merged sale price is checked', async () => {
    const before = (await app.inject({ method: 'GET', url: `/api/v1/products/${w.p.blender}` })).json()
    const res = await patch(w.seller, w.p.blender, { price: 95.5, stock_quantity: 8, short_description: 'Now quieter' })
    assert.equal(res.statusCode, 200, res.body)
    const body = res.json()
    assert.equal(body.price, 95.5)
    assert.equal(body.stock_quantity, 8)
    assert.equal(body.short_description, 'Now quieter')
    assert.ok(body.updated_at > before.updated_at)
    assertError(await patch(w.seller, w.p.blender, { sale_price: 96 }), 422, 'CATALOG_INVALID_SALE_PRICE')
    assertError(await patch(w.seller, w.p.acmeLaptop, { price: 900 }), 422, 'CATALOG_INVALID_SALE_PRICE')
    assert.equal((await patch(w.seller, w.p.acmeLaptop, { price: 900, sale_price: null })).json().effective_price, 900)
    // JSON null and 0 keep their meaning (no type coercion between them).
    const zero = (await patch(w.seller, w.p.acmeLaptop, { sale_price: 0, description: null })).json()
    assert.equal(zero.sale_price, 0)
    assert.equal(zero.effective_price, 0)
    assert.equal(zero.description, null)
    assert.equal((await patch(w.seller, w.p.acmeLaptop, { sale_price: null })).json().sale_price, null)
  })

  test('a seller cannot edit or delete another seller\'s product (403); an admin can', async () => {
    assertError(await patch(w.otherSeller, w.p.galaxy, { price: 1 }), 403, 'CATALOG_PRODUCT_FORBIDDEN')
    assertError(await app.inject({ method: 'DELETE', url: `/api/v1/products/${w.p.galaxy}`, headers: auth(w.otherSeller) }), 403, 'CATALOG_PRODUCT_FORBIDDEN')
    const [row] = await app.db.sql<{ price: string }[]>`SELECT price::text FROM products WHERE id = ${w.p.galaxy}`
    assert.equal(row.price, '799.00')
    assert.equal((await patch(w.admin, w.p.galaxy, { is_featured: true })).json().is_featured, true)
    assertError(await patch(w.customer, w.p.galaxy, { price: 1 }), 403, 'AUTH_FORBIDDEN')
    assertError(await app.inject({ method: 'PATCH', url: `/api/v1/products/${w.p.galaxy}`, payload: { price: 1 } }), 401, 'AUTH_TOKEN_MISSING')
  })

  test('404, 409, 422 and 400 on update', async () => {
    assertError(await patch(w.admin, 999999, { price: 1 }), 404, 'CATALOG_PRODUCT_NOT_FOUND')
    const [other] = await app.db.sql<{ sku: string, slug: string }[]>`SELECT sku, slug FROM products WHERE id = ${w.p.mouse}`
    assertError(await patch(w.seller, w.p.laptop, { sku: other.sku }), 409, 'CATALOG_DUPLICATE_SKU')
    assertError(await patch(w.seller, w.p.laptop, { slug: other.slug }), 409, 'CATALOG_DUPLICATE_SLUG')
    assertError(await patch(w.seller, w.p.laptop, { category_id: 999999 }), 422, 'CATALOG_INVALID_CATEGORY')
    assertError(await patch(w.seller, w.p.laptop, {}), 400, 'APP_VALIDATION_FAILED')
    assertError(await patch(w.seller, w.p.laptop, { seller_id: w.otherSeller.id }), 400, 'APP_VALIDATION_FAILED')
  })

  test('DELETE soft-deletes: 204, then 404 on read and gone from lists; PATCH is_active restores', async () => {
    const seller = await createUser(app, { role: 'seller' })
    const created = (await create(seller, { name: 'Short Lived Gadget', sku: sku(), price: 12, category_id: w.cat.kitchen })).json()
    assert.equal((await app.inject({ method: 'GET', url: `/api/v1/products/${created.id}` })).statusCode, 200)
    const del = await app.inject({ method: 'DELETE', url: `/api/v1/products/${created.id}`, headers: auth(seller) })
    assert.equal(del.statusCode, 204)
    assert.equal(del.body, '')
    assertError(await app.inject({ method: 'GET', url: `/api/v1/products/${created.id}` }), 404, 'CATALOG_PRODUCT_NOT_FOUND')
    const search = (await app.inject({ method: 'GET', url: '/api/v1/products/search?q=gadget' })).json()
    assert.equal(search.products.length, 0)
    assertError(await app.inject({ method: 'DELETE', url: `/api/v1/products/${created.id}`, headers: auth(seller) }), 404, 'CATALOG_PRODUCT_NOT_FOUND')
    assert.equal((await patch(seller, created.id, { is_active: true })).statusCode, 200)
    assert.equal((await app.inject({ method: 'GET', url: `/api/v1/products/${created.id}` })).statusCode, 200)
  })

  test('an id or slug cached as missing becomes visible as soon as the product is created', async () => {
    const [{ next }] = await app.db.sql<{ next: number }[]>`SELECT coalesce(max(id), 0) + 1 AS next FROM products`
    assertError(await app.inject({ method: 'GET', url: `/api/v1/products/${next}` }), 404, 'CATALOG_PRODUCT_NOT_FOUND')
    const created = (await create(w.seller, { name: 'Brand New', sku: sku(), price: 3, category_id: w.cat.kitchen })).json()
    assert.equal(created.id, next)
    assert.equal((await app.inject({ method: 'GET', url: `/api/v1/products/${next}` })).statusCode, 200)
    assertError(await app.inject({ method: 'GET', url: '/api/v1/products/by-slug/soon-listed' }), 404, 'CATALOG_PRODUCT_NOT_FOUND')
    assert.equal((await create(w.seller, { name: 'Soon Listed', sku: sku(), price: 3, category_id: w.cat.kitchen })).json().slug, 'soon-listed')
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/products/by-slug/soon-listed' })).statusCode, 200)
  })
})
