import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import zlib from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../src/config.js'
import { addVary, isCompressibleType } from '../../src/lib/compressed-bodies.js'
import { buildTestApp, flushRedisPrefix, resetDb } from '../helper.js'
import { createCategory, createProduct, createUser } from '../fixtures.js'

// RFC 9110 details: Vary on compressible responses and their 304s.

const SHOP = 'https://shop.example'
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
