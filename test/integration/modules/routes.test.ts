import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildTestApp } from '../../support/helper.js'
import { NO_TRAFFIC_CONTROL } from '../../support/commerce-fixtures.js'

// Per-client limits (60 s window) and the load-shedding class of every account, cart, order and review route.
// Login and registration count per client address whatever token is attached (`key: 'address'`).
// `exact`: counted in Redis request by request, never from a leased budget (login, registration, order placement).
const EXPECTED: Record<string, { points: number, criticality?: string, key?: 'address', exact?: true }> = {
  'POST /api/v1/auth/register': { points: 5, key: 'address', exact: true },
  'POST /api/v1/auth/login': { points: 10, key: 'address', exact: true },
  'POST /api/v1/auth/logout': { points: 30 },
  'GET /api/v1/users/profile': { points: 100 },
  'PATCH /api/v1/users/profile': { points: 100 },
  'GET /api/v1/cart': { points: 100, criticality: 'cart' },
  'POST /api/v1/cart/add': { points: 50, criticality: 'cart' },
  'PUT /api/v1/cart/items/:productId': { points: 100, criticality: 'cart' },
  'DELETE /api/v1/cart/items/:productId': { points: 100, criticality: 'cart' },
  'POST /api/v1/orders': { points: 20, criticality: 'critical', exact: true },
  'GET /api/v1/orders': { points: 50 },
  'GET /api/v1/orders/:id': { points: 100 },
  'PATCH /api/v1/orders/:id/status': { points: 100 },
  'PATCH /api/v1/orders/:id/fulfilment': { points: 100 },
  'GET /api/v1/products/:id/reviews': { points: 100, criticality: 'browse' },
  'POST /api/v1/products/:id/reviews': { points: 100 }
}

test('every commerce route declares its rate limit and criticality', async (t) => {
  const seen = new Map<string, { config: unknown, hasResponseSchema: boolean }>()
  const app = await buildTestApp(t, NO_TRAFFIC_CONTROL, {
    setup: (app) => {
      app.addHook('onRequest', async (request) => {
        const { method, url, config, schema } = request.routeOptions
        seen.set(`${method} ${url?.replace(/\/$/, '')}`, { config, hasResponseSchema: Boolean(schema?.response) })
      })
    }
  })
  for (const route of Object.keys(EXPECTED)) {
    const [method, url] = route.split(' ')
    await app.inject({ method: method as 'GET', url: url.replace(':productId', '1').replace(':id', '1') })
  }
  for (const [route, expected] of Object.entries(EXPECTED)) {
    const options = seen.get(route)
    assert.ok(options, `${route} is registered`)
    const config = options.config as { rateLimit?: unknown, criticality?: string }
    assert.deepEqual(config.rateLimit, { points: expected.points, duration: 60, ...(expected.key && { key: expected.key }), ...(expected.exact && { exact: true }) }, route)
    assert.equal(config.criticality, expected.criticality, route)
    assert.ok(options.hasResponseSchema, `${route} has response schemas`)
  }
})

test('the OpenAPI document lists the commerce paths with bearer security', async (t) => {
  const app = await buildTestApp(t, NO_TRAFFIC_CONTROL)
  const spec = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
  for (const path of ['/api/v1/auth/login', '/api/v1/cart/add', '/api/v1/orders/{id}/status', '/api/v1/orders/{id}/fulfilment', '/api/v1/products/{id}/reviews']) {
    assert.ok(spec.paths[path], `${path} documented`)
  }
  assert.deepEqual(spec.paths['/api/v1/orders/{id}'].get.security, [{ bearerAuth: [] }])
})
