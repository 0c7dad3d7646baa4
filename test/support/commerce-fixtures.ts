import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import assert from 'node:assert/strict'
import { createCategory, createProduct, createUser, type FixtureUser, type ProductFixture } from './fixtures.js'

/** Fixtures for the account, cart, order and review tests: rows go in through SQL, requests through app.inject. */

/**
 * Correctness tests run without the adaptive traffic controls: a busy machine
 * must not turn an expected 201 into a 429 or 503 (those have their own tests).
 */
export const NO_TRAFFIC_CONTROL = { rateLimitEnabled: false, loadSheddingEnabled: false } as const

export const ORDER_BODY = { shipping_address: '1 Test Street, Testville', billing_address: '1 Test Street, Testville', payment_method: 'card' }

export interface Shop { seller: FixtureUser, categoryId: number }

/** A seller and a category to hang products on. */
export async function createShop (app: FastifyInstance): Promise<Shop> {
  const seller = await createUser(app, { role: 'seller' })
  const category = await createCategory(app)
  return { seller, categoryId: category.id }
}

export function createShopProduct (app: FastifyInstance, shop: Shop, p: Partial<ProductFixture> = {}) {
  return createProduct(app, { sellerId: shop.seller.id, categoryId: shop.categoryId, ...p })
}

/** Puts a line straight into a user's cart (bypassing the stock check, as stock may change later anyway). */
export async function putInCart (app: FastifyInstance, userId: number, productId: number, quantity: number): Promise<void> {
  await app.db.sql`
    INSERT INTO cart_items (user_id, product_id, quantity) VALUES (${userId}, ${productId}, ${quantity})
    ON CONFLICT (user_id, product_id) DO UPDATE SET quantity = excluded.quantity`
}

/** Inserts `count` customers in one statement and signs a token for each. */
export async function createCustomers (app: FastifyInstance, count: number, tag: string): Promise<{ id: number, token: string }[]> {
  const rows = await app.db.sql<{ id: number }[]>`
    INSERT INTO users (username, email, password_hash, first_name, last_name, user_type)
    SELECT 'bulk_' || ${tag} || '_' || g, 'bulk-' || ${tag} || '-' || g || '@test.local', 'scrypt$invalid', 'Bulk', 'User', 'customer'
    FROM generate_series(1, ${count}::int) AS g
    RETURNING id`
  return rows.map((r) => ({ id: r.id, token: app.signAccessToken({ id: r.id, role: 'customer' }) }))
}

export async function stockOf (app: FastifyInstance, productId: number): Promise<number> {
  const [row] = await app.db.sql<{ stock_quantity: number }[]>`SELECT stock_quantity FROM products WHERE id = ${productId}`
  return row.stock_quantity
}

export function auth (token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}

/** Asserts an error response: status, code, and the one error shape. */
export function assertError (res: LightMyRequestResponse, statusCode: number, code: string): Record<string, unknown> {
  assert.equal(res.statusCode, statusCode, `expected ${statusCode} ${code}, got ${res.statusCode}: ${res.body}`)
  const body = res.json()
  assert.equal(body.code, code)
  assert.equal(body.statusCode, statusCode)
  assert.equal(typeof body.error, 'string')
  assert.equal(typeof body.message, 'string')
  assert.doesNotMatch(res.body, /\bat .+\.(ts|js):\d+/, 'no stack trace in error bodies')
  return body
}

export async function placeOrder (app: FastifyInstance, token: string, headers: Record<string, string> = {}, body: Record<string, unknown> = ORDER_BODY) {
  return app.inject({ method: 'POST', url: '/api/v1/orders', headers: { ...auth(token), ...headers }, payload: body })
}
