import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, resetDb } from '../../../support/helper.js'
import { createUser, FIXTURE_PASSWORD } from '../../../support/fixtures.js'
import { assertError, auth, NO_TRAFFIC_CONTROL } from '../../../support/commerce-fixtures.js'

let app: FastifyInstance

const getProfile = (token: string) => app.inject({ method: 'GET', url: '/api/v1/users/profile', headers: auth(token) })
const patchProfile = (token: string, payload: unknown) =>
  app.inject({ method: 'PATCH', url: '/api/v1/users/profile', headers: auth(token), payload: payload as object })

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
})
after(() => app.close())

describe('GET /users/profile', () => {
  test('answers the caller\'s own profile without the password hash', async () => {
    const [a, b] = [await createUser(app), await createUser(app)]
    const resA = await getProfile(a.token)
    const resB = await getProfile(b.token)
    assert.equal(resA.statusCode, 200)
    assert.equal(resA.json().id, a.id)
    assert.equal(resA.json().email, a.email)
    assert.equal(resB.json().id, b.id)
    assert.doesNotMatch(resA.body, /password|scrypt/i)
  })

  test('no token → 401 AUTH_TOKEN_MISSING; a forged token → 401 AUTH_TOKEN_INVALID', async () => {
    assertError(await app.inject({ method: 'GET', url: '/api/v1/users/profile' }), 401, 'AUTH_TOKEN_MISSING')
    assertError(await getProfile('eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwicm9sZSI6ImFkbWluIn0.forged'), 401, 'AUTH_TOKEN_INVALID')
  })

  test('a disabled account → 401 AUTH_TOKEN_REVOKED', async () => {
    const user = await createUser(app, { isActive: false })
    assertError(await getProfile(user.token), 401, 'AUTH_TOKEN_REVOKED')
  })

  test('a deleted account → 401 AUTH_TOKEN_REVOKED', async () => {
    const user = await createUser(app)
    await app.db.sql`DELETE FROM users WHERE id = ${user.id}`
    assertError(await getProfile(user.token), 401, 'AUTH_TOKEN_REVOKED')
  })
})

describe('PATCH /users/profile', () => {
  test('changes names and phone (and clears the phone with null)', async () => {
    const user = await createUser(app)
    const res = await patchProfile(user.token, { first_name: ' Grace ', last_name: 'Hopper', phone: '+1 (555) 010-9999' })
    assert.equal(res.statusCode, 200)
    assert.equal(res.json().first_name, 'Grace')
    assert.equal(res.json().last_name, 'Hopper')
    assert.equal(res.json().phone, '+1 (555) 010-9999')
    const cleared = await patchProfile(user.token, { phone: null })
    assert.equal(cleared.json().phone, null)
    assert.equal((await getProfile(user.token)).json().first_name, 'Grace')
  })

  test('changes the password with the current one; the old one stops working', async () => {
    const user = await createUser(app)
    const res = await patchProfile(user.token, { current_password: FIXTURE_PASSWORD, new_password: 'a brand new passphrase' })
    assert.equal(res.statusCode, 200)
    const login = (password: string) => app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: user.email, password } })
    assert.equal((await login('a brand new passphrase')).statusCode, 200)
    assertError(await login(FIXTURE_PASSWORD), 401, 'AUTH_INVALID_CREDENTIALS')
  })

  test('a wrong current password → 422 USERS_CURRENT_PASSWORD_INCORRECT and nothing changes', async () => {
    const user = await createUser(app)
    const [before] = await app.db.sql<{ password_hash: string }[]>`SELECT password_hash FROM users WHERE id = ${user.id}`
    assertError(await patchProfile(user.token, { current_password: 'not it at all', new_password: 'another passphrase', first_name: 'X' }), 422, 'USERS_CURRENT_PASSWORD_INCORRECT')
    const [row] = await app.db.sql<{ password_hash: string, first_name: string }[]>`SELECT password_hash, first_name FROM users WHERE id = ${user.id}`
    assert.equal(row.password_hash, before.password_hash)
    assert.equal(row.first_name, 'Test')
  })

  test('a disabled account cannot change its profile → 401', async () => {
    const user = await createUser(app, { isActive: false })
    assertError(await patchProfile(user.token, { first_name: 'Nope' }), 401, 'AUTH_TOKEN_REVOKED')
  })

  test('no token → 401', async () => {
    assertError(await app.inject({ method: 'PATCH', url: '/api/v1/users/profile', payload: { first_name: 'X' } }), 401, 'AUTH_TOKEN_MISSING')
  })

  const invalid: [string, unknown][] = [
    ['an empty body', {}],
    ['email (not changeable here)', { email: 'new@example.test' }],
    ['user_type (not changeable)', { user_type: 'admin' }],
    ['new_password without current_password', { new_password: 'a brand new passphrase' }],
    ['current_password alone', { current_password: FIXTURE_PASSWORD }],
    ['a new password of 7 characters', { current_password: FIXTURE_PASSWORD, new_password: 'short12' }],
    ['first_name of 100,000 characters', { first_name: 'x'.repeat(100_000) }],
    ['an empty first_name', { first_name: '' }],
    ['a phone with letters', { phone: 'five five five' }],
    ['an array as last_name', { last_name: ['a', 'b'] }]
  ]
  for (const [name, payload] of invalid) {
    test(`${name} → 400 APP_VALIDATION_FAILED`, async () => {
      const user = await createUser(app)
      assertError(await patchProfile(user.token, payload), 400, 'APP_VALIDATION_FAILED')
    })
  }
})
