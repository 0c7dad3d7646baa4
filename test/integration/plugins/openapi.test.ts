import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import zlib from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, resetDb } from '../../support/helper.js'
import { createUser } from '../../support/fixtures.js'
import { auth, NO_TRAFFIC_CONTROL } from '../../support/commerce-fixtures.js'
import { OPENAPI_MAX_AGE_S, OPENAPI_TAGS, OPENAPI_VERSION } from '../../../src/plugins/openapi.js'

interface Operation { operationId?: string, tags?: string[], summary?: string, description?: string, parameters?: { name: string, in: string, description?: string }[] }
interface Document {
  openapi: string
  info: { contact?: { name?: string }, license?: { name?: string } }
  servers?: { url: string }[]
  tags?: { name: string, description?: string }[]
  paths: Record<string, Record<string, Operation>>
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'])

function operations (doc: Document): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).filter(([method]) => METHODS.has(method)).map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]))
}

describe('the OpenAPI document', () => {
  let app: FastifyInstance
  let doc: Document
  before(async () => {
    app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
    doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
  })
  after(() => app.close())

  test('declares OpenAPI 3.1 with servers, contact, license and described tags', () => {
    assert.equal(doc.openapi, OPENAPI_VERSION)
    assert.deepEqual(doc.servers?.map((s) => s.url), ['/'])
    assert.ok(doc.info.contact?.name)
    assert.ok(doc.info.license?.name)
    assert.deepEqual(doc.tags, OPENAPI_TAGS)
    for (const tag of doc.tags ?? []) assert.ok(tag.description && tag.description.length > 20, `tag ${tag.name} is described`)
  })

  test('every operation has a unique operationId, a declared tag, a summary, a description and described parameters', () => {
    const ops = operations(doc)
    assert.ok(ops.length >= 44, `${ops.length} operations`)
    const declared = new Set(doc.tags?.map((t) => t.name))
    const ids = new Map<string, string>()
    for (const [name, op] of ops) {
      assert.match(op.operationId ?? '', /^[a-z][A-Za-z]+$/, `${name} has a camelCase operationId`)
      assert.equal(ids.get(op.operationId ?? ''), undefined, `${name}: operationId ${op.operationId} is unique`)
      ids.set(op.operationId ?? '', name)
      assert.equal(op.tags?.length, 1, `${name} has one tag`)
      assert.ok(declared.has(op.tags?.[0] ?? ''), `${name}: tag ${op.tags?.[0]} is declared`)
      assert.ok(op.summary, `${name} has a summary`)
      assert.ok(op.description && op.description !== op.summary, `${name} has a description of its own`)
      for (const p of op.parameters ?? []) assert.ok(p.description, `${name}: ${p.in} parameter ${p.name} is described`)
    }
    // The infrastructure routes get theirs from the plugin's table.
    assert.equal(ids.get('getReadiness'), 'GET /health/ready')
    assert.equal(ids.get('getPrometheusMetrics'), 'GET /metrics')
  })

  test('no path ends with a slash; the collections are /api/v1/cart and /api/v1/orders', () => {
    assert.deepEqual(Object.keys(doc.paths).filter((p) => p.endsWith('/')), [])
    assert.ok(doc.paths['/api/v1/cart']?.get)
    assert.ok(doc.paths['/api/v1/orders']?.get && doc.paths['/api/v1/orders']?.post)
  })

  test('the password pair of PATCH /users/profile is if/then, not draft-07 `dependencies` (unknown to JSON Schema 2020-12)', () => {
    const body = JSON.stringify(doc.paths['/api/v1/users/profile'].patch)
    assert.doesNotMatch(body, /"dependencies"/)
    assert.match(body, /"if":\{"required":\["new_password"\]\},"then":\{"required":\["current_password"\]\}/)
  })
})

describe('serving /openapi.json', () => {
  let app: FastifyInstance
  let swaggerCalls = 0
  before(async () => {
    app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL, {
      setup: (instance) => {
        const swagger = instance.swagger.bind(instance)
        instance.swagger = ((opts?: { yaml?: boolean }) => { swaggerCalls++; return swagger(opts as never) }) as typeof instance.swagger
      }
    })
  })
  after(() => app.close())

  const get = (headers: Record<string, string> = {}, url = '/openapi.json') => app.inject({ method: 'GET', url, headers })

  test('each encoding has its own strong ETag; Cache-Control and Vary on every answer; the bodies are the same document', async () => {
    const identity = await get()
    const br = await get({ 'accept-encoding': 'gzip, deflate, br' })
    const gzip = await get({ 'accept-encoding': 'gzip' })
    for (const res of [identity, br, gzip]) {
      assert.equal(res.statusCode, 200)
      assert.equal(res.headers['cache-control'], `public, max-age=${OPENAPI_MAX_AGE_S}`)
      assert.match(String(res.headers.vary), /accept-encoding/i)
      assert.match(String(res.headers['content-type']), /^application\/json/)
      assert.match(String(res.headers.etag), /^"[A-Za-z0-9_-]{43}(-br|-gzip)?"$/, 'strong (no W/), a SHA-256 of the document')
    }
    assert.equal(identity.headers['content-encoding'], undefined)
    assert.equal(br.headers['content-encoding'], 'br')
    assert.equal(gzip.headers['content-encoding'], 'gzip')
    assert.equal(br.headers.etag, String(identity.headers.etag).replace(/"$/, '-br"'))
    assert.equal(gzip.headers.etag, String(identity.headers.etag).replace(/"$/, '-gzip"'))
    assert.equal(zlib.brotliDecompressSync(br.rawPayload).toString(), identity.body)
    assert.equal(zlib.gunzipSync(gzip.rawPayload).toString(), identity.body)
    assert.ok(br.rawPayload.length < identity.rawPayload.length / 8, `br ${br.rawPayload.length} of ${identity.rawPayload.length} bytes`)
    assert.equal(identity.json().openapi, OPENAPI_VERSION)
  })

  test('If-None-Match with the ETag of the representation to send gets 304 with no body; another encoding\'s ETag gets the 200', async () => {
    const { headers: { etag } } = await get({ 'accept-encoding': 'br' })
    const brTag = String(etag)
    const notModified = await get({ 'accept-encoding': 'br', 'if-none-match': brTag })
    assert.equal(notModified.statusCode, 304)
    assert.equal(notModified.rawPayload.length, 0)
    assert.equal(notModified.headers.etag, brTag)
    assert.equal(notModified.headers['cache-control'], `public, max-age=${OPENAPI_MAX_AGE_S}`)
    assert.match(String(notModified.headers.vary), /accept-encoding/i)
    // Weak comparison (RFC 9110 13.1.2): a W/ prefix and a list of tags still match.
    assert.equal((await get({ 'accept-encoding': 'br', 'if-none-match': `"other", W/${brTag}` })).statusCode, 304)
    assert.equal((await get({ 'accept-encoding': 'br', 'if-none-match': '*' })).statusCode, 304)
    const gzip = await get({ 'accept-encoding': 'gzip', 'if-none-match': brTag })
    assert.equal(gzip.statusCode, 200, 'a cached br copy does not validate the gzip one')
    assert.equal(gzip.headers['content-encoding'], 'gzip')
    assert.equal((await get({ 'if-none-match': '"stale"' })).statusCode, 200)
  })

  test('HEAD answers the headers; Swagger UI\'s /docs/json serves the same bytes; the document was serialized once', async () => {
    const head = await app.inject({ method: 'HEAD', url: '/openapi.json' })
    const full = await get()
    assert.equal(head.statusCode, 200)
    assert.equal(head.headers.etag, full.headers.etag)
    assert.equal(head.rawPayload.length, 0)
    const ui = await get({ 'accept-encoding': 'gzip' }, '/docs/json')
    assert.equal(ui.statusCode, 200)
    assert.equal(zlib.gunzipSync(ui.rawPayload).toString(), full.body)
    assert.equal(swaggerCalls, 1, 'app.swagger() ran once for every request and encoding above')
  })
})

test('with compression off the document is sent as it is, with its ETag and no Vary', async (t) => {
  const app = await buildTestApp(t, { ...NO_TRAFFIC_CONTROL, compressionEnabled: false })
  const res = await app.inject({ method: 'GET', url: '/openapi.json', headers: { 'accept-encoding': 'br, gzip' } })
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers['content-encoding'], undefined)
  assert.equal(res.headers.vary, undefined)
  assert.match(String(res.headers.etag), /^"[A-Za-z0-9_-]{43}"$/)
  assert.equal((await app.inject({ method: 'GET', url: '/openapi.json', headers: { 'if-none-match': String(res.headers.etag) } })).statusCode, 304)
})

describe('the former trailing-slash paths', () => {
  let app: FastifyInstance
  before(async () => {
    await resetDb()
    app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
  })
  after(() => app.close())

  test('GET /api/v1/cart/ and GET|POST /api/v1/orders/ answer 308 to the path without the slash, query string kept', async () => {
    for (const [method, url, location] of [
      ['GET', '/api/v1/cart/', '/api/v1/cart'],
      ['GET', '/api/v1/orders/?page=2&status=pending', '/api/v1/orders?page=2&status=pending'],
      ['POST', '/api/v1/orders/', '/api/v1/orders'],
      ['HEAD', '/api/v1/cart/', '/api/v1/cart']
    ] as const) {
      const res = await app.inject({ method, url, payload: method === 'POST' ? { notes: 'kept by a 308' } : undefined })
      assert.equal(res.statusCode, 308, `${method} ${url}`)
      assert.equal(res.headers.location, location, `${method} ${url}`)
    }
  })

  test('following the redirect with the same request reaches the route', async () => {
    const user = await createUser(app)
    const redirect = await app.inject({ method: 'GET', url: '/api/v1/cart/', headers: auth(user.token) })
    const cart = await app.inject({ method: 'GET', url: String(redirect.headers.location), headers: auth(user.token) })
    assert.equal(cart.statusCode, 200)
    assert.deepEqual(cart.json(), { items: [], total: 0 })
    const orders = await app.inject({ method: 'GET', url: String((await app.inject({ method: 'GET', url: '/api/v1/orders/', headers: auth(user.token) })).headers.location), headers: auth(user.token) })
    assert.equal(orders.statusCode, 200)
    assert.deepEqual(orders.json().orders, [])
  })
})
