import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, resetDb } from '../../../support/helper.js'
import { assertError, auth, NO_TRAFFIC_CONTROL } from '../../../support/commerce-fixtures.js'

let app: FastifyInstance
let n = 0

function newUser (overrides: Record<string, unknown> = {}) {
  n++
  return { email: `Person${n}@Example.test`, username: `person_${n}`, password: 'correct horse battery', first_name: 'Ada', last_name: 'Lovelace', ...overrides }
}

const register = (payload: unknown) => app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: payload as object })
const login = (payload: unknown) => app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: payload as object })

function jwtPayload (token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'))
}

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
})
after(() => app.close())

describe('POST /auth/register', () => {
  test('creates a customer, answers 201 with a bearer token and never the password hash', async () => {
    const body = newUser({ phone: '+34 600 123 456' })
    const res = await register(body)
    assert.equal(res.statusCode, 201)
    const session = res.json()
    assert.equal(session.token_type, 'bearer')
    assert.equal(session.expires_in, app.config.jwtExpiresInS)
    assert.equal(session.user.email, body.email.toLowerCase())
    assert.equal(session.user.username, body.username)
    assert.equal(session.user.user_type, 'customer')
    assert.equal(session.user.phone, '+34 600 123 456')
    assert.doesNotMatch(res.body, /password|scrypt/i)
    const profile = await app.inject({ method: 'GET', url: '/api/v1/users/profile', headers: auth(session.access_token) })
    assert.equal(profile.json().id, session.user.id)
  })

  test('stores an scrypt hash, not the password', async () => {
    const body = newUser()
    const id = (await register(body)).json().user.id
    const [row] = await app.db.sql<{ password_hash: string }[]>`SELECT password_hash FROM users WHERE id = ${id}`
    assert.match(row.password_hash, /^scrypt\$16384\$8\$1\$/)
    assert.ok(!row.password_hash.includes(body.password))
  })

  test('the token carries the user id, the role and an expiry', async () => {
    const session = (await register(newUser())).json()
    const claims = jwtPayload(session.access_token)
    assert.equal(claims.sub, String(session.user.id))
    assert.equal(claims.role, 'customer')
    assert.equal(Number(claims.exp) - Number(claims.iat), app.config.jwtExpiresInS)
  })

  test('a duplicate email (any case) → 409 AUTH_EMAIL_TAKEN', async () => {
    const first = newUser()
    assert.equal((await register(first)).statusCode, 201)
    const res = await register(newUser({ email: first.email.toUpperCase() }))
    const body = assertError(res, 409, 'AUTH_EMAIL_TAKEN')
    assert.match(String(body.message), new RegExp(first.email.toLowerCase()))
  })

  test('a duplicate username (any case) → 409 AUTH_USERNAME_TAKEN', async () => {
    const first = newUser()
    assert.equal((await register(first)).statusCode, 201)
    assertError(await register(newUser({ username: first.username.toUpperCase() })), 409, 'AUTH_USERNAME_TAKEN')
  })

  test('concurrent registrations of one email: exactly one wins', async () => {
    const email = `race-${Date.now()}@example.test`
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => register(newUser({ email, username: `racer_${n}_${i}` }))))
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [201, 409, 409, 409, 409, 409, 409, 409])
  })

  const invalid: [string, Record<string, unknown>, string][] = [
    ['missing email', { email: undefined }, 'body.email'],
    ['missing password', { password: undefined }, 'body.password'],
    ['missing first_name', { first_name: undefined }, 'body.first_name'],
    ['password of 7 characters', { password: 'short12' }, 'body.password'],
    ['password of 129 characters', { password: 'x'.repeat(129) }, 'body.password'],
    ['malformed email', { email: 'not-an-email' }, 'body.email'],
    ['email of 10,000 characters', { email: `${'a'.repeat(10_000)}@example.test` }, 'body.email'],
    ['username with spaces', { username: 'has space' }, 'body.username'],
    ['username too short', { username: 'ab' }, 'body.username'],
    ['first_name of 100,000 characters', { first_name: 'x'.repeat(100_000) }, 'body.first_name'],
    ['blank last_name', { last_name: '   ' }, 'body.last_name'],
    ['bad phone', { phone: 'call me maybe' }, 'body.phone'],
    ['an object as email', { email: { $ne: null } }, 'body.email'],
    ['a role (self-promotion)', { user_type: 'admin' }, 'body.user_type']
  ]
  for (const [name, patch, field] of invalid) {
    test(`${name} → 400 APP_VALIDATION_FAILED naming ${field}`, async () => {
      const body = assertError(await register(newUser(patch)), 400, 'APP_VALIDATION_FAILED')
      assert.ok((body.details as { field: string }[]).some((d) => d.field === field), JSON.stringify(body.details))
    })
  }

  test('a body that is not an object → 400', async () => {
    assertError(await register([1, 2, 3]), 400, 'APP_VALIDATION_FAILED')
  })
})

describe('POST /auth/login', () => {
  let account: ReturnType<typeof newUser>
  let userId: number

  before(async () => {
    account = newUser()
    userId = (await register(account)).json().user.id
  })

  test('by email in any case → 200 with a token and last_login updated', async () => {
    const before = await app.db.sql<{ last_login: string | null }[]>`SELECT last_login FROM users WHERE id = ${userId}`
    const res = await login({ email: account.email.toUpperCase(), password: account.password })
    assert.equal(res.statusCode, 200)
    const session = res.json()
    assert.equal(session.user.id, userId)
    assert.equal(session.token_type, 'bearer')
    assert.ok(session.user.last_login)
    const [row] = await app.db.sql<{ last_login: string | null }[]>`SELECT last_login FROM users WHERE id = ${userId}`
    assert.ok(row.last_login)
    assert.notEqual(row.last_login, before[0].last_login)
    const profile = await app.inject({ method: 'GET', url: '/api/v1/users/profile', headers: auth(session.access_token) })
    assert.equal(profile.statusCode, 200)
  })

  test('by username → 200', async () => {
    const res = await login({ username: account.username, password: account.password })
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().user.id, userId)
  })

  test('unknown user, wrong password and disabled account get the identical 401', async () => {
    const disabled = newUser()
    const disabledId = (await register(disabled)).json().user.id
    await app.db.sql`UPDATE users SET is_active = false WHERE id = ${disabledId}`

    const unknown = await login({ email: 'nobody@example.test', password: account.password })
    const wrong = await login({ email: account.email, password: 'not the password' })
    const off = await login({ email: disabled.email, password: disabled.password })
    for (const res of [unknown, wrong, off]) assertError(res, 401, 'AUTH_INVALID_CREDENTIALS')
    assert.equal(unknown.body, wrong.body)
    assert.equal(wrong.body, off.body)
    const [row] = await app.db.sql<{ last_login: string | null }[]>`SELECT last_login FROM users WHERE id = ${disabledId}`
    assert.equal(row.last_login, null, 'a refused login does not touch last_login')
  })

  test('both email and username, or neither → 400 AUTH_IDENTIFIER_REQUIRED', async () => {
    assertError(await login({ email: account.email, username: account.username, password: account.password }), 400, 'AUTH_IDENTIFIER_REQUIRED')
    assertError(await login({ password: account.password }), 400, 'AUTH_IDENTIFIER_REQUIRED')
  })

  const invalid: [string, Record<string, unknown>][] = [
    ['missing password', { email: 'a@b.test' }],
    ['empty password', { email: 'a@b.test', password: '' }],
    ['password of 10,000 characters', { email: 'a@b.test', password: 'x'.repeat(10_000) }],
    ['email of 1,000 characters', { email: 'x'.repeat(1000), password: 'whatever1' }],
    ['a number as password', { email: 'a@b.test', password: { length: 9 } }],
    ['an unknown field', { email: 'a@b.test', password: 'whatever1', remember: true }]
  ]
  for (const [name, payload] of invalid) {
    test(`${name} → 400 APP_VALIDATION_FAILED`, async () => {
      assertError(await login(payload), 400, 'APP_VALIDATION_FAILED')
    })
  }
})

describe('brute-force limit', () => {
  test('login attempts from one client are cut off after at most 10 a minute (429), before the password is checked', async (t) => {
    const limited = await buildTestApp(t, { rateLimitEnabled: true, loadSheddingEnabled: false })
    const account = newUser()
    assert.equal((await limited.inject({ method: 'POST', url: '/api/v1/auth/register', payload: account })).statusCode, 201)
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) {
      const res = await limited.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: account.email, password: `guess-${i}` } })
      statuses.push(res.statusCode)
      if (res.statusCode === 429) assert.ok(res.headers['retry-after'])
    }
    const answered = statuses.filter((s) => s !== 429)
    assert.ok(answered.length >= 1 && answered.length <= 10, statuses.join(','))
    assert.ok(answered.every((s) => s === 401))
    assert.equal(statuses.at(-1), 429)
    // The limit holds even for the right password.
    assert.equal((await limited.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: account.email, password: account.password } })).statusCode, 429)
  })
})
