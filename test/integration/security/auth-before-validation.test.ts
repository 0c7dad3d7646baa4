import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { buildTestApp, flushRedisPrefix, resetDb } from '../../support/helper.js'
import { createUser, type FixtureUser } from '../../support/fixtures.js'
import { assertError, auth, NO_TRAFFIC_CONTROL } from '../../support/commerce-fixtures.js'

/**
 * Protected routes authenticate in `onRequest`, before the body is read or validated: a caller
 * without a valid token learns nothing about the body schema (and costs no body parsing), a
 * caller with the wrong role gets its 403, and only an authorized caller sees the 400.
 */

type Method = NonNullable<InjectOptions['method']>

// A body each route refuses (400 APP_VALIDATION_FAILED) once the caller is allowed in.
const BAD_BODIES: [Method, string, unknown][] = [
  ['POST', '/api/v1/cart/add', { product_id: 'one', quantity: -1 }],
  ['PUT', '/api/v1/cart/items/1', { quantity: 0 }],
  ['POST', '/api/v1/orders', { shipping_address: 42 }],
  ['PATCH', '/api/v1/orders/1/status', { status: 'teleported' }],
  ['PATCH', '/api/v1/users/profile', { email: 'not changeable here' }],
  ['POST', '/api/v1/products/1/reviews', { rating: 11 }],
  ['POST', '/api/v1/auth/logout', undefined]
]

// Routes that also need a role: a customer is refused with 403 whatever the body.
const ROLE_BAD_BODIES: [Method, string, unknown, 'seller' | 'admin'][] = [
  ['POST', '/api/v1/products', { name: '' }, 'seller'],
  ['PATCH', '/api/v1/products/1', { price: -5 }, 'seller'],
  ['PATCH', '/api/v1/orders/1/fulfilment', { status: 'lost' }, 'seller'],
  ['POST', '/api/v1/monitoring/alerts/high_error_rate/silence', { duration_s: 1 }, 'admin'],
  ['POST', '/api/v1/monitoring/profiles', { duration_ms: 'long' }, 'admin']
]

describe('authentication comes before body validation', () => {
  let app: FastifyInstance
  let customer: FixtureUser
  let seller: FixtureUser
  let admin: FixtureUser
  before(async () => {
    await resetDb()
    app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
    customer = await createUser(app)
    seller = await createUser(app, { role: 'seller' })
    admin = await createUser(app, { role: 'admin' })
  })
  after(() => app.close())

  const send = (method: Method, url: string, payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) })

  test('no token and a bad body → 401 AUTH_TOKEN_MISSING; a forged token → 401 AUTH_TOKEN_INVALID', async () => {
    for (const [method, url, body] of [...BAD_BODIES, ...ROLE_BAD_BODIES]) {
      if (body === undefined) continue
      assertError(await send(method, url, body), 401, 'AUTH_TOKEN_MISSING')
      assertError(await send(method, url, body, { authorization: 'Bearer not.a.token' }), 401, 'AUTH_TOKEN_INVALID')
    }
  })

  test('wrong role and a bad body → 403 AUTH_FORBIDDEN', async () => {
    for (const [method, url, body] of ROLE_BAD_BODIES) {
      assertError(await send(method, url, body, auth(customer.token)), 403, 'AUTH_FORBIDDEN')
    }
    assertError(await send('POST', '/api/v1/monitoring/profiles', { duration_ms: 'long' }, auth(seller.token)), 403, 'AUTH_FORBIDDEN')
  })

  test('a good token and a bad body → 400 APP_VALIDATION_FAILED', async () => {
    for (const [method, url, body] of BAD_BODIES) {
      if (body === undefined) continue
      assertError(await send(method, url, body, auth(customer.token)), 400, 'APP_VALIDATION_FAILED')
    }
    for (const [method, url, body, role] of ROLE_BAD_BODIES) {
      assertError(await send(method, url, body, auth(role === 'admin' ? admin.token : seller.token)), 400, 'APP_VALIDATION_FAILED')
    }
  })

  test('the body is not even read without a token: malformed JSON and an oversized body get the 401', async () => {
    const headers = { 'content-type': 'application/json' }
    assertError(await send('POST', '/api/v1/cart/add', '{"product_id": 1,', headers), 401, 'AUTH_TOKEN_MISSING')
    assertError(await send('POST', '/api/v1/cart/add', '{"product_id": 1,', { ...headers, ...auth(customer.token) }), 400, 'APP_BAD_REQUEST')
    const huge = JSON.stringify({ notes: 'x'.repeat(2 * 1024 * 1024) })
    assertError(await send('POST', '/api/v1/orders', huge, headers), 401, 'AUTH_TOKEN_MISSING')
    assertError(await send('POST', '/api/v1/orders', huge, { ...headers, ...auth(customer.token) }), 413, 'APP_PAYLOAD_TOO_LARGE')
  })

  test('a revoked account\'s token is refused before validation too', async () => {
    const gone = await createUser(app, { isActive: false })
    assertError(await send('POST', '/api/v1/cart/add', { quantity: 'many' }, auth(gone.token)), 401, 'AUTH_TOKEN_REVOKED')
  })
})

test('rate limiting still runs before authentication: the 4th unauthenticated call of a 3-per-minute route is a 429', async (t) => {
  const app = await buildTestApp(t, { loadSampleIntervalMs: 0 }, {
    setup: (instance) => {
      instance.post('/api/v1/test/guarded', {
        onRequest: instance.requireRole('admin'),
        config: { rateLimit: { points: 3, duration: 60, exact: true } },
        schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } }, additionalProperties: false } }
      }, async () => ({ ok: true }))
    }
  })
  await flushRedisPrefix(app)
  const statuses: number[] = []
  for (let i = 0; i < 4; i++) statuses.push((await app.inject({ method: 'POST', url: '/api/v1/test/guarded', payload: { n: 'x' } })).statusCode)
  assert.deepEqual(statuses, [401, 401, 401, 429])
})
