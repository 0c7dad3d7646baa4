import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomBytes, createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { ConfigError, loadConfig, MIN_JWT_SECRET_BYTES, PUBLISHED_SECRETS } from '../../../src/config.js'
import { buildTestApp } from '../../support/helper.js'
import { NO_TRAFFIC_CONTROL } from '../../support/commerce-fixtures.js'

const root = new URL('../../../', import.meta.url)
const STRONG = randomBytes(48).toString('base64')
const PROD = { NODE_ENV: 'production', JWT_SECRET: STRONG }

function problemsOf (env: Record<string, string>): string[] {
  try {
    loadConfig(env)
    return []
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err))
    return err.problems
  }
}

test('production without JWT_SECRET refuses to load, naming the variable and how to make one', () => {
  const problems = problemsOf({ NODE_ENV: 'production' })
  assert.equal(problems.length, 1)
  assert.match(problems[0], /^JWT_SECRET: required/)
  assert.match(problems[0], /openssl rand/)
})

test('production refuses a JWT_SECRET shorter than 32 bytes, counted in bytes', () => {
  assert.match(problemsOf({ NODE_ENV: 'production', JWT_SECRET: 'k'.repeat(MIN_JWT_SECRET_BYTES - 1) })[0], /^JWT_SECRET: must be at least 32 bytes/)
  // 16 two-byte characters are 32 bytes.
  assert.deepEqual(problemsOf({ NODE_ENV: 'production', JWT_SECRET: 'é'.repeat(16) }), [])
  assert.deepEqual(problemsOf(PROD), [])
})

test('production refuses every published value, and placeholders, as JWT_SECRET or METRICS_TOKEN', () => {
  for (const value of [...PUBLISHED_SECRETS, 'please-change-me-0123456789abcdef0123456789', 'CHANGEME'.repeat(5)]) {
    assert.match(problemsOf({ NODE_ENV: 'production', JWT_SECRET: value }).join('\n'), /JWT_SECRET/, value)
    assert.match(problemsOf({ ...PROD, METRICS_TOKEN: value }).join('\n'), /METRICS_TOKEN: is a value published/, value)
  }
})

test('production refuses a METRICS_TOKEN under 24 characters (one character was guessed in 4 tries) and accepts none or a long one', () => {
  assert.match(problemsOf({ ...PROD, METRICS_TOKEN: 'a' })[0], /^METRICS_TOKEN: must be at least 24 characters/)
  assert.match(problemsOf({ ...PROD, METRICS_TOKEN: 'x'.repeat(23) })[0], /^METRICS_TOKEN/)
  assert.deepEqual(problemsOf({ ...PROD, METRICS_TOKEN: randomBytes(24).toString('base64url') }), [])
  assert.deepEqual(problemsOf(PROD), [])
})

test('development (no NODE_ENV, development, test) keeps working with no settings', () => {
  for (const env of [{}, { NODE_ENV: 'development' }, { NODE_ENV: 'test' }]) {
    const c = loadConfig(env)
    assert.ok(c.jwtSecret.length >= 16)
    assert.equal(loadConfig({ ...env, METRICS_TOKEN: 'a' }).metricsToken, 'a')
  }
})

test('the published list covers the default, every docker-compose value and the tokens written in tests', () => {
  const dev = loadConfig({}).jwtSecret
  assert.ok(PUBLISHED_SECRETS.includes(dev))
  const compose = readFileSync(new URL('docker-compose.yml', root), 'utf8')
  assert.doesNotMatch(compose, /(JWT_SECRET|METRICS_TOKEN):\s*\$\{\w+:-[^}]/, 'no fallback secret in docker-compose.yml')
  assert.match(compose, /JWT_SECRET: \$\{JWT_SECRET:\?[^}]*openssl rand/)
  const written = ['test/integration/plugins/metrics.test.ts', 'test/integration/tools/loadtest.test.ts'].flatMap((file) =>
    [...readFileSync(new URL(file, root), 'utf8').matchAll(/METRICS_TOKEN = '([^']+)'/g)].map((m) => m[1]))
  assert.ok(written.length >= 2)
  for (const value of written) assert.ok(PUBLISHED_SECRETS.includes(value), value)
})

test('the server process exits with status 2 and names JWT_SECRET when started in production without it', () => {
  const inherited = Object.entries(process.env).filter(([name]) => name !== 'JWT_SECRET')
  const env = { ...Object.fromEntries(inherited), NODE_ENV: 'production', METRICS_TOKEN: 'a' }
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: root, env, encoding: 'utf8', timeout: 60_000 })
  assert.equal(run.status, 2, run.stderr)
  assert.match(run.stderr, /JWT_SECRET: required when NODE_ENV=production/)
  assert.match(run.stderr, /METRICS_TOKEN: must be at least 24 characters/)
})

test('a token signed with the development default is refused by an app with its own secret', async (t) => {
  const app = await buildTestApp(t, { ...NO_TRAFFIC_CONTROL, jwtSecret: STRONG })
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
  const unsigned = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: '1', role: 'admin', ver: 0, exp: Math.floor(Date.now() / 1000) + 600 })}`
  const forged = `${unsigned}.${createHmac('sha256', loadConfig({}).jwtSecret).update(unsigned).digest('base64url')}`
  const res = await app.inject({ url: '/api/v1/monitoring/business', headers: { authorization: `Bearer ${forged}` } })
  assert.equal(res.statusCode, 401)
})
