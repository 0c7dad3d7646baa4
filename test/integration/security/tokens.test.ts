import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, resetDb } from '../../support/helper.js'
import { createUser, FIXTURE_PASSWORD } from '../../support/fixtures.js'
import { assertError, auth, createShop, createShopProduct, NO_TRAFFIC_CONTROL, ORDER_BODY } from '../../support/commerce-fixtures.js'

// The default state TTL (60 s): a change made behind the API's back (psql) is seen on the
// database's account-change notice, within a test's patience, not by the TTL running out.
let app: FastifyInstance

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
})
after(() => app.close())

const sign = (claims: Record<string, unknown>) => (app.jwt.sign as (p: object) => string)(claims)
const profile = (token: string, a = app) => a.inject({ url: '/api/v1/users/profile', headers: auth(token) })
const logout = (token: string) => app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: auth(token) })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls until `probe` answers `status`; returns the elapsed milliseconds. */
async function within (ms: number, status: number, probe: () => Promise<{ statusCode: number }>): Promise<number> {
  const start = Date.now()
  for (;;) {
    if ((await probe()).statusCode === status) return Date.now() - start
    if (Date.now() - start > ms) assert.fail(`not ${status} within ${ms} ms`)
    await sleep(25)
  }
}

describe('claims are validated: a signed token with bad claims is a 401, never a 500', () => {
  const bad: [string, Record<string, unknown>][] = [
    ['sub "abc"', { sub: 'abc', role: 'customer' }],
    ['sub "1.5"', { sub: '1.5', role: 'customer' }],
    ['sub "99999999999" (beyond int4)', { sub: '99999999999', role: 'customer' }],
    ['sub "2147483648"', { sub: '2147483648', role: 'customer' }],
    ['sub "0"', { sub: '0', role: 'customer' }],
    ['sub "-1"', { sub: '-1', role: 'customer' }],
    ['sub as a number', { sub: 1, role: 'customer' }],
    ['sub "01"', { sub: '01', role: 'customer' }],
    ['role "superuser"', { sub: '1', role: 'superuser' }],
    ['no role', { sub: '1' }],
    ['ver "0"', { sub: '1', role: 'customer', ver: '0' }],
    ['ver -1', { sub: '1', role: 'customer', ver: -1 }]
  ]
  for (const [name, claims] of bad) {
    test(`${name} → 401 AUTH_TOKEN_INVALID on cart, orders, reviews and profile`, async () => {
      const token = sign(claims)
      const h = auth(token)
      const answers = await Promise.all([
        app.inject({ url: '/api/v1/cart', headers: h }),
        app.inject({ method: 'POST', url: '/api/v1/cart/add', headers: h, payload: { product_id: 1, quantity: 1 } }),
        app.inject({ method: 'POST', url: '/api/v1/orders', headers: h, payload: ORDER_BODY }),
        app.inject({ method: 'POST', url: '/api/v1/products/1/reviews', headers: h, payload: { rating: 5, comment: 'x' } }),
        profile(token)
      ])
      for (const res of answers) assertError(res, 401, 'AUTH_TOKEN_INVALID')
    })
  }

  test('a token without exp → 401, even with good claims', async () => {
    const user = await createUser(app)
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
    const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: String(user.id), role: 'customer', ver: 0 })}`
    const token = `${unsigned}.${createHmac('sha256', app.config.jwtSecret).update(unsigned).digest('base64url')}`
    assertError(await profile(token), 401, 'AUTH_TOKEN_INVALID')
  })

  test('a token whose role differs from the account\'s is refused (a customer cannot claim admin)', async () => {
    const user = await createUser(app)
    const forged = sign({ sub: String(user.id), role: 'admin', ver: 0 })
    // The signature is good and the version matches, but the account's own role decides.
    assertError(await app.inject({ url: '/api/v1/monitoring/business', headers: auth(forged) }), 403, 'AUTH_FORBIDDEN')
  })
})

describe('every authenticated request sees the account\'s current state', () => {
  test('a deleted account\'s token → 401 on cart, review and order', async () => {
    const shop = await createShop(app)
    const product = await createShopProduct(app, shop)
    const user = await createUser(app)
    assert.equal((await profile(user.token)).statusCode, 200)
    await app.db.sql`DELETE FROM users WHERE id = ${user.id}`
    await within(1000, 401, () => profile(user.token))
    const h = auth(user.token)
    for (const res of [
      await app.inject({ method: 'POST', url: '/api/v1/cart/add', headers: h, payload: { product_id: product.id, quantity: 1 } }),
      await app.inject({ method: 'POST', url: `/api/v1/products/${product.id}/reviews`, headers: h, payload: { rating: 1, comment: 'gone' } }),
      await app.inject({ method: 'POST', url: '/api/v1/orders', headers: h, payload: ORDER_BODY })
    ]) assertError(res, 401, 'AUTH_TOKEN_REVOKED')
  })

  test('deactivation (made in SQL, behind the API) revokes at once on the database\'s notice', async () => {
    const shop = await createShop(app)
    const product = await createShopProduct(app, shop)
    const user = await createUser(app)
    const add = () => app.inject({ method: 'POST', url: '/api/v1/cart/add', headers: auth(user.token), payload: { product_id: product.id, quantity: 1 } })
    assert.equal((await add()).statusCode, 200)
    await app.db.sql`UPDATE users SET is_active = false WHERE id = ${user.id}`
    const ms = await within(1000, 401, add)
    assert.ok(ms < 1000, `revoked after ${ms} ms`)
    assertError(await add(), 401, 'AUTH_TOKEN_REVOKED')
    // Reactivation does not bring the old token back: the version moved twice.
    await app.db.sql`UPDATE users SET is_active = true WHERE id = ${user.id}`
    await sleep(200)
    assertError(await add(), 401, 'AUTH_TOKEN_REVOKED')
  })

  test('a demoted admin loses the admin routes; a new login carries the new role', async () => {
    const admin = await createUser(app, { role: 'admin' })
    const business = (token: string) => app.inject({ url: '/api/v1/monitoring/business', headers: auth(token) })
    assert.equal((await business(admin.token)).statusCode, 200)
    await app.db.sql`UPDATE users SET user_type = 'customer' WHERE id = ${admin.id}`
    await within(1000, 401, () => business(admin.token))
    const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: admin.email, password: FIXTURE_PASSWORD } })
    assert.equal(login.statusCode, 200)
    assert.equal(login.json().user.user_type, 'customer')
    assertError(await business(login.json().access_token), 403, 'AUTH_FORBIDDEN')
  })

  test('a password change revokes every token of the account at once, the one that changed it included', async () => {
    const user = await createUser(app)
    const other = (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: FIXTURE_PASSWORD } })).json().access_token as string
    assert.equal((await profile(other)).statusCode, 200)
    const res = await app.inject({
      method: 'PATCH', url: '/api/v1/users/profile', headers: auth(user.token), payload: { current_password: FIXTURE_PASSWORD, new_password: 'a fresh passphrase 42' }
    })
    assert.equal(res.statusCode, 200)
    assertError(await profile(user.token), 401, 'AUTH_TOKEN_REVOKED')
    assertError(await profile(other), 401, 'AUTH_TOKEN_REVOKED')
    const again = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: 'a fresh passphrase 42' } })
    assert.equal((await profile(again.json().access_token)).statusCode, 200)
  })
})

describe('POST /auth/logout', () => {
  test('answers 204 and revokes every token of the caller (all devices); a new login works', async () => {
    const user = await createUser(app)
    const second = (await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: user.username, password: FIXTURE_PASSWORD } })).json().access_token as string
    const res = await logout(user.token)
    assert.equal(res.statusCode, 204)
    assert.equal(res.body, '')
    assertError(await profile(user.token), 401, 'AUTH_TOKEN_REVOKED')
    assertError(await profile(second), 401, 'AUTH_TOKEN_REVOKED')
    assertError(await logout(user.token), 401, 'AUTH_TOKEN_REVOKED')
    const fresh = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password: FIXTURE_PASSWORD } })
    assert.equal((await profile(fresh.json().access_token)).statusCode, 200)
  })

  test('without a token → 401 AUTH_TOKEN_MISSING', async () => {
    assertError(await app.inject({ method: 'POST', url: '/api/v1/auth/logout' }), 401, 'AUTH_TOKEN_MISSING')
  })

  test('reaches another instance at once through the database\'s notice, even with a long state TTL there', async (t) => {
    const other = await buildTestApp(t, { ...NO_TRAFFIC_CONTROL, authStateTtlMs: 600_000 })
    const user = await createUser(app)
    assert.equal((await profile(user.token, other)).statusCode, 200) // cached on `other` for 600 s
    assert.equal((await logout(user.token)).statusCode, 204)
    const ms = await within(1000, 401, () => profile(user.token, other))
    assert.ok(ms < 1000, `other instance refused after ${ms} ms`)
  })
})

describe('account-change notices', () => {
  test('the listening connection comes back after it is cut: a change made meanwhile is seen, and notices flow again', async () => {
    const user = await createUser(app)
    assert.equal((await profile(user.token)).statusCode, 200) // cached for 60 s
    const listeners = () => app.db.sql<{ pid: number }[]>`
      SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'listen "%'`
    // postgres.js listens on one connection for every channel (the catalog's too); its last query is a LISTEN.
    const before = await listeners()
    assert.ok(before.length > 0, 'a connection listens')
    // Cut every listening connection, then change the account while nobody listens.
    await app.db.sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY(${before.map((r) => r.pid)}::int[])`
    await app.db.sql`UPDATE users SET is_active = false WHERE id = ${user.id}`
    // The notice was lost, but the reconnected listener empties the cache: the next request reads the account.
    const ms = await within(5000, 401, () => profile(user.token))
    assert.ok(ms < 5000, `revoked after ${ms} ms`)
    const after = await listeners()
    assert.ok(after.length > 0 && after.every((r) => !before.some((b) => b.pid === r.pid)), 'listening again on a new connection')
    // And notices flow again on the new connection.
    const second = await createUser(app)
    assert.equal((await profile(second.token)).statusCode, 200)
    await app.db.sql`UPDATE users SET user_type = 'seller' WHERE id = ${second.id}`
    assert.ok(await within(1000, 401, () => profile(second.token)) < 1000)
  })
})
