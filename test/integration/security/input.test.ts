import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { encodeCursor } from '../../../src/modules/catalog/catalog.cursor.js'
import { buildTestApp, resetDb } from '../../support/helper.js'
import { createUser } from '../../support/fixtures.js'
import { assertError, auth, createShop, createShopProduct, NO_TRAFFIC_CONTROL, ORDER_BODY } from '../../support/commerce-fixtures.js'

let app: FastifyInstance
let token: string
let productId: number

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
  const shop = await createShop(app)
  for (let i = 0; i < 5; i++) productId = (await createShopProduct(app, shop, { name: `Widget ${i}`, price: `${10 + i}.00` })).id
  token = (await createUser(app)).token
})
after(() => app.close())

const NUL = '\u0000'
const REGISTER = { email: 'nul@example.test', username: 'nul_user', password: 'correct horse battery', first_name: 'Ada', last_name: 'Lovelace' }

function assertField (res: { statusCode: number, body: string, json: () => Record<string, unknown> }, field: string): void {
  const body = assertError(res as never, 400, 'APP_VALIDATION_FAILED')
  const details = body.details as { field: string, message: string }[]
  assert.ok(details.some((d) => d.field === field && /NUL|surrogate/.test(d.message)), `${field}: ${res.body}`)
  assert.match(String(body.message), new RegExp(field.replaceAll('.', '\\.')))
}

describe('NUL in any string input is a 400 naming the field', () => {
  const cases: [string, () => InjectOptions, string][] = [
    ['search q', () => ({ url: '/api/v1/products/search?q=wid%00get' }), 'querystring.q'],
    ['search query alias', () => ({ url: '/api/v1/products/search?query=%00' }), 'querystring.query'],
    ['list brand', () => ({ url: '/api/v1/products?brand=Acme%00' }), 'querystring.brand'],
    ['POST search body q', () => ({ method: 'POST', url: '/api/v1/products/search', payload: { q: `a${NUL}b` } }), 'body.q'],
    ['slug in the path', () => ({ url: '/api/v1/products/by-slug/widget%00' }), 'params.slug'],
    ['login email', () => ({ method: 'POST', url: '/api/v1/auth/login', payload: { email: `a${NUL}@b.test`, password: 'whatever1' } }), 'body.email'],
    ['login username', () => ({ method: 'POST', url: '/api/v1/auth/login', payload: { username: `ad${NUL}min`, password: 'whatever1' } }), 'body.username'],
    ['login password', () => ({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'admin', password: `pass${NUL}word` } }), 'body.password'],
    ['register email', () => ({ method: 'POST', url: '/api/v1/auth/register', payload: { ...REGISTER, email: `nul${NUL}@example.test` } }), 'body.email'],
    ['register first_name', () => ({ method: 'POST', url: '/api/v1/auth/register', payload: { ...REGISTER, first_name: `A${NUL}` } }), 'body.first_name'],
    ['register last_name', () => ({ method: 'POST', url: '/api/v1/auth/register', payload: { ...REGISTER, last_name: `${NUL}L` } }), 'body.last_name'],
    ['register password', () => ({ method: 'POST', url: '/api/v1/auth/register', payload: { ...REGISTER, password: `correct horse${NUL}` } }), 'body.password'],
    ['review comment', () => ({ method: 'POST', url: `/api/v1/products/${productId}/reviews`, headers: auth(token), payload: { rating: 4, comment: `nice${NUL}` } }), 'body.comment'],
    ['profile first_name', () => ({ method: 'PATCH', url: '/api/v1/users/profile', headers: auth(token), payload: { first_name: `G${NUL}race` } }), 'body.first_name'],
    ['order shipping address', () => ({ method: 'POST', url: '/api/v1/orders', headers: auth(token), payload: { ...ORDER_BODY, shipping_address: `1 Main St${NUL}` } }), 'body.shipping_address'],
    ['order notes', () => ({ method: 'POST', url: '/api/v1/orders', headers: auth(token), payload: { ...ORDER_BODY, notes: NUL } }), 'body.notes'],
    ['an object key', () => ({ method: 'POST', url: '/api/v1/products/search', payload: { [`q${NUL}`]: 'x' } }), `body.q${NUL}`]
  ]
  for (const [name, request, field] of cases) {
    test(`${name} → 400 naming ${JSON.stringify(field)}`, async () => {
      assertField(await app.inject(request()), field)
    })
  }

  test('an unpaired surrogate (JSON "\\ud800") is refused the same way; a real emoji is not', async () => {
    const raw = (comment: string) => app.inject({
      method: 'PATCH', url: '/api/v1/users/profile', headers: { ...auth(token), 'content-type': 'application/json' }, payload: `{"first_name":"${comment}"}`
    })
    assertField(await raw('Ada\\ud800'), 'body.first_name')
    assertField(await raw('\\udc00'), 'body.first_name')
    const ok = await raw('Ada \\ud83d\\ude00')
    assert.equal(ok.statusCode, 200, ok.body)
    assert.equal(ok.json().first_name, 'Ada 😀')
  })

  test('text with tabs, newlines and non-ASCII letters is still accepted', async () => {
    const res = await app.inject({ method: 'PATCH', url: '/api/v1/users/profile', headers: auth(token), payload: { first_name: 'Zoë Ñúñez' } })
    assert.equal(res.statusCode, 200, res.body)
    assert.equal((await app.inject({ url: '/api/v1/products?brand=Ac%09me%0A' })).statusCode, 200)
  })
})

describe('cursors are signed and strictly parsed: anything else is 400 CATALOG_INVALID_CURSOR', () => {
  const list = (query: string, cursor: string) => app.inject({ url: `/api/v1/products?${query}&page_size=2&cursor=${encodeURIComponent(cursor)}` })
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')

  async function realCursor (query: string): Promise<{ cursor: string, payload: Record<string, unknown> }> {
    const cursor = (await app.inject({ url: `/api/v1/products?${query}&page_size=2` })).json().pagination.next_cursor as string
    assert.ok(cursor)
    return { cursor, payload: JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) }
  }

  test('a cursor issued by the API still leads to the next page', async () => {
    const { cursor } = await realCursor('sort_by=price&sort_order=asc')
    const res = await list('sort_by=price&sort_order=asc', cursor)
    assert.equal(res.statusCode, 200, res.body)
    assert.equal(res.json().pagination.page, 2)
    assert.deepEqual(res.json().products.map((p: { price: number }) => p.price), [12, 13])
  })

  const impossible: [string, string, unknown[]][] = [
    ['created_at 2024-99-99 99:99:99', 'sort_by=created_at', ['2024-99-99 99:99:99']],
    ['created_at 2023-02-30 10:00:00', 'sort_by=created_at', ['2023-02-30 10:00:00+00']],
    ['rating 1e99999', 'sort_by=rating', ['1e99999']],
    ['price of 47 digits', 'sort_by=price', ['1'.repeat(47)]],
    ['a NUL in a name key', 'sort_by=name', [`Widget${NUL}`]],
    ['a number where a string belongs', 'sort_by=name', [42]]
  ]
  for (const [name, query, key] of impossible) {
    test(`unsigned (the old format) with ${name} → 400`, async () => {
      const { payload } = await realCursor(query)
      const { s: _signature, ...rest } = payload
      assertError(await list(query, b64({ ...rest, v: 1, k: key })), 400, 'CATALOG_INVALID_CURSOR')
    })

    test(`signed with the server's own key but holding ${name} → 400 (strict parsing, not only the signature)`, async () => {
      const { payload } = await realCursor(query)
      const cursor = encodeCursor(String(payload.f), { page: 2, key: key as string[], id: 1 })
      assertError(await list(query, cursor), 400, 'CATALOG_INVALID_CURSOR')
    })
  }

  test('a tampered cursor (a key, the id or the page changed; the signature kept) → 400', async () => {
    const { payload } = await realCursor('sort_by=price')
    for (const change of [{ k: ['0.01'] }, { i: 1 }, { p: 9 }, { extra: true }]) {
      assertError(await list('sort_by=price', b64({ ...payload, ...change })), 400, 'CATALOG_INVALID_CURSOR')
    }
    assertError(await list('sort_by=price', b64({ ...payload, s: 'A'.repeat(22) })), 400, 'CATALOG_INVALID_CURSOR')
  })

  test('garbage, oversized and non-object cursors → 400', async () => {
    for (const cursor of [b64([1, 2]), b64('x'), b64(null), b64({ v: 2 }), 'bm90LWEtY3Vyc29y', 'A'.repeat(500)]) {
      assertError(await list('sort_by=price', cursor), 400, 'CATALOG_INVALID_CURSOR')
    }
    // Refused by the schema (length, characters) before the cursor is read: a 400 all the same.
    for (const cursor of ['not a cursor', '!!!', 'A'.repeat(5000), `${b64({ v: 2 })}.sig`]) {
      assert.equal((await list('sort_by=price', cursor)).statusCode, 400, cursor)
    }
  })
})
