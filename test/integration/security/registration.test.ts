import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import { commonPasswordCount } from '../../../src/lib/auth/password-policy.js'
import { buildTestApp, resetDb } from '../../support/helper.js'
import { createUser, FIXTURE_PASSWORD } from '../../support/fixtures.js'
import { assertError, auth, NO_TRAFFIC_CONTROL } from '../../support/commerce-fixtures.js'

let app: FastifyInstance
let n = 0

function account (overrides: Record<string, unknown> = {}) {
  n++
  return { email: `reg${n}@example.test`, username: `reg_user_${n}`, password: 'correct horse battery', first_name: 'Ada', last_name: 'L', ...overrides }
}
const register = (payload: object, extra: { remoteAddress?: string, headers?: Record<string, string> } = {}, a = app) =>
  a.inject({ method: 'POST', url: '/api/v1/auth/register', payload, ...extra })

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, NO_TRAFFIC_CONTROL)
})
after(() => app.close())

describe('passwords are checked against a common-password list and simple patterns', () => {
  const weak: [string, (a: ReturnType<typeof account>) => string, RegExp][] = [
    ['password', () => 'password', /most common/],
    ['12345678', () => '12345678', /most common/],
    ['aaaaaaaa', () => 'aaaaaaaa', /repeats/],
    ['PassWord (case does not matter)', () => 'PassWord', /most common/],
    ['iloveyou', () => 'iloveyou', /most common/],
    ['qwertyuiop', () => 'qwertyuiop', /most common/],
    ['abababab', () => 'abababab', /repeats/],
    ['98765432', () => '98765432', /sequence|most common/],
    ['the username', (a) => a.username, /email or username/],
    ['the email', (a) => a.email, /email or username/]
  ]
  for (const [name, password, reason] of weak) {
    test(`registration with ${name} → 422 AUTH_WEAK_PASSWORD naming body.password`, async () => {
      const a = account()
      const res = await register({ ...a, password: password(a) })
      const body = assertError(res, 422, 'AUTH_WEAK_PASSWORD')
      const [detail] = body.details as { field: string, message: string }[]
      assert.equal(detail.field, 'body.password')
      assert.match(detail.message, reason)
      const [row] = await app.db.sql`SELECT count(*)::int AS n FROM users WHERE email = ${a.email}`
      assert.equal(row.n, 0, 'no account was made')
    })
  }

  test('ordinary passphrases still register', async () => {
    for (const password of ['correct horse battery', 'fixture-password-1', 'Zebra!Orbit7', 'ñandú-picante-99']) {
      assert.equal((await register(account({ password }))).statusCode, 201, password)
    }
  })

  test('a password change to a common password → 422 USERS_WEAK_PASSWORD and nothing changes', async () => {
    const user = await createUser(app)
    const [before] = await app.db.sql<{ password_hash: string }[]>`SELECT password_hash FROM users WHERE id = ${user.id}`
    const res = await app.inject({ method: 'PATCH', url: '/api/v1/users/profile', headers: auth(user.token), payload: { current_password: FIXTURE_PASSWORD, new_password: 'password1' } })
    const body = assertError(res, 422, 'USERS_WEAK_PASSWORD')
    assert.equal((body.details as { field: string }[])[0].field, 'body.new_password')
    const [row] = await app.db.sql<{ password_hash: string }[]>`SELECT password_hash FROM users WHERE id = ${user.id}`
    assert.equal(row.password_hash, before.password_hash)
  })

  test('the list is the zxcvbn-ts common-password dictionary, installed from the registry at a pinned version', () => {
    assert.ok(commonPasswordCount() > 40_000, String(commonPasswordCount()))
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> }
    assert.match(pkg.dependencies['@zxcvbn-ts/language-common'], /^\d+\.\d+\.\d+$/, 'an exact version')
  })
})

describe('enumeration through registration is bounded by the limits (409 is kept)', () => {
  test('one address probes at most REGISTER_ADDRESS_DAILY_LIMIT emails a day, tokens or not; one email at most 3 times an hour', async (t) => {
    const limited = await buildTestApp(t, { rateLimitEnabled: true, loadSheddingEnabled: false, registerAddressDailyLimit: 4 })
    const existing = await createUser(limited)
    const token = (await createUser(limited)).token
    const from = { remoteAddress: '10.70.0.1' }
    const answers: string[] = []
    let retryAfter = ''
    for (const [i, payload] of [account({ email: existing.email }), account(), account({ email: existing.email }), account(), account({ email: existing.email })].entries()) {
      const res = await register(payload, i % 2 === 0 ? from : { ...from, headers: auth(token) }, limited)
      answers.push(`${res.statusCode} ${res.statusCode === 201 ? '' : res.json().code}`.trim())
      retryAfter = String(res.headers['retry-after'])
    }
    assert.deepEqual(answers, ['409 AUTH_EMAIL_TAKEN', '201', '409 AUTH_EMAIL_TAKEN', '201', '429 AUTH_REGISTRATION_LIMITED'])
    // The daily window: the next probe from this address is a day away.
    assert.ok(Number(retryAfter) > 20 * 3600, retryAfter)
    // Other addresses probing the same email share its hourly budget: 3 attempts, then 429.
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await register(account({ email: existing.email }), { remoteAddress: `10.71.0.${i + 1}` }, limited)).statusCode)
    assert.deepEqual(statuses, [409, 429, 429, 429], 'two attempts were used by the first address')
  })
})
