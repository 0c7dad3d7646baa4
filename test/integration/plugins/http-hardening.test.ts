import { test } from 'node:test'
import assert from 'node:assert/strict'
import zlib from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../../src/config.js'
import { CompressedBodies, negotiateEncoding } from '../../../src/lib/http/compressed-bodies.js'
import { buildTestApp, flushRedisPrefix } from '../../support/helper.js'

const SHOP = 'https://shop.example'
const LARGE = { products: Array.from({ length: 60 }, (_, i) => ({ id: i, name: `Laptop model ${i}`, price: 999.99 })) }
const SMALL = { id: 1, name: 'Mouse' }

async function hardenedApp (t: Parameters<typeof buildTestApp>[0], overrides: Partial<Config> = {}): Promise<FastifyInstance> {
  const app = await buildTestApp(t, { loadSampleIntervalMs: 0, ...overrides }, {
    setup: (app) => {
      app.get('/api/v1/test/large', async () => LARGE)
      app.get('/api/v1/test/small', async () => SMALL)
      app.get('/api/v1/test/revalidated', async (_request, reply) => reply.header('cache-control', 'no-cache').send(SMALL))
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

/** Headers helmet adds for documents only: they belong on the HTML pages, not on JSON. */
const DOCUMENT_ONLY = ['cross-origin-opener-policy', 'origin-agent-cluster', 'x-dns-prefetch-control', 'x-download-options', 'x-permitted-cross-domain-policies', 'x-xss-protection']

test('JSON responses carry the OWASP REST security headers and none of the document-only ones', async (t) => {
  const app = await hardenedApp(t)
  for (const url of ['/api/v1/test/small', '/nothing/here']) {
    const res = await app.inject({ method: 'GET', url })
    assert.equal(res.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'", url)
    assert.equal(res.headers['x-content-type-options'], 'nosniff')
    assert.equal(res.headers['x-frame-options'], 'DENY')
    assert.equal(res.headers['referrer-policy'], 'no-referrer')
    assert.equal(res.headers['cross-origin-resource-policy'], 'same-origin')
    assert.equal(res.headers['cache-control'], 'no-store', 'not stored unless the route says otherwise')
    assert.match(String(res.headers['content-type']), /^application\/json/)
    assert.equal(res.headers['strict-transport-security'], undefined, 'browsers ignore HSTS over plain HTTP')
    for (const name of [...DOCUMENT_ONLY, 'x-powered-by']) assert.equal(res.headers[name], undefined, `${name} on ${url}`)
  }
  const revalidated = await app.inject({ method: 'GET', url: '/api/v1/test/revalidated' })
  assert.equal(revalidated.headers['cache-control'], 'no-cache', 'a route\'s own Cache-Control wins')

  const off = await hardenedApp(t, { securityHeadersEnabled: false })
  const plain = await off.inject({ method: 'GET', url: '/api/v1/test/small' })
  assert.equal(plain.headers['content-security-policy'], undefined)
  assert.equal(plain.headers['cache-control'], undefined)
})

test('HSTS only over HTTPS: on the socket or from a trusted proxy\'s X-Forwarded-Proto', async (t) => {
  const https = { 'x-forwarded-proto': 'https' }
  const direct = await hardenedApp(t)
  assert.equal((await direct.inject({ method: 'GET', url: '/api/v1/test/small', headers: https })).headers['strict-transport-security'], undefined,
    'an untrusted client cannot claim HTTPS')
  const proxied = await hardenedApp(t, { trustProxy: 'true' })
  for (const url of ['/api/v1/test/small', '/docs/']) {
    const res = await proxied.inject({ method: 'GET', url, headers: https })
    assert.equal(res.headers['strict-transport-security'], 'max-age=15552000; includeSubDomains', url)
  }
  assert.equal((await proxied.inject({ method: 'GET', url: '/api/v1/test/small', headers: { 'x-forwarded-proto': 'http' } })).headers['strict-transport-security'], undefined)
})

test('HTML pages (/docs, /dashboard) keep helmet\'s full set; their CSP lets them load their own scripts and styles', async (t) => {
  const app = await hardenedApp(t)
  for (const url of ['/docs/', '/dashboard/']) {
    const page = await app.inject({ method: 'GET', url })
    assert.equal(page.statusCode, 200, url)
    assert.match(String(page.headers['content-type']), /^text\/html/)
    const csp = String(page.headers['content-security-policy'])
    for (const directive of ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "connect-src 'self'", "style-src 'self' 'unsafe-inline'"]) {
      assert.ok(csp.includes(directive), `${directive} in ${csp} (${url})`)
    }
    assert.ok(!csp.includes('upgrade-insecure-requests'), 'plain-HTTP hosts keep working')
    assert.equal(page.headers['cross-origin-opener-policy'], 'same-origin')
    assert.equal(page.headers['origin-agent-cluster'], '?1')
    assert.equal(page.headers['x-dns-prefetch-control'], 'off')
    assert.equal(page.headers['x-download-options'], 'noopen')
    assert.equal(page.headers['x-permitted-cross-domain-policies'], 'none')
    assert.equal(page.headers['x-xss-protection'], '0')
    assert.equal(page.headers['x-frame-options'], 'DENY')
    assert.equal(page.headers['x-content-type-options'], 'nosniff')
    assert.equal(page.headers['referrer-policy'], 'no-referrer')
    assert.equal(page.headers['strict-transport-security'], undefined)
  }
  assert.equal((await app.inject({ method: 'GET', url: '/dashboard/' })).headers['cache-control'], 'public, max-age=300', 'the dashboard\'s files set their own caching')

  const docs = await app.inject({ method: 'GET', url: '/docs/' })
  const scripts = [...docs.body.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1])
  assert.ok(scripts.length > 0 && scripts.every((src) => !/^(https?:)?\/\//.test(src)), 'every script is same-origin')
  assert.ok(!/<script>(?!\s*<\/script>)/.test(docs.body), 'no inline script')
  const bundle = await app.inject({ method: 'GET', url: `/docs/${scripts[0].replace(/^\.\//, '')}` })
  assert.equal(bundle.statusCode, 200)
  assert.ok(String(bundle.headers['content-security-policy']).includes("script-src 'self'"), 'the page\'s assets are part of the page')
  // The OpenAPI document the page fetches is JSON from the API.
  assert.equal((await app.inject({ method: 'GET', url: '/openapi.json' })).headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'")
})

test('CORS: allowed origins get the headers and can read the rate-limit and timing headers; others get none', async (t) => {
  const app = await hardenedApp(t, { corsOrigins: `${SHOP},https://admin.example` })
  const ok = await app.inject({ method: 'GET', url: '/api/v1/test/small', headers: { origin: SHOP } })
  assert.equal(ok.headers['access-control-allow-origin'], SHOP)
  assert.match(String(ok.headers.vary), /Origin/)
  const exposed = String(ok.headers['access-control-expose-headers']).split(', ')
  for (const h of ['RateLimit', 'RateLimit-Policy', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Retry-After', 'Server-Timing', 'X-Request-Id', 'X-System-Load']) {
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
  assert.equal(preflight.headers['x-ratelimit-limit'], undefined, 'preflights do not spend the client\'s budget')
})

test('CORS_ORIGINS empty: same-origin only, no CORS headers at all', async (t) => {
  const app = await hardenedApp(t)
  const res = await app.inject({ method: 'GET', url: '/api/v1/test/small', headers: { origin: SHOP } })
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers['access-control-allow-origin'], undefined)
  assert.equal(res.headers['access-control-expose-headers'], undefined)
})
