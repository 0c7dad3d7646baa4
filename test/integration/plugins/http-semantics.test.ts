import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import zlib from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../../src/config.js'
import { addVary, isCompressibleType } from '../../../src/lib/http/compressed-bodies.js'
import { buildTestApp, flushRedisPrefix, resetDb } from '../../support/helper.js'
import { createCategory, createProduct, createUser } from '../../support/fixtures.js'

// RFC 9110 details: Vary on compressible responses and their 304s, 405 with Allow,
// OPTIONS and CORS preflights answered without touching the not-found limit.

const SHOP = 'https://shop.example'
const PREFLIGHT = { 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' }
const NOT_FOUND_POINTS = 3

/** The fields of a Vary value, lower-cased, in order (duplicates kept, so a test can see them). */
const varyFields = (value: unknown) => String(value ?? '').split(',').map((f) => f.trim().toLowerCase()).filter(Boolean)

async function semanticsApp (t: Parameters<typeof buildTestApp>[0], overrides: Partial<Config> = {}): Promise<FastifyInstance> {
  const app = await buildTestApp(t, { loadSheddingEnabled: false, rateLimitNotFoundPoints: NOT_FOUND_POINTS, ...overrides }, {
    setup: (app) => {
      const large = JSON.stringify({ items: Array.from({ length: 80 }, (_, i) => ({ id: i, name: `Item ${i}` })) })
      // A route that adds its own fields to the Vary it finds (Origin from CORS), in its own letter case.
      app.get('/api/v1/test/own-vary', async (_request, reply) => {
        const vary = reply.getHeader('vary')
        return reply.header('vary', `${vary === undefined ? '' : `${String(vary)}, `}Accept-Encoding, Accept-Language`).type('application/json').send(large)
      })
      app.get('/api/v1/test/png', async (_request, reply) => reply.type('image/png').send(Buffer.alloc(4000)))
      app.get('/api/v1/test/empty', async (_request, reply) => reply.code(204).send())
    }
  })
  await flushRedisPrefix(app)
  return app
}

before(async () => {
  await resetDb()
  // Enough products that a list page is above the 1 KB compression threshold.
  const app = await buildTestApp(undefined)
  const seller = await createUser(app, { role: 'seller' })
  const category = await createCategory(app)
  for (let i = 0; i < 12; i++) await createProduct(app, { sellerId: seller.id, categoryId: category.id, name: `Semantics product ${i}` })
  await app.close()
})

test('a list varies on Accept-Encoding when compressed, when sent plain, and on the 304 of a gzip request', async (t) => {
  const app = await semanticsApp(t)
  const url = '/api/v1/products?page_size=12'
  const plain = await app.inject({ method: 'GET', url })
  assert.equal(plain.statusCode, 200)
  assert.equal(plain.headers['content-encoding'], undefined)
  assert.ok(plain.body.length > 1024, `the page is above the threshold (${plain.body.length} bytes)`)
  assert.deepEqual(varyFields(plain.headers.vary), ['accept-encoding'], 'the uncompressed 200 says it would differ for another Accept-Encoding')

  const gzip = await app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip' } })
  assert.equal(gzip.headers['content-encoding'], 'gzip')
  assert.deepEqual(JSON.parse(zlib.gunzipSync(gzip.rawPayload).toString()), plain.json())
  assert.deepEqual(varyFields(gzip.headers.vary), ['accept-encoding'])
  const etag = String(gzip.headers.etag)
  assert.match(etag, /^W\/"/)

  const notModified = await app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip', 'if-none-match': etag } })
  assert.equal(notModified.statusCode, 304)
  assert.equal(notModified.rawPayload.length, 0)
  assert.equal(notModified.headers.etag, etag)
  assert.deepEqual(varyFields(notModified.headers.vary), ['accept-encoding'], 'the 304 repeats the Vary of its 200 (RFC 9110 15.4.5)')
  assert.equal(notModified.headers['content-encoding'], undefined)

  // The same on a detail (cached bytes compressed once) and on a small body never compressed.
  const id = plain.json().products[0].id as number
  const detail = await app.inject({ method: 'GET', url: `/api/v1/products/${id}`, headers: { 'accept-encoding': 'br' } })
  assert.equal(detail.statusCode, 200)
  assert.deepEqual(varyFields(detail.headers.vary), ['accept-encoding'])
  const detail304 = await app.inject({ method: 'GET', url: `/api/v1/products/${id}`, headers: { 'if-none-match': String(detail.headers.etag) } })
  assert.equal(detail304.statusCode, 304)
  assert.deepEqual(varyFields(detail304.headers.vary), ['accept-encoding'])
  const health = await app.inject({ method: 'GET', url: '/health/live', headers: { 'accept-encoding': 'br' } })
  assert.equal(health.headers['content-encoding'], undefined)
  assert.deepEqual(varyFields(health.headers.vary), ['accept-encoding'])
})

test('Vary merges with Origin and with a route\'s own Vary, never twice; no Vary where nothing is compressed', async (t) => {
  const app = await semanticsApp(t, { corsOrigins: SHOP })
  const url = '/api/v1/products?page_size=12'
  for (const headers of [{ origin: SHOP }, { origin: SHOP, 'accept-encoding': 'gzip' }, {}]) {
    const res = await app.inject({ method: 'GET', url, headers })
    assert.deepEqual(varyFields(res.headers.vary), ['origin', 'accept-encoding'], JSON.stringify(headers))
    const revalidated = await app.inject({ method: 'GET', url, headers: { ...headers, 'if-none-match': String(res.headers.etag) } })
    assert.equal(revalidated.statusCode, 304)
    assert.deepEqual(varyFields(revalidated.headers.vary), ['origin', 'accept-encoding'], `304 ${JSON.stringify(headers)}`)
  }
  const own = await app.inject({ method: 'GET', url: '/api/v1/test/own-vary', headers: { 'accept-encoding': 'br' } })
  assert.equal(own.headers['content-encoding'], 'br')
  assert.deepEqual(varyFields(own.headers.vary), ['origin', 'accept-encoding', 'accept-language'])

  const png = await app.inject({ method: 'GET', url: '/api/v1/test/png', headers: { 'accept-encoding': 'br' } })
  assert.equal(png.headers['content-encoding'], undefined)
  assert.deepEqual(varyFields(png.headers.vary), ['origin'], 'an image is never compressed, so it does not vary on Accept-Encoding')
  const empty = await app.inject({ method: 'GET', url: '/api/v1/test/empty' })
  assert.equal(empty.statusCode, 204)
  assert.deepEqual(varyFields(empty.headers.vary), ['origin'])

  const off = await semanticsApp(t, { compressionEnabled: false })
  const uncompressed = await off.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip' } })
  assert.equal(uncompressed.headers.vary, undefined, 'without compression nothing varies on Accept-Encoding')
})

test('addVary and the compressible-type test', () => {
  assert.equal(addVary(undefined, 'accept-encoding'), 'accept-encoding')
  assert.equal(addVary('', 'accept-encoding'), 'accept-encoding')
  assert.equal(addVary('Origin', 'accept-encoding'), 'Origin, accept-encoding')
  assert.equal(addVary('Origin,Accept-Encoding', 'accept-encoding'), 'Origin, accept-encoding')
  assert.equal(addVary('Accept-Encoding, Origin, ACCEPT-ENCODING', 'accept-encoding'), 'accept-encoding, Origin')
  assert.equal(addVary(['Origin', 'Accept-Language, accept-encoding'], 'accept-encoding'), 'Origin, Accept-Language, accept-encoding')
  assert.equal(addVary('*', 'accept-encoding'), '*')
  for (const type of ['application/json; charset=utf-8', 'text/html', 'application/problem+json', 'image/svg+xml', 'application/javascript; charset=utf-8']) {
    assert.ok(isCompressibleType(type), type)
  }
  for (const type of ['image/png', 'text/event-stream', 'application/zip', 'video/mp4']) assert.ok(!isCompressibleType(type), type)
})

test('a known path with another method is 405 with Allow, parametric paths included; an unknown path stays 404', async (t) => {
  // 405s and 404s both count against the not-found limit; this test sends more than 3.
  const app = await semanticsApp(t, { rateLimitNotFoundPoints: 100 })
  const cases: [string, string, string][] = [
    ['DELETE', '/api/v1/categories', 'GET, HEAD, OPTIONS'],
    ['PUT', '/health/live', 'GET, HEAD, OPTIONS'],
    ['POST', '/api/v1/products/123', 'GET, HEAD, PATCH, DELETE, OPTIONS'],
    ['PUT', '/api/v1/products/123?x=1', 'GET, HEAD, PATCH, DELETE, OPTIONS'],
    ['DELETE', '/api/v1/products/7/reviews', 'GET, HEAD, POST, OPTIONS'],
    ['GET', '/api/v1/auth/login', 'POST, OPTIONS'],
    ['HEAD', '/api/v1/orders/5/status', 'PATCH, OPTIONS']
  ]
  for (const [method, url, allow] of cases) {
    const res = await app.inject({ method: method as 'GET', url })
    assert.equal(res.statusCode, 405, `${method} ${url}`)
    assert.equal(res.headers.allow, allow, `${method} ${url}`)
    if (method === 'HEAD') continue
    assert.deepEqual(res.json(), {
      statusCode: 405,
      code: 'APP_METHOD_NOT_ALLOWED',
      error: 'Method Not Allowed',
      message: `Method ${method} is not allowed on ${url.split('?')[0]}; allowed: ${allow}`
    })
  }
  // The method each 405 names as allowed really is routed there.
  assert.equal((await app.inject({ method: 'GET', url: '/api/v1/categories' })).statusCode, 200)
  assert.notEqual((await app.inject({ method: 'PATCH', url: '/api/v1/products/123', payload: {} })).statusCode, 405)

  for (const [method, url] of [['GET', '/api/v1/nope'], ['DELETE', '/api/v1/nope/1'], ['GET', '/api/v1/products/1/nope'], ['POST', '/']]) {
    const res = await app.inject({ method: method as 'GET', url })
    assert.equal(res.statusCode, 404, `${method} ${url}`)
    assert.equal(res.headers.allow, undefined)
    assert.equal(res.json().code, 'APP_ROUTE_NOT_FOUND')
  }
  // A route that finds nothing to send (a missing dashboard file) is a 404, not a 405.
  const missing = await app.inject({ method: 'GET', url: '/dashboard/missing.js' })
  assert.equal(missing.statusCode, 404)
  assert.equal(missing.headers.allow, undefined)
})

test('plain OPTIONS: 204 with Allow on a known path, 404 on an unknown one, with or without CORS origins', async (t) => {
  for (const corsOrigins of ['', SHOP]) {
    const app = await semanticsApp(t, { corsOrigins })
    const known = await app.inject({ method: 'OPTIONS', url: '/api/v1/products/42' })
    assert.equal(known.statusCode, 204, corsOrigins)
    assert.equal(known.headers.allow, 'GET, HEAD, PATCH, DELETE, OPTIONS')
    assert.equal(known.rawPayload.length, 0)
    assert.equal(known.headers['access-control-allow-methods'], undefined, 'not a preflight: no CORS headers')
    assert.equal(known.headers['x-ratelimit-limit'], undefined, 'answered before rate limiting')
    // An Origin alone (no Access-Control-Request-Method) is not a preflight either.
    const withOrigin = await app.inject({ method: 'OPTIONS', url: '/health/live', headers: { origin: SHOP } })
    assert.equal(withOrigin.statusCode, 204)
    assert.equal(withOrigin.headers.allow, 'GET, HEAD, OPTIONS')

    const unknown = await app.inject({ method: 'OPTIONS', url: '/api/v1/nope' })
    assert.equal(unknown.statusCode, 404)
    assert.deepEqual(unknown.json(), { statusCode: 404, code: 'APP_ROUTE_NOT_FOUND', error: 'Not Found', message: 'Route OPTIONS /api/v1/nope not found' })
  }
})

test('preflights without configured origins are 403 and never spend the not-found limit; a real 404 still does', async (t) => {
  const app = await semanticsApp(t)
  for (let i = 0; i < NOT_FOUND_POINTS * 3; i++) {
    // Known and unknown paths alike: the origin is refused before the path matters.
    const url = i % 2 === 0 ? '/api/v1/products' : `/api/v1/nope-${i}`
    const res = await app.inject({ method: 'OPTIONS', url, headers: { origin: SHOP, ...PREFLIGHT } })
    assert.equal(res.statusCode, 403, url)
    assert.deepEqual(res.json(), { statusCode: 403, code: 'APP_CORS_ORIGIN_FORBIDDEN', error: 'Forbidden', message: 'Cross-origin requests from this origin are not allowed' })
    for (const name of ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-allow-headers', 'x-ratelimit-limit']) {
      assert.equal(res.headers[name], undefined, `${name} on ${url}`)
    }
  }
  // The not-found limit is untouched: the first real 404 sees its full budget, and it runs out as usual.
  const first = await app.inject({ method: 'GET', url: '/api/v1/nope' })
  assert.equal(first.statusCode, 404)
  assert.equal(first.headers['x-ratelimit-limit'], String(NOT_FOUND_POINTS))
  assert.equal(first.headers['x-ratelimit-remaining'], String(NOT_FOUND_POINTS - 1))
  for (let i = 1; i < NOT_FOUND_POINTS; i++) assert.equal((await app.inject({ method: 'GET', url: `/api/v1/nope-${i}` })).statusCode, 404)
  const limited = await app.inject({ method: 'GET', url: '/api/v1/nope' })
  assert.equal(limited.statusCode, 429)
  assert.equal(limited.json().code, 'RATE_LIMIT_EXCEEDED')
  // A 405 is an unmatched request too: it counts against (and is refused by) the same limit.
  assert.equal((await app.inject({ method: 'DELETE', url: '/api/v1/categories' })).statusCode, 429)
  // Preflights still get their 403, not the 429.
  assert.equal((await app.inject({ method: 'OPTIONS', url: '/api/v1/products', headers: { origin: SHOP, ...PREFLIGHT } })).statusCode, 403)
})

test('with configured origins: an allowed preflight is 204 with the CORS headers, another origin 403 without them', async (t) => {
  const app = await semanticsApp(t, { corsOrigins: `${SHOP},https://admin.example` })
  const ok = await app.inject({ method: 'OPTIONS', url: '/api/v1/products/42', headers: { origin: SHOP, ...PREFLIGHT } })
  assert.equal(ok.statusCode, 204)
  assert.equal(ok.headers['access-control-allow-origin'], SHOP)
  assert.match(String(ok.headers['access-control-allow-methods']), /POST/)
  assert.match(String(ok.headers['access-control-allow-headers']), /Content-Type/)
  assert.equal(ok.headers['access-control-max-age'], '600')
  assert.equal(ok.headers['x-ratelimit-limit'], undefined)

  for (let i = 0; i < NOT_FOUND_POINTS * 2; i++) {
    const evil = await app.inject({ method: 'OPTIONS', url: '/api/v1/products/42', headers: { origin: 'https://evil.example', ...PREFLIGHT } })
    assert.equal(evil.statusCode, 403)
    assert.equal(evil.json().code, 'APP_CORS_ORIGIN_FORBIDDEN')
    for (const name of ['access-control-allow-origin', 'access-control-allow-methods', 'access-control-expose-headers']) assert.equal(evil.headers[name], undefined, name)
  }
  const notFound = await app.inject({ method: 'GET', url: '/api/v1/nope' })
  assert.equal(notFound.headers['x-ratelimit-remaining'], String(NOT_FOUND_POINTS - 1), 'refused preflights spent nothing')

  // A browser script of an allowed origin can read a 405's Allow header.
  const wrong = await app.inject({ method: 'DELETE', url: '/api/v1/categories', headers: { origin: SHOP } })
  assert.equal(wrong.statusCode, 405)
  assert.equal(wrong.headers['access-control-allow-origin'], SHOP)
  assert.ok(String(wrong.headers['access-control-expose-headers']).split(', ').includes('Allow'))
})
