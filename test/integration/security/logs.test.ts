import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { DrizzleQueryError } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { redactSecrets, serializeError } from '../../../src/lib/logging/safety.js'
import { buildTestApp, resetDb } from '../../support/helper.js'
import { auth, NO_TRAFFIC_CONTROL } from '../../support/commerce-fixtures.js'

const lines: string[] = []
const stream = new Writable({ write (chunk, _enc, done) { lines.push(String(chunk)); done() } })
const CONSTRAINT = 'security_logs_test_reject'
let app: FastifyInstance

before(async () => {
  await resetDb()
  app = await buildTestApp(undefined, { ...NO_TRAFFIC_CONTROL, logLevel: 'warn' }, { logger: { level: 'warn', stream } })
  // A constraint only this test's database has: the registration insert fails as any unexpected database error would.
  await app.db.sql.unsafe(`ALTER TABLE users ADD CONSTRAINT ${CONSTRAINT} CHECK (first_name <> 'Reject')`)
})
after(async () => {
  await app.db.sql.unsafe(`ALTER TABLE users DROP CONSTRAINT IF EXISTS ${CONSTRAINT}`)
  await app.close()
})

test('the 500 of a failed registration is logged (even at warn) without the email, password, hash or names', async () => {
  const body = { email: 'victim.person@example.test', username: 'victim_person', password: 'secret-horse-battery-77', first_name: 'Reject', last_name: 'Zebedee' }
  lines.length = 0
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: body })
  assert.equal(res.statusCode, 500)
  const out = lines.join('')
  assert.match(out, /request failed/, 'the failure is logged')
  assert.match(out, /Failed query: insert into \\"users\\"/, 'with the statement text, for diagnosis')
  assert.match(out, new RegExp(CONSTRAINT), 'and the database\'s reason')
  for (const secret of [body.email, body.password, 'scrypt$', 'scrypt\\$', body.last_name, body.username, 'params:']) {
    assert.ok(!out.includes(secret), `log holds ${secret}: ${out}`)
  }
})

test('bearer tokens, passwords and set-cookie never reach a log line, even at trace', async (t) => {
  const traced: string[] = []
  const traceApp = await buildTestApp(t, NO_TRAFFIC_CONTROL, {
    logger: { level: 'trace', stream: new Writable({ write (chunk, _enc, done) { traced.push(String(chunk)); done() } }) }
  })
  const token = traceApp.signAccessToken({ id: 1, role: 'customer' })
  await traceApp.inject({ url: '/api/v1/cart', headers: { ...auth(token), cookie: 'techmart_stream=abc.def.ghi' } })
  await traceApp.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'someone@example.test', password: 'my-login-password-9' } })
  traceApp.log.info({ user: { password: 'pw-in-object', password_hash: 'scrypt$1$2', token: 'tok-in-object' }, params: ['p1'] }, 'an object with credentials')
  const out = traced.join('')
  assert.ok(out.length > 0)
  for (const secret of [token, token.split('.')[2], 'abc.def.ghi', 'my-login-password-9', 'pw-in-object', 'scrypt$1$2', 'tok-in-object', '"p1"']) {
    assert.ok(!out.includes(secret), `log holds ${secret}`)
  }
})

test('the error serializer drops statement values: Drizzle params (message and stack), postgres parameters and detail', () => {
  const cause = Object.assign(new Error('duplicate key value violates unique constraint "users_email_lower_key"'), {
    code: '23505', detail: 'Key (lower(email::text))=(alice@example.test) already exists.', parameters: ['alice@example.test']
  })
  const err = new DrizzleQueryError('insert into "users" ("email", "password_hash") values ($1, $2)', ['alice@example.test', 'scrypt$16384$8$1$c2FsdA$aGFzaA'], cause)
  const out = JSON.stringify(serializeError(err))
  assert.match(out, /Failed query: insert into \\"users\\"/)
  assert.match(out, /users_email_lower_key/)
  assert.ok(!out.includes('alice@example.test'), out)
  assert.ok(!out.includes('scrypt$'), out)
  const direct = serializeError(cause) as Record<string, unknown>
  assert.equal(direct.detail, undefined)
  assert.equal(direct.parameters, undefined)
  assert.equal(direct.code, '23505')
})

test('redactSecrets censors secrets at the top level and one level down, copies only what it censors, leaves other objects alone', () => {
  const inner = { password: 'pw', name: 'n' }
  const given = { user: inner, token: 't', status: 200, list: [{ password: 'in-array' }], deep: { a: { password: 'two-down' } } }
  const out = redactSecrets(given)
  assert.deepEqual(out, { user: { password: '[Redacted]', name: 'n' }, token: '[Redacted]', status: 200, list: [{ password: 'in-array' }], deep: { a: { password: 'two-down' } } })
  assert.equal(given.token, 't', 'the caller\'s object is unchanged')
  assert.equal(inner.password, 'pw')
  const clean = { method: 'GET', status: 200, nested: { ok: true } }
  assert.equal(redactSecrets(clean), clean, 'nothing to censor: the same object, no copy')
  const buffer = Buffer.from('token')
  assert.equal(redactSecrets({ buffer }).buffer, buffer, 'only plain objects are searched')
})
