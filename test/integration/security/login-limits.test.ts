import { before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, resetDb } from '../../support/helper.js'
import { createUser, FIXTURE_PASSWORD } from '../../support/fixtures.js'
import { assertError, auth } from '../../support/commerce-fixtures.js'

// Rate limiting on (it is what turns the account counters on), no shedding, no load scaling.
const LIMITED = { rateLimitEnabled: true, loadSheddingEnabled: false, loginLockoutBaseS: 1, loginLockoutMaxS: 4 } as const
let n = 0
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function login (app: FastifyInstance, payload: object, remoteAddress = '127.0.0.1', token?: string) {
  return app.inject({ method: 'POST', url: '/api/v1/auth/login', payload, remoteAddress, headers: token ? auth(token) : {} })
}

function register (app: FastifyInstance, remoteAddress: string, overrides: Record<string, unknown> = {}, token?: string) {
  n++
  const payload = { email: `limits${n}@example.test`, username: `limits_${n}`, password: 'correct horse battery', first_name: 'Ada', last_name: 'L', ...overrides }
  return app.inject({ method: 'POST', url: '/api/v1/auth/register', payload, remoteAddress, headers: token ? auth(token) : {} })
}

before(() => resetDb())

describe('per-address limits hold whatever token is attached', () => {
  test('login: 10 a minute per address even when each attempt carries another valid token', async (t) => {
    const app = await buildTestApp(t, LIMITED)
    const tokens = await Promise.all(Array.from({ length: 4 }, async () => (await createUser(app)).token))
    const statuses: number[] = []
    for (let i = 0; i < 12; i++) {
      // A different unknown account each time, so the per-account lockout stays out of it.
      const res = await login(app, { email: `nobody${i}-${n}@example.test`, password: 'guess' }, '10.10.0.1', tokens[i % tokens.length])
      statuses.push(res.statusCode)
    }
    assert.deepEqual(statuses, [...Array(10).fill(401), 429, 429])
    const last = await login(app, { email: 'x@example.test', password: 'guess' }, '10.10.0.1', tokens[0])
    assertError(last, 429, 'RATE_LIMIT_EXCEEDED')
    assert.ok(Number(last.headers['retry-after']) >= 1)
    assert.equal(last.json().details[0].client, 'ip', 'counted against the address, not the token\'s user')
  })

  test('registration: 5 a minute per address even with tokens attached', async (t) => {
    const app = await buildTestApp(t, LIMITED)
    const tokens = await Promise.all(Array.from({ length: 3 }, async () => (await createUser(app)).token))
    const statuses: number[] = []
    for (let i = 0; i < 7; i++) statuses.push((await register(app, '10.10.0.2', {}, tokens[i % 3])).statusCode)
    assert.deepEqual(statuses, [201, 201, 201, 201, 201, 429, 429])
  })
})

describe('failed logins per account back off, from any address and instance', () => {
  test('after 5 failures the account is locked (429 AUTH_LOGIN_LOCKED, Retry-After), even for the right password; the lock doubles', async (t) => {
    const app = await buildTestApp(t, LIMITED)
    const user = await createUser(app)
    const statuses: number[] = []
    // Each guess from its own address: the per-address limit never applies.
    for (let i = 0; i < 6; i++) statuses.push((await login(app, { email: user.email, password: `guess-${i}` }, `10.20.0.${i + 1}`)).statusCode)
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429])
    const locked = await login(app, { email: user.email, password: FIXTURE_PASSWORD }, '10.20.1.1')
    assertError(locked, 429, 'AUTH_LOGIN_LOCKED')
    assert.equal(locked.headers['retry-after'], '1')
    // By username too: one account, one counter.
    assertError(await login(app, { username: user.username, password: FIXTURE_PASSWORD }, '10.20.1.2'), 429, 'AUTH_LOGIN_LOCKED')

    await sleep(1100)
    assert.equal((await login(app, { email: user.email, password: 'guess-6' }, '10.20.1.3')).statusCode, 401)
    const doubled = await login(app, { email: user.email, password: FIXTURE_PASSWORD }, '10.20.1.4')
    assertError(doubled, 429, 'AUTH_LOGIN_LOCKED')
    assert.equal(doubled.headers['retry-after'], '2', 'the 6th failure locks for 2 × the base')

    await sleep(2100)
    assert.equal((await login(app, { email: user.email, password: FIXTURE_PASSWORD }, '10.20.1.5')).statusCode, 200)
    // A success clears the count: the next failure is not locked.
    assert.equal((await login(app, { email: user.email, password: 'guess-7' }, '10.20.1.6')).statusCode, 401)
    assert.equal((await login(app, { email: user.email, password: FIXTURE_PASSWORD }, '10.20.1.7')).statusCode, 200)
  })

  test('an unknown email gets exactly the same answers (no enumeration through the lockout)', async (t) => {
    const app = await buildTestApp(t, LIMITED)
    const statuses: string[] = []
    for (let i = 0; i < 7; i++) {
      const res = await login(app, { email: `ghost-${n}@example.test`, password: `guess-${i}` }, `10.30.0.${i + 1}`)
      statuses.push(`${res.statusCode} ${res.json().code}`)
    }
    assert.deepEqual(statuses, [...Array(5).fill('401 AUTH_INVALID_CREDENTIALS'), '429 AUTH_LOGIN_LOCKED', '429 AUTH_LOGIN_LOCKED'])
  })

  test('exact across two instances: failures on either count towards one lockout', async (t) => {
    const a = await buildTestApp(t, { ...LIMITED, loginLockoutBaseS: 60 })
    const b = await buildTestApp(t, { ...LIMITED, loginLockoutBaseS: 60 })
    const user = await createUser(a)
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await login(i % 2 === 0 ? a : b, { email: user.email, password: `x-${i}` }, `10.40.0.${i + 1}`)).statusCode)
    assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429])
    assertError(await login(a, { email: user.email, password: FIXTURE_PASSWORD }, '10.40.1.1'), 429, 'AUTH_LOGIN_LOCKED')
    assertError(await login(b, { email: user.email, password: FIXTURE_PASSWORD }, '10.40.1.2'), 429, 'AUTH_LOGIN_LOCKED')
  })
})

describe('registration caps per address (day) and per target account (hour)', () => {
  test('REGISTER_ADDRESS_DAILY_LIMIT: the address is refused after its daily budget, tokens or not; another address is not', async (t) => {
    const app = await buildTestApp(t, { ...LIMITED, registerAddressDailyLimit: 3 })
    const token = (await createUser(app)).token
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await register(app, '10.50.0.1', {}, i % 2 === 0 ? token : undefined)).statusCode)
    assert.deepEqual(statuses, [201, 201, 201, 429])
    const res = await register(app, '10.50.0.1')
    assertError(res, 429, 'AUTH_REGISTRATION_LIMITED')
    assert.ok(Number(res.headers['retry-after']) > 3600, 'a daily window')
    assert.equal((await register(app, '10.50.0.2')).statusCode, 201)
  })

  test('one email is tried at most 3 times an hour, from any address', async (t) => {
    const app = await buildTestApp(t, LIMITED)
    const email = `target-${n}@example.test`
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await register(app, `10.60.0.${i + 1}`, { email })).statusCode)
    assert.deepEqual(statuses, [201, 409, 409, 429])
    assertError(await register(app, '10.60.1.1', { email }), 429, 'AUTH_REGISTRATION_LIMITED')
  })
})
