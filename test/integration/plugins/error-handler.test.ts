import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Type } from 'typebox'
import { DrizzleQueryError } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../../support/helper.js'

async function setup (app: FastifyInstance) {
  app.post('/test/echo', {
    schema: {
      body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 10 }), quantity: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
      querystring: Type.Object({ page: Type.Optional(Type.Integer({ minimum: 1 })) })
    }
  }, async (req) => req.body)
  app.get('/test/boom', async () => { throw new Error('secret internal detail') })
  app.get('/test/db-down', async () => { throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) })
  app.get('/test/db-down-wrapped', async () => {
    // What Drizzle throws: its own error with the driver's error as the cause.
    throw new DrizzleQueryError('select 1', [], Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' }))
  })
  app.get('/test/db-timeout', async () => { throw Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }) })
}

test('unknown route → 404 with the error shape', async (t) => {
  const app = await buildTestApp(t)
  const res = await app.inject({ method: 'GET', url: '/api/v1/nope?x=1' })
  assert.equal(res.statusCode, 404)
  assert.deepEqual(res.json(), { statusCode: 404, code: 'APP_ROUTE_NOT_FOUND', error: 'Not Found', message: 'Route GET /api/v1/nope not found' })
})

test('validation error → 400 listing every bad field', async (t) => {
  const app = await buildTestApp(t, {}, { setup })
  const res = await app.inject({ method: 'POST', url: '/test/echo', payload: { name: '', quantity: -1, extra: true } })
  assert.equal(res.statusCode, 400)
  const body = res.json()
  assert.equal(body.code, 'APP_VALIDATION_FAILED')
  assert.equal(body.error, 'Bad Request')
  const fields = body.details.map((d: { field: string }) => d.field).sort()
  assert.deepEqual(fields, ['body.extra', 'body.name', 'body.quantity'])
  assert.match(body.message, /body\.quantity/)
})

test('querystring of the wrong type → 400 naming the parameter', async (t) => {
  const app = await buildTestApp(t, {}, { setup })
  const res = await app.inject({ method: 'POST', url: '/test/echo?page=abc', payload: { name: 'a', quantity: 1 } })
  assert.equal(res.statusCode, 400)
  assert.equal(res.json().details[0].field, 'querystring.page')
})

test('a number that coercion turns into Infinity → 400 naming the field, on any route', async (t) => {
  const app = await buildTestApp(t, { rateLimitEnabled: false }, { setup })
  const query = await app.inject({ method: 'POST', url: '/test/echo?page=1e999', payload: { name: 'a', quantity: 1 } })
  assert.equal(query.statusCode, 400)
  assert.equal(query.json().details[0].field, 'querystring.page')
  const body = await app.inject({ method: 'POST', url: '/test/echo', payload: { name: 'a', quantity: '1e999' } })
  assert.equal(body.statusCode, 400)
  assert.equal(body.json().code, 'APP_VALIDATION_FAILED')
  for (const url of ['/api/v1/products?page_size=1e999', '/api/v1/products/1e999', '/api/v1/products/search?q=phone&category_id=1e999']) {
    const res = await app.inject({ url })
    assert.equal(res.statusCode, 400, url)
  }
})

test('malformed JSON → 400 with a clear message, no stack', async (t) => {
  const app = await buildTestApp(t, {}, { setup })
  const res = await app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/json' }, payload: '{"name":' })
  assert.equal(res.statusCode, 400)
  assert.equal(res.json().code, 'APP_BAD_REQUEST')
  assert.doesNotMatch(res.body, /at .*\.js/)
})

test('unexpected error → 500 without the original message', async (t) => {
  const app = await buildTestApp(t, {}, { setup })
  const res = await app.inject({ method: 'GET', url: '/test/boom' })
  assert.equal(res.statusCode, 500)
  assert.deepEqual(res.json(), { statusCode: 500, code: 'APP_INTERNAL_ERROR', error: 'Internal Server Error', message: 'An internal error occurred' })
})

test('database connection failure → 503 APP_DATABASE_UNAVAILABLE', async (t) => {
  const app = await buildTestApp(t, {}, { setup })
  const res = await app.inject({ method: 'GET', url: '/test/db-down' })
  assert.equal(res.statusCode, 503)
  assert.equal(res.json().code, 'APP_DATABASE_UNAVAILABLE')
})

test('a database error wrapped by Drizzle and a statement timeout → 503 with their codes', async (t) => {
  const app = await buildTestApp(t, {}, { setup })
  const wrapped = await app.inject({ method: 'GET', url: '/test/db-down-wrapped' })
  assert.equal(wrapped.statusCode, 503)
  assert.equal(wrapped.json().code, 'APP_DATABASE_UNAVAILABLE')
  const timeout = await app.inject({ method: 'GET', url: '/test/db-timeout' })
  assert.equal(timeout.statusCode, 503)
  assert.equal(timeout.json().code, 'APP_DATABASE_TIMEOUT')
})

test('a client request id is echoed; a forged one is replaced', async (t) => {
  const app = await buildTestApp(t)
  const ok = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'abc-123' } })
  assert.equal(ok.headers['x-request-id'], 'abc-123')
  const forged = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'a b c' } })
  assert.notEqual(forged.headers['x-request-id'], 'a b c')
  assert.match(String(forged.headers['x-request-id']), /^[0-9a-f-]{36}$/)
})

test('OpenAPI document at /openapi.json and UI at /docs', async (t) => {
  const app = await buildTestApp(t)
  const spec = await app.inject({ method: 'GET', url: '/openapi.json' })
  assert.equal(spec.statusCode, 200)
  assert.equal(spec.json().openapi.startsWith('3.'), true)
  assert.ok(spec.json().paths['/health/ready'])
  const ui = await app.inject({ method: 'GET', url: '/docs' })
  assert.ok([200, 302].includes(ui.statusCode))
})
