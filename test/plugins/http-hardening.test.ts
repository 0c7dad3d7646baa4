import { test } from 'node:test'
import assert from 'node:assert/strict'
import zlib from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../src/config.js'
import { CompressedBodies, negotiateEncoding } from '../../src/lib/compressed-bodies.js'
import { buildTestApp, flushRedisPrefix } from '../helper.js'

const SHOP = 'https://shop.example'
const LARGE = { products: Array.from({ length: 60 }, (_, i) => ({ id: i, name: `Laptop model ${i}`, price: 999.99 })) }
const SMALL = { id: 1, name: 'Mouse' }

async function hardenedApp (t: Parameters<typeof buildTestApp>[0], overrides: Partial<Config> = {}): Promise<FastifyInstance> {
  const app = await buildTestApp(t, { loadSampleIntervalMs: 0, ...overrides }, {
    setup: (app) => {
      app.get('/api/v1/test/large', async () => LARGE)
      app.get('/api/v1/test/small', async () => SMALL)
      app.post('/api/v1/test/echo', async (request) => request.body)
      // A cache hit, as the catalog sends it: the same pre-serialized string every time.
      const cached = JSON.stringify(LARGE)
      app.get('/api/v1/test/cached', async (request, reply) => {
        request.timings.cacheStatus = 'hit'
        reply.type('application/json; charset=utf-8')
        return cached
      })
      app.get('/api/v1/test/events', async (_request, reply) => {
        reply.type('text/event-stream')
        return `data: ${'x'.repeat(4000)}\n\n`
      })
    }
  })
  await flushRedisPrefix(app)
  return app
}

test('bodies above the threshold are compressed with brotli or gzip as the client accepts', async (t) => {
  const app = await hardenedApp(t)
  const br = await app.inject({ method: 'GET', url: '/api/v1/test/large', headers: { 'accept-encoding': 'gzip, deflate, br' } })
  assert.equal(br.headers['content-encoding'], 'br')
  assert.match(String(br.headers.vary), /accept-encoding/i)
  assert.deepEqual(JSON.parse(zlib.brotliDecompressSync(br.rawPayload).toString()), LARGE)
  assert.ok(br.rawPayload.length < JSON.stringify(LARGE).length / 4, `${br.rawPayload.length} bytes`)
  const gzip = await app.inject({ method: 'GET', url: '/api/v1/test/large', headers: { 'accept-encoding': 'gzip' } })
  assert.equal(gzip.headers['content-encoding'], 'gzip')
  assert.deepEqual(JSON.parse(zlib.gunzipSync(gzip.rawPayload).toString()), LARGE)
  const none = await app.inject({ method: 'GET', url: '/api/v1/test/large' })
  assert.equal(none.headers['content-encoding'], undefined)
  assert.deepEqual(none.json(), LARGE)
})

test('a cached body is compressed once per encoding and the same bytes are sent again', async (t) => {
  const app = await hardenedApp(t)
  const get = (encoding: string) => app.inject({ method: 'GET', url: '/api/v1/test/cached', headers: { 'accept-encoding': encoding } })
  const first = await get('gzip, br')
  assert.equal(first.headers['content-encoding'], 'br')
  assert.match(String(first.headers.vary), /accept-encoding/)
  assert.equal(Number(first.headers['content-length']), first.rawPayload.length)
  assert.deepEqual(JSON.parse(zlib.brotliDecompressSync(first.rawPayload).toString()), LARGE)
  assert.deepEqual((await get('br')).rawPayload, first.rawPayload)
  const gzip = await get('br;q=0, gzip')
  assert.equal(gzip.headers['content-encoding'], 'gzip')
  assert.deepEqual(JSON.parse(zlib.gunzipSync(gzip.rawPayload).toString()), LARGE)
  const plain = await get('identity')
  assert.equal(plain.headers['content-encoding'], undefined)
  assert.deepEqual(plain.json(), LARGE)
})

test('Accept-Encoding negotiation honours q-values and refusals; the compressed-body memory stays bounded', () => {
  assert.equal(negotiateEncoding('gzip, deflate, br'), 'br')
  assert.equal(negotiateEncoding('gzip;q=1, br;q=0.5'), 'gzip')
  assert.equal(negotiateEncoding('br;q=0, gzip;q=0.1'), 'gzip')
  assert.equal(negotiateEncoding('*'), 'br')
  assert.equal(negotiateEncoding('*;q=0'), undefined)
  assert.equal(negotiateEncoding('identity'), undefined)
  assert.equal(negotiateEncoding(undefined), undefined)
  let calls = 0
  const bodies = new CompressedBodies(3000, { br: (b) => { calls++; return b.subarray(0, 100) }, gzip: (b) => { calls++; return b.subarray(0, 100) } })
  const [a, b, c] = ['a', 'b', 'c'].map((ch) => ch.repeat(500))
  bodies.get(a, 'br')
  bodies.get(a, 'br')
  assert.equal(calls, 1, 'compressed once')
  bodies.get(b, 'br')
  bodies.get(a, 'gzip') // a is now the most recently used
  bodies.get(c, 'br')
  assert.equal(bodies.size, 2, 'the least recently used body (b) made room')
  bodies.get(a, 'br')
  assert.equal(calls, 4)
})

test('small bodies and event streams are sent uncompressed; the threshold is configurable', async (t) => {
  const app = await hardenedApp(t)
  const small = await app.inject({ method: 'GET', url: '/api/v1/test/small', headers: { 'accept-encoding': 'br' } })
  assert.equal(small.headers['content-encoding'], undefined)
  const sse = await app.inject({ method: 'GET', url: '/api/v1/test/events', headers: { 'accept-encoding': 'br' } })
  assert.equal(sse.headers['content-encoding'], undefined, 'SSE must flush each event, so it is never compressed')
  const eager = await hardenedApp(t, { compressionThresholdBytes: 10 })
  assert.equal((await eager.inject({ method: 'GET', url: '/api/v1/test/small', headers: { 'accept-encoding': 'br' } })).headers['content-encoding'], 'br')
  const off = await hardenedApp(t, { compressionEnabled: false })
  assert.equal((await off.inject({ method: 'GET', url: '/api/v1/test/large', headers: { 'accept-encoding': 'br' } })).headers['content-encoding'], undefined)
})

test('compressed request bodies are refused rather than inflated (no decompression-bomb surface)', async (t) => {
  const app = await hardenedApp(t)
  const res = await app.inject({ method: 'POST', url: '/api/v1/test/echo', headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' }, payload: zlib.gzipSync('{"a":1}') })
  assert.equal(res.statusCode, 400)
  assert.equal(res.json().code, 'APP_BAD_REQUEST')
})

test('security headers for a JSON API; the CSP lets /docs load its own scripts and styles', async (t) => {
  const app = await hardenedApp(t)
  const res = await app.inject({ method: 'GET', url: '/api/v1/test/small' })
  const csp = String(res.headers['content-security-policy'])
  for (const directive of ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "connect-src 'self'"]) {
    assert.ok(csp.includes(directive), `${directive} in ${csp}`)
  }
  assert.ok(!csp.includes('upgrade-insecure-requests'), 'plain-HTTP hosts keep working')
  assert.equal(res.headers['x-content-type-options'], 'nosniff')
  assert.equal(res.headers['x-frame-options'], 'DENY')
  assert.equal(res.headers['referrer-policy'], 'no-referrer')
  assert.equal(res.headers['cross-origin-resource-policy'], 'same-origin')
  assert.match(String(res.headers['strict-transport-security']), /max-age=\d+/)
  assert.equal(res.headers['x-powered-by'], undefined)

  const docs = await app.inject({ method: 'GET', url: '/docs/' })
  assert.equal(docs.statusCode, 200)
  const scripts = [...docs.body.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1])
  assert.ok(scripts.length > 0 && scripts.every((src) => !/^(https?:)?\/\//.test(src)), 'every script is same-origin')
  assert.ok(!/<script>(?!\s*<\/script>)/.test(docs.body), 'no inline script')
  const bundle = await app.inject({ method: 'GET', url: `/docs/${scripts[0].replace(/^\.\//, '')}` })
  assert.equal(bundle.statusCode, 200)
  const off = await hardenedApp(t, { securityHeadersEnabled: false })
  assert.equal((await off.inject({ method: 'GET', url: '/api/v1/test/small' })).headers['content-security-policy'], undefined)
})

test('CORS: allowed origins get the headers and can read the rate-limit and timing headers; others get none', async (t) => {
  const app = await hardenedApp(t, { corsOrigins: `${SHOP},https://admin.example` })
  const ok = await app.inject({ method: 'GET', url: '/api/v1/test/small', headers: { origin: SHOP } })
  assert.equal(ok.headers['access-control-allow-origin'], SHOP)
  assert.match(String(ok.headers.vary), /Origin/)
  const exposed = String(ok.headers['access-control-expose-headers']).split(', ')
  for (const h of ['RateLimit', 'RateLimit-Remaining', 'X-RateLimit-Reset', 'Retry-After', 'Server-Timing', 'X-Request-Id', 'X-System-Load']) {
    assert.ok(exposed.includes(h), `${h} exposed`)
  }
  assert.equal(ok.headers['cross-origin-resource-policy'], 'cross-origin')
  const evil = await app.inject({ method: 'GET', url: '/api/v1/test/small', headers: { origin: 'https://evil.example' } })
  assert.equal(evil.headers['access-control-allow-origin'], undefined)

  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/api/v1/test/small',
    headers: { origin: SHOP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,idempotency-key' }
  })
  assert.equal(preflight.statusCode, 204)
  assert.match(String(preflight.headers['access-control-allow-methods']), /POST/)
  assert.match(String(preflight.headers['access-control-allow-headers']), /Idempotency-Key/)
  assert.equal(preflight.headers['access-control-max-age'], '600')
  assert.equal(preflight.headers['ratelimit-limit'], undefined, 'preflights do not spend the client\'s budget')
})

test('CORS_ORIGINS empty: same-origin only, no CORS headers at all', async (t) => {
  const app = await hardenedApp(t)
  const res = await app.inject({ method: 'GET', url: '/api/v1/test/small', headers: { origin: SHOP } })
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers['access-control-allow-origin'], undefined)
  assert.equal(res.headers['access-control-expose-headers'], undefined)
})
