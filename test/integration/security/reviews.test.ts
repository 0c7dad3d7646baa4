import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, resetDb } from '../../support/helper.js'
import { createUser, type FixtureUser } from '../../support/fixtures.js'
import { assertError, auth, createShop, createShopProduct, NO_TRAFFIC_CONTROL, placeOrder, putInCart, type Shop } from '../../support/commerce-fixtures.js'
import { displayName } from '../../../src/modules/reviews/reviews.service.js'

/**
 * Ratings could be manipulated: a seller reviewed its own product 5★ and
 * moved its rating, sellers featured their own products, and review lists
 * showed login usernames.
 */

let app: FastifyInstance
let shop: Shop
let admin: FixtureUser

const postReview = (token: string, productId: number, payload: Record<string, unknown>) =>
  app.inject({ method: 'POST', url: `/api/v1/products/${productId}/reviews`, headers: auth(token), payload })

async function ratingOf (productId: number): Promise<{ rating_avg: string, rating_count: number, reviews: number }> {
  const [row] = await app.db.sql<{ rating_avg: string, rating_count: number, reviews: number }[]>`
    SELECT rating_avg, rating_count, (SELECT count(*)::int FROM reviews WHERE product_id = p.id) AS reviews FROM products p WHERE id = ${productId}`
  return { ...row }
}

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
  shop = await createShop(app)
  admin = await createUser(app, { role: 'admin' })
})
after(() => app.close())

describe('no review by the product\'s own seller', () => {
  test('a seller reviewing its own product → 403 REVIEWS_OWN_PRODUCT; no review, rating unchanged', async () => {
    const p = await createShopProduct(app, shop)
    assert.equal((await postReview((await createUser(app)).token, p.id, { rating: 2 })).statusCode, 201)
    const body = assertError(await postReview(shop.seller.token, p.id, { rating: 5, comment: 'Best product ever' }), 403, 'REVIEWS_OWN_PRODUCT')
    assert.equal(body.message, `User '${shop.seller.id}' sells product '${p.id}' and may not review it`)
    assert.deepEqual(await ratingOf(p.id), { rating_avg: '2.00', rating_count: 1, reviews: 1 })
  })

  test('also after buying it from itself and delivering the line', async () => {
    const p = await createShopProduct(app, shop)
    await putInCart(app, shop.seller.id, p.id, 1)
    const id = (await placeOrder(app, shop.seller.token)).json().id
    await app.inject({ method: 'PATCH', url: `/api/v1/orders/${id}/status`, headers: auth(admin.token), payload: { status: 'processing' } })
    for (const status of ['shipped', 'delivered']) {
      const res = await app.inject({ method: 'PATCH', url: `/api/v1/orders/${id}/fulfilment`, headers: auth(shop.seller.token), payload: { status } })
      assert.equal(res.statusCode, 200, res.body)
    }
    assertError(await postReview(shop.seller.token, p.id, { rating: 5 }), 403, 'REVIEWS_OWN_PRODUCT')
    assert.equal((await ratingOf(p.id)).reviews, 0)
  })

  test('an admin who sells the product is refused too; an admin reviewing another seller\'s product is not', async () => {
    const own = await createShopProduct(app, { seller: admin, categoryId: shop.categoryId })
    assertError(await postReview(admin.token, own.id, { rating: 5 }), 403, 'REVIEWS_OWN_PRODUCT')
    assert.equal((await postReview(admin.token, (await createShopProduct(app, shop)).id, { rating: 4 })).statusCode, 201)
  })

  test('another seller may review a competitor\'s product, unverified without a delivered line', async () => {
    const p = await createShopProduct(app, shop)
    const rival = await createShop(app)
    const res = await postReview(rival.seller.token, p.id, { rating: 1 })
    assert.equal(res.statusCode, 201)
    assert.equal(res.json().is_verified_purchase, false)
  })
})

describe('is_verified_purchase comes from a delivered line, delivered by its seller', () => {
  test('an order marked delivered whose line of the product was never delivered does not verify', async () => {
    const p = await createShopProduct(app, shop)
    const buyer = await createUser(app)
    await putInCart(app, buyer.id, p.id, 1)
    const id = (await placeOrder(app, buyer.token)).json().id
    await app.db.sql`UPDATE orders SET status = 'delivered' WHERE id = ${id}`
    assert.equal((await postReview(buyer.token, p.id, { rating: 5 })).json().is_verified_purchase, false)
  })

  test('the line delivered by the product\'s seller verifies the buyer\'s review', async () => {
    const p = await createShopProduct(app, shop)
    const buyer = await createUser(app)
    await putInCart(app, buyer.id, p.id, 1)
    const id = (await placeOrder(app, buyer.token)).json().id
    await app.inject({ method: 'PATCH', url: `/api/v1/orders/${id}/status`, headers: auth(admin.token), payload: { status: 'processing' } })
    for (const status of ['shipped', 'delivered']) {
      await app.inject({ method: 'PATCH', url: `/api/v1/orders/${id}/fulfilment`, headers: auth(shop.seller.token), payload: { status } })
    }
    assert.equal((await postReview(buyer.token, p.id, { rating: 5 })).json().is_verified_purchase, true)
  })
})

describe('is_featured is set by admins only', () => {
  const create = (token: string, payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/api/v1/products', headers: auth(token), payload })
  const patch = (token: string, id: number, payload: Record<string, unknown>) =>
    app.inject({ method: 'PATCH', url: `/api/v1/products/${id}`, headers: auth(token), payload })
  const product = (sku: string, extra: Record<string, unknown> = {}) => ({ name: `Featured ${sku}`, sku, price: 10, category_id: shop.categoryId, ...extra })

  test('a seller creating a featured product → 403 CATALOG_FEATURED_FORBIDDEN, nothing created', async () => {
    const sku = `FEAT-${process.pid}-1`
    assertError(await create(shop.seller.token, product(sku, { is_featured: true })), 403, 'CATALOG_FEATURED_FORBIDDEN')
    const [row] = await app.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM products WHERE sku = ${sku}`
    assert.equal(row.n, 0)
    const plain = await create(shop.seller.token, product(`FEAT-${process.pid}-2`))
    assert.equal(plain.statusCode, 201, plain.body)
    assert.equal(plain.json().is_featured, false)
  })

  test('a seller featuring (or un-featuring) its own product → 403; the flag is unchanged', async () => {
    const p = await createShopProduct(app, shop)
    assertError(await patch(shop.seller.token, p.id, { is_featured: true }), 403, 'CATALOG_FEATURED_FORBIDDEN')
    assertError(await patch(shop.seller.token, p.id, { is_featured: true, price: 12 }), 403, 'CATALOG_FEATURED_FORBIDDEN')
    const [row] = await app.db.sql<{ is_featured: boolean, price: string }[]>`SELECT is_featured, price::text FROM products WHERE id = ${p.id}`
    assert.deepEqual({ ...row }, { is_featured: false, price: '19.99' })
    const featured = await createShopProduct(app, shop, { isFeatured: true })
    assertError(await patch(shop.seller.token, featured.id, { is_featured: false }), 403, 'CATALOG_FEATURED_FORBIDDEN')
  })

  test('an admin features any product', async () => {
    const p = await createShopProduct(app, shop)
    const res = await patch(admin.token, p.id, { is_featured: true })
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json().is_featured, true)
  })
})

describe('reviews show a display name, never the login username', () => {
  test('the list and the created review carry "First L." and no username', async () => {
    const p = await createShopProduct(app, shop)
    const [row] = await app.db.sql<{ id: number }[]>`
      INSERT INTO users (username, email, password_hash, first_name, last_name, user_type)
      VALUES (${`login_${process.pid}`}, ${`login-${process.pid}@test.local`}, 'scrypt$invalid', 'Ana', 'garcía', 'customer') RETURNING id`
    const token = app.signAccessToken({ id: row.id, role: 'customer' })
    const created = await postReview(token, p.id, { rating: 4 })
    assert.deepEqual(created.json().user, { id: row.id, display_name: 'Ana G.' })
    const list = await app.inject({ method: 'GET', url: `/api/v1/products/${p.id}/reviews` })
    assert.deepEqual(list.json().reviews[0].user, { id: row.id, display_name: 'Ana G.' })
    assert.doesNotMatch(list.body + created.body, new RegExp(`login_${process.pid}`))
  })

  test('displayName: initial of the last name; blank parts are left out', () => {
    assert.equal(displayName('Ana', 'García'), 'Ana G.')
    assert.equal(displayName(' Émile ', 'ñuñez'), 'Émile Ñ.')
    assert.equal(displayName('Ana', ''), 'Ana')
    assert.equal(displayName('', 'Smith'), 'S.')
    assert.equal(displayName('', ''), 'Customer')
  })
})
