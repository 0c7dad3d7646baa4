import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, resetDb } from '../../../support/helper.js'
import { createUser, type FixtureUser } from '../../../support/fixtures.js'
import { assertError, auth, createCustomers, createShop, createShopProduct, NO_TRAFFIC_CONTROL, placeOrder, putInCart, type Shop } from '../../../support/commerce-fixtures.js'

let app: FastifyInstance
let shop: Shop

const postReview = (token: string, productId: number | string, payload: unknown) =>
  app.inject({ method: 'POST', url: `/api/v1/products/${productId}/reviews`, headers: auth(token), payload: payload as object })
const listReviews = (productId: number | string, query = '') => app.inject({ method: 'GET', url: `/api/v1/products/${productId}/reviews${query}` })

async function summary (productId: number): Promise<{ rating_avg: string, rating_count: number }> {
  const [row] = await app.db.sql<{ rating_avg: string, rating_count: number }[]>`SELECT rating_avg, rating_count FROM products WHERE id = ${productId}`
  return row
}

/** Orders the product for `user` and moves the order to `status` (SQL, as the lifecycle is tested elsewhere). */
async function buy (user: FixtureUser, productId: number, status: string): Promise<void> {
  await putInCart(app, user.id, productId, 1)
  const res = await placeOrder(app, user.token)
  assert.equal(res.statusCode, 201, res.body)
  await app.db.sql`UPDATE orders SET status = ${status} WHERE id = ${res.json().id}`
  // Lines follow their order here as they do through the API (a pending or processing order's lines are pending).
  const line = status === 'processing' ? 'pending' : status
  await app.db.sql`UPDATE order_items SET fulfilment_status = ${line} WHERE order_id = ${res.json().id}`
}

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
  shop = await createShop(app)
})
after(() => app.close())

describe('POST /products/:id/reviews', () => {
  test('creates a review (201) and keeps the product\'s average and count exact', async () => {
    const p = await createShopProduct(app, shop)
    const [a, b, c] = [await createUser(app), await createUser(app), await createUser(app)]
    const res = await postReview(a.token, p.id, { rating: 5, title: 'Great', comment: 'Works as described.' })
    assert.equal(res.statusCode, 201)
    const review = res.json()
    assert.equal(review.product_id, p.id)
    assert.deepEqual(review.user, { id: a.id, display_name: 'Test U.' })
    assert.equal(review.rating, 5)
    assert.equal(review.title, 'Great')
    assert.equal(review.is_verified_purchase, false)
    assert.ok(Date.parse(review.created_at))
    assert.deepEqual(await summary(p.id), { rating_avg: '5.00', rating_count: 1 })
    await postReview(b.token, p.id, { rating: 4 })
    await postReview(c.token, p.id, { rating: 4 })
    assert.deepEqual(await summary(p.id), { rating_avg: '4.33', rating_count: 3 })
  })

  test('a second review by the same user → 409 REVIEWS_ALREADY_REVIEWED; the summary is unchanged', async () => {
    const p = await createShopProduct(app, shop)
    const user = await createUser(app)
    assert.equal((await postReview(user.token, p.id, { rating: 2 })).statusCode, 201)
    const body = assertError(await postReview(user.token, p.id, { rating: 5 }), 409, 'REVIEWS_ALREADY_REVIEWED')
    assert.equal(body.message, `User '${user.id}' has already reviewed product '${p.id}'`)
    assert.deepEqual(await summary(p.id), { rating_avg: '2.00', rating_count: 1 })
  })

  test('concurrent duplicates by one user: one 201, the rest 409', async () => {
    const p = await createShopProduct(app, shop)
    const user = await createUser(app)
    const results = await Promise.all(Array.from({ length: 6 }, () => postReview(user.token, p.id, { rating: 3 })))
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [201, 409, 409, 409, 409, 409])
    assert.deepEqual(await summary(p.id), { rating_avg: '3.00', rating_count: 1 })
  })

  test('concurrent reviews by 30 users: no lost update in the summary', async () => {
    const p = await createShopProduct(app, shop)
    const users = await createCustomers(app, 30, `rev${p.id}`)
    const ratings = users.map((_, i) => 1 + (i % 5))
    const results = await Promise.all(users.map((u, i) => postReview(u.token, p.id, { rating: ratings[i] })))
    assert.ok(results.every((r) => r.statusCode === 201))
    const expected = (ratings.reduce((s, r) => s + r, 0) / ratings.length).toFixed(2)
    assert.deepEqual(await summary(p.id), { rating_avg: expected, rating_count: 30 })
  })

  test('is_verified_purchase: true after a delivered order line of the product, false for pending or cancelled ones', async () => {
    const p = await createShopProduct(app, shop)
    const [delivered, pending, cancelled] = [await createUser(app), await createUser(app), await createUser(app)]
    await buy(delivered, p.id, 'delivered')
    await buy(pending, p.id, 'pending')
    await buy(cancelled, p.id, 'cancelled')
    assert.equal((await postReview(delivered.token, p.id, { rating: 5 })).json().is_verified_purchase, true)
    assert.equal((await postReview(pending.token, p.id, { rating: 5 })).json().is_verified_purchase, false)
    assert.equal((await postReview(cancelled.token, p.id, { rating: 5 })).json().is_verified_purchase, false)
  })

  test('an unknown or inactive product → 404 REVIEWS_PRODUCT_NOT_FOUND', async () => {
    const user = await createUser(app)
    const inactive = await createShopProduct(app, shop, { isActive: false })
    assertError(await postReview(user.token, 987654, { rating: 4 }), 404, 'REVIEWS_PRODUCT_NOT_FOUND')
    assertError(await postReview(user.token, inactive.id, { rating: 4 }), 404, 'REVIEWS_PRODUCT_NOT_FOUND')
  })

  test('no token → 401', async () => {
    const p = await createShopProduct(app, shop)
    assertError(await app.inject({ method: 'POST', url: `/api/v1/products/${p.id}/reviews`, payload: { rating: 4 } }), 401, 'AUTH_TOKEN_MISSING')
  })

  const invalid: [string, unknown][] = [
    ['a missing rating', { title: 'x' }],
    ['rating 0', { rating: 0 }],
    ['rating 6', { rating: 6 }],
    ['rating 4.5', { rating: 4.5 }],
    ['rating as text', { rating: 'five' }],
    ['a title of 201 characters', { rating: 4, title: 'x'.repeat(201) }],
    ['a comment of 100,000 characters', { rating: 4, comment: 'x'.repeat(100_000) }],
    ['an empty title', { rating: 4, title: '' }],
    ['a self-declared verified purchase', { rating: 5, is_verified_purchase: true }]
  ]
  for (const [name, payload] of invalid) {
    test(`${name} → 400 APP_VALIDATION_FAILED`, async () => {
      const [user, p] = [await createUser(app), await createShopProduct(app, shop)]
      assertError(await postReview(user.token, p.id, payload), 400, 'APP_VALIDATION_FAILED')
      assert.deepEqual(await summary(p.id), { rating_avg: '0.00', rating_count: 0 })
    })
  }
})

describe('GET /products/:id/reviews', () => {
  test('approved reviews only, newest first, paginated, with the author\'s public name', async () => {
    const p = await createShopProduct(app, shop)
    const users = await createCustomers(app, 5, `list${p.id}`)
    for (const [i, u] of users.entries()) await postReview(u.token, p.id, { rating: 1 + i, title: `review ${i}` })
    const [hidden] = await app.db.sql<{ id: number }[]>`UPDATE reviews SET is_approved = false WHERE product_id = ${p.id} AND rating = 3 RETURNING id`
    const page1 = (await listReviews(p.id, '?page_size=2')).json()
    assert.deepEqual(page1.reviews.map((r: { title: string }) => r.title), ['review 4', 'review 3'])
    assert.deepEqual(page1.pagination, { page: 1, page_size: 2, total_count: 4, total_pages: 2 })
    assert.equal(page1.reviews[0].user.display_name, 'Bulk U.')
    assert.deepEqual(Object.keys(page1.reviews[0].user).sort(), ['display_name', 'id'])
    const page2 = (await listReviews(p.id, '?page_size=2&page=2')).json()
    assert.deepEqual(page2.reviews.map((r: { title: string }) => r.title), ['review 1', 'review 0'])
    assert.ok(!page2.reviews.some((r: { id: number }) => r.id === hidden.id))
    // Past the last page: no reviews, the count still there (one query answers both).
    const past = (await listReviews(p.id, '?page_size=2&page=3')).json()
    assert.deepEqual(past, { reviews: [], pagination: { page: 3, page_size: 2, total_count: 4, total_pages: 2 } })
    assert.equal(typeof page1.reviews[0].created_at, 'string')
  })

  test('an unapproved review does not count in the summary once it is recomputed', async () => {
    const p = await createShopProduct(app, shop)
    const [a, b] = [await createUser(app), await createUser(app)]
    await postReview(a.token, p.id, { rating: 1 })
    await app.db.sql`UPDATE reviews SET is_approved = false WHERE product_id = ${p.id}`
    await postReview(b.token, p.id, { rating: 5 })
    assert.deepEqual(await summary(p.id), { rating_avg: '5.00', rating_count: 1 })
  })

  test('a product without reviews → empty list', async () => {
    const p = await createShopProduct(app, shop)
    assert.deepEqual((await listReviews(p.id)).json(), { reviews: [], pagination: { page: 1, page_size: 20, total_count: 0, total_pages: 0 } })
  })

  test('a page is answered from the cache until a review or a change of the product makes it stale', async () => {
    const p = await createShopProduct(app, shop)
    const [a, b] = [await createUser(app), await createUser(app)]
    await postReview(a.token, p.id, { rating: 4, title: 'first' })
    const cacheOf = (res: { headers: Record<string, unknown> }) => /cache;desc=(\w+)/.exec(String(res.headers['server-timing']))?.[1]
    const first = await listReviews(p.id)
    assert.equal(cacheOf(first), 'miss')
    const again = await listReviews(p.id)
    assert.equal(cacheOf(again), 'hit')
    assert.equal(again.body, first.body, 'the same bytes')
    assert.equal(cacheOf(await listReviews(p.id, '?page_size=5')), 'miss', 'another page size is another entry')

    await postReview(b.token, p.id, { rating: 2, title: 'second' })
    const fresh = await listReviews(p.id)
    assert.equal(cacheOf(fresh), 'miss', 'a new review made the page stale')
    assert.deepEqual(fresh.json().reviews.map((r: { title: string }) => r.title), ['second', 'first'])
    assert.equal(fresh.json().pagination.total_count, 2)

    const off = await app.inject({ method: 'PATCH', url: `/api/v1/products/${p.id}`, headers: auth(shop.seller.token), payload: { is_active: false } })
    assert.equal(off.statusCode, 200, off.body)
    assertError(await listReviews(p.id), 404, 'REVIEWS_PRODUCT_NOT_FOUND')
    const on = await app.inject({ method: 'PATCH', url: `/api/v1/products/${p.id}`, headers: auth(shop.seller.token), payload: { is_active: true } })
    assert.equal(on.statusCode, 200, on.body)
    assert.equal((await listReviews(p.id)).json().pagination.total_count, 2, 'the cached "not found" went with the product\'s change')
  })

  test('an unknown or inactive product → 404; bad paging → 400', async () => {
    const inactive = await createShopProduct(app, shop, { isActive: false })
    assertError(await listReviews(987654), 404, 'REVIEWS_PRODUCT_NOT_FOUND')
    assertError(await listReviews(inactive.id), 404, 'REVIEWS_PRODUCT_NOT_FOUND')
    for (const q of ['?page=0', '?page_size=101', '?page=x', '?page=1e999', '?page=1001', '?limit=5']) {
      assertError(await listReviews(1, q), 400, 'APP_VALIDATION_FAILED')
    }
    assertError(await listReviews('abc'), 400, 'APP_VALIDATION_FAILED')
  })
})
