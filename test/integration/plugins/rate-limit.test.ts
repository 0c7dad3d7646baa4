import { test } from 'node:test'
import assert from 'node:assert/strict'
import diagnosticsChannel from 'node:diagnostics_channel'
import type { FastifyInstance, InjectOptions } from 'fastify'
import type { Config } from '../../../src/config.js'
import { buildApp } from '../../../src/app.js'
import { buildTestApp, ensureTestDb, flushRedisPrefix, testConfig } from '../../support/helper.js'
import { startTcpProxy } from '../../support/tcp-proxy.js'
import type { DecisionEvent } from '../../../src/lib/load/decisions.js'
import { VerifiedTokenCache } from '../../../src/lib/rate-limit/client-identity.js'

const LOGIN = '/api/v1/test/login'

/** Test-only routes shaped like the real ones: a login-like route with 10/min, and others. */
function routes (app: FastifyInstance): void {
  const ok = async () => ({ ok: true })
  app.post(LOGIN, { config: { rateLimit: { points: 10, duration: 60, exact: true }, criticality: 'critical' } }, ok)
  app.get('/api/v1/test/product', { config: { rateLimit: { points: 300, duration: 60 }, criticality: 'browse' } }, ok)
  app.get('/api/v1/test/three', { config: { rateLimit: { points: 3, duration: 60 } } }, ok)
  app.get('/api/v1/test/undeclared', ok)
  app.get('/api/v1/test/exempt', { config: { rateLimit: false } }, ok)
  app.get('/api/v1/test/burst', { config: { rateLimit: { points: 1000, duration: 86_400 } } }, ok)
  app.get('/api/v1/test/fixed', { config: { rateLimit: { points: 5, duration: 60, adaptive: false } } }, ok)
}

/** An app with the test routes, the level pinned by a manual sampler (no timer) and an empty budget. */
async function limitedApp (t: Parameters<typeof buildTestApp>[0], overrides: Partial<Config> = {}, flush = true): Promise<FastifyInstance> {
  const app = await buildTestApp(t, { loadSampleIntervalMs: 0, ...overrides }, { setup: routes })
  if (flush) await flushRedisPrefix(app)
  return app
}

function login (app: FastifyInstance, extra: Partial<InjectOptions> = {}) {
  return app.inject({ method: 'POST', url: LOGIN, ...extra })
}

test('the 11th login in a minute from one IP gets 429 with Retry-After, the headers and the error shape', async (t) => {
  const app = await limitedApp(t)
  for (let i = 1; i <= 10; i++) {
    const res = await login(app)
    assert.equal(res.statusCode, 200, `login ${i}`)
    assert.equal(res.headers['x-ratelimit-limit'], '10')
    assert.equal(res.headers['x-ratelimit-remaining'], String(10 - i))
    assert.equal(res.headers['x-ratelimit-remaining'], String(10 - i))
    assert.equal(res.headers['ratelimit-policy'], '"default";q=10;w=60')
    assert.match(String(res.headers.ratelimit), new RegExp(`^"default";r=${10 - i};t=\\d+$`))
  }
  const res = await login(app)
  assert.equal(res.statusCode, 429)
  const body = res.json()
  assert.equal(body.statusCode, 429)
  assert.equal(body.code, 'RATE_LIMIT_EXCEEDED')
  assert.equal(body.error, 'Too Many Requests')
  assert.match(body.message, /Rate limit of 10 requests per 60 s exceeded for POST \/api\/v1\/test\/login; retry in \d+ s/)
  assert.equal(body.details[0].limit, 10)
  const retryAfter = Number(res.headers['retry-after'])
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`)
  assert.equal(body.details[0].retry_after_s, retryAfter)
  assert.equal(res.headers['x-ratelimit-remaining'], '0')
  assert.equal(res.headers['x-ratelimit-limit'], '10')
  assert.equal(res.headers['x-system-load'], 'low')
  assert.equal(res.headers.ratelimit, `"default";r=0;t=${retryAfter}`)
  const resetEpoch = Number(res.headers['x-ratelimit-reset'])
  assert.ok(Math.abs(resetEpoch - (Date.now() / 1000 + retryAfter)) < 5, 'X-RateLimit-Reset is epoch seconds')
})

test('the real POST /api/v1/auth/login: ten wrong passwords get 401, the eleventh 429', async (t) => {
  const app = await limitedApp(t)
  // Another account each time: one account is locked after 5 failures (test/security/login-limits.test.ts).
  let n = 0
  const attempt = () => app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: `nobody${++n}@techmart.local`, password: 'wrong-password' } })
  for (let i = 1; i <= 10; i++) {
    const res = await attempt()
    assert.equal(res.statusCode, 401, `attempt ${i}`)
    assert.equal(res.headers['x-ratelimit-remaining'], String(10 - i))
  }
  const res = await attempt()
  assert.equal(res.statusCode, 429)
  assert.equal(res.json().code, 'RATE_LIMIT_EXCEEDED')
  assert.ok(Number(res.headers['retry-after']) >= 1)
})

test('limits are per user when authenticated: two users behind one IP have separate budgets', async (t) => {
  const app = await limitedApp(t)
  const alice = { authorization: `Bearer ${app.signAccessToken({ id: 101, role: 'customer' })}` }
  const bob = { authorization: `Bearer ${app.signAccessToken({ id: 102, role: 'customer' })}` }
  const get = (headers: Record<string, string> = {}) => app.inject({ method: 'GET', url: '/api/v1/test/three', headers })
  for (let i = 0; i < 3; i++) assert.equal((await get(alice)).statusCode, 200)
  assert.equal((await get(alice)).statusCode, 429)
  assert.equal((await get(bob)).statusCode, 200, 'Bob has his own budget')
  assert.equal((await get()).statusCode, 200, 'anonymous requests from the IP have their own budget')
  // A forged token is no identity: it counts against the IP like any anonymous request.
  assert.equal((await get({ authorization: 'Bearer not-a-token' })).headers['x-ratelimit-remaining'], '1')
})

test('a token verified once is remembered until its exp; a forged token with the same claims never is', async (t) => {
  const app = await limitedApp(t)
  const token = app.signAccessToken({ id: 101, role: 'customer' })
  const get = (authorization: string) => app.inject({ method: 'GET', url: '/api/v1/test/three', headers: { authorization } })
  assert.equal((await get(`Bearer ${token}`)).headers['x-ratelimit-remaining'], '2')
  assert.equal((await get(`Bearer ${token}`)).headers['x-ratelimit-remaining'], '1', 'same user on the second request (from the cache)')
  const [header, payload] = token.split('.')
  const forged = `Bearer ${header}.${payload}.${'A'.repeat(43)}`
  assert.equal((await get(forged)).headers['x-ratelimit-remaining'], '2', 'a bad signature is no identity: it counts against the IP')
})

test('the verified-token cache honours exp, skips tokens without one, and stays bounded', () => {
  const bearer = (claims: object) => `Bearer e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`
  const cache = new VerifiedTokenCache(2)
  const a = bearer({ sub: '1', exp: 2_000 })
  cache.set(a, 1)
  assert.equal(cache.get(a, 1_999_000), 1)
  assert.equal(cache.get(a, 2_000_000), undefined, 'expired')
  assert.equal(cache.get(a, 1_000_000), undefined, 'and forgotten')
  const noExp = bearer({ sub: '2' })
  cache.set(noExp, 2)
  assert.equal(cache.get(noExp, 0), undefined)
  const [b, c, d] = [3, 4, 5].map((id) => bearer({ sub: String(id), exp: 9_999 }))
  cache.set(b, 3)
  cache.set(c, 4)
  cache.set(d, 5)
  assert.equal(cache.get(b, 0), undefined, 'the oldest entry made room')
  assert.equal(cache.get(d, 0), 5)
})

test('a user-agent change does not reset the budget', async (t) => {
  const app = await limitedApp(t)
  for (let i = 0; i < 3; i++) {
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/test/three', headers: { 'user-agent': `agent-${i}` } })).statusCode, 200)
  }
  const res = await app.inject({ method: 'GET', url: '/api/v1/test/three', headers: { 'user-agent': 'a-brand-new-agent/1.0' } })
  assert.equal(res.statusCode, 429)
})

test('whitelisted IPs and CIDRs (IPv4 and IPv6) are never limited; loopback is not exempt unless listed', async (t) => {
  const app = await limitedApp(t, { rateLimitWhitelist: '10.1.0.0/16, 2001:db8::/32, 192.0.2.7' })
  for (const remoteAddress of ['10.1.2.3', '::ffff:10.1.9.9', '2001:db8:5::1', '192.0.2.7']) {
    for (let i = 0; i < 12; i++) {
      const res = await login(app, { remoteAddress })
      assert.equal(res.statusCode, 200, `${remoteAddress} request ${i + 1}`)
      assert.equal(res.headers['x-ratelimit-limit'], undefined, 'no limit applies, so no limit headers')
    }
  }
  for (let i = 0; i < 10; i++) await login(app)
  assert.equal((await login(app)).statusCode, 429, '127.0.0.1 is limited')
  const whitelisted = app.rateLimit.stats().find((s) => s.clientKind === 'whitelisted')
  assert.equal(whitelisted?.count, 48)
})

test('X-Forwarded-For is honoured only from a trusted proxy', async (t) => {
  const app = await limitedApp(t, { trustProxy: '10.0.0.1' })
  const via = (peer: string, client: string) => app.inject({ method: 'GET', url: '/api/v1/test/three', remoteAddress: peer, headers: { 'x-forwarded-for': client } })
  for (let i = 0; i < 3; i++) assert.equal((await via('10.0.0.1', '203.0.113.7')).statusCode, 200)
  assert.equal((await via('10.0.0.1', '203.0.113.7')).statusCode, 429, 'the real client behind the proxy is limited')
  assert.equal((await via('10.0.0.1', '203.0.113.8')).statusCode, 200, 'another client behind the proxy has its own budget')
  // An untrusted peer cannot pick a fresh identity by sending a new X-Forwarded-For each time.
  for (let i = 0; i < 3; i++) assert.equal((await via('198.51.100.9', `203.0.113.${20 + i}`)).statusCode, 200)
  assert.equal((await via('198.51.100.9', '203.0.113.99')).statusCode, 429)
})

test('IPv6 clients are limited per /64, so rotating addresses inside one network does not help', async (t) => {
  const app = await limitedApp(t)
  const get = (remoteAddress: string) => app.inject({ method: 'GET', url: '/api/v1/test/three', remoteAddress })
  for (const address of ['2001:db8:aa:1::1', '2001:db8:aa:1::2', '2001:db8:aa:1:ffff::3']) assert.equal((await get(address)).statusCode, 200)
  assert.equal((await get('2001:db8:aa:1::4')).statusCode, 429)
  assert.equal((await get('2001:db8:aa:2::1')).statusCode, 200, 'the next /64 is another client')
})

test('two app instances sharing Redis share the budget', async (t) => {
  const a = await limitedApp(t)
  const b = await limitedApp(t, {}, false)
  for (let i = 0; i < 5; i++) {
    assert.equal((await login(a)).statusCode, 200)
    assert.equal((await login(b)).statusCode, 200)
  }
  assert.equal((await login(a)).statusCode, 429)
  assert.equal((await login(b)).statusCode, 429)
})

test('Redis stopped: the in-memory insurance limiter still limits and no request gets a 500', async (t) => {
  const proxy = await startTcpProxy(6379)
  t.after(() => proxy.close())
  const app = await limitedApp(t, { redisUrl: proxy.url('redis') })
  assert.equal((await login(app)).statusCode, 200, 'counted in Redis while it is up')
  proxy.cut()
  const statuses: number[] = []
  for (let i = 0; i < 12; i++) statuses.push((await login(app)).statusCode)
  assert.ok(!statuses.some((s) => s >= 500), `no 5xx: ${statuses.join(',')}`)
  assert.deepEqual(statuses.slice(0, 10), Array(10).fill(200))
  assert.deepEqual(statuses.slice(10), [429, 429])
  const limited = await login(app)
  assert.equal(limited.json().code, 'RATE_LIMIT_EXCEEDED')
  assert.ok(Number(limited.headers['retry-after']) >= 1)
})

test('a raised load level lowers every limit by its multiplier, in integers', async (t) => {
  const app = await limitedApp(t)
  const limitOf = async (url: string) => (await app.inject({ method: url === LOGIN ? 'POST' : 'GET', url })).headers
  for (const [level, login10, product300] of [['medium', '7', '210'], ['high', '4', '120'], ['critical', '1', '30'], ['low', '10', '300']] as const) {
    app.load.override(level)
    await flushRedisPrefix(app)
    const loginHeaders = await limitOf(LOGIN)
    assert.equal(loginHeaders['x-ratelimit-limit'], login10, `${level}: login`)
    assert.equal(loginHeaders['x-system-load'], level)
    assert.equal((await limitOf('/api/v1/test/product'))['x-ratelimit-limit'], product300, `${level}: product detail`)
  }
  app.load.override('high')
  await flushRedisPrefix(app)
  const statuses = []
  for (let i = 0; i < 5; i++) statuses.push((await login(app)).statusCode)
  assert.deepEqual(statuses, [200, 200, 200, 200, 429])
})

test('a route with adaptive: false keeps its limit at every level and under tightening; an override retunes it and keeps it fixed', async (t) => {
  const app = await limitedApp(t, { rateLimitRoutes: 'GET /api/v1/test/three=6/60' })
  const fixed = () => app.inject({ method: 'GET', url: '/api/v1/test/fixed' })
  for (const level of ['medium', 'high', 'critical'] as const) {
    app.load.override(level)
    await flushRedisPrefix(app)
    assert.equal((await fixed()).headers['x-ratelimit-limit'], '5', level)
    assert.equal((await app.inject({ method: 'GET', url: '/api/v1/test/three' })).headers['x-ratelimit-limit'], String({ medium: 4, high: 2, critical: 1 }[level]), `${level}: adaptive routes still scale`)
  }
  app.load.override({ criticalP95Ms: 900 })
  for (let i = 0; i < 2; i++) app.load.sampleNow()
  assert.equal(app.load.current().tightened, true)
  const statuses = []
  for (let i = 0; i < 4; i++) statuses.push((await fixed()).statusCode)
  assert.deepEqual(statuses, [200, 200, 200, 200], 'five a minute, whatever the load')
  assert.equal((await fixed()).statusCode, 429)

  const retuned = await limitedApp(t, { rateLimitRoutes: 'GET /api/v1/test/fixed=2/60' })
  retuned.load.override('critical')
  const res = await retuned.inject({ method: 'GET', url: '/api/v1/test/fixed' })
  assert.equal(res.headers['x-ratelimit-limit'], '2', 'the override sets the points; adaptive: false stays')
})

test('a burst of 1,000 requests is counted exactly: each one sees its own count, the 1,001st is refused', async (t) => {
  const app = await limitedApp(t)
  const burst = await Promise.all(Array.from({ length: 1000 }, () => app.inject({ method: 'GET', url: '/api/v1/test/burst' })))
  assert.ok(burst.every((r) => r.statusCode === 200))
  // A sliding log keyed by the second would collapse same-second requests into one member; here every request is one unit.
  const remaining = burst.map((r) => Number(r.headers['x-ratelimit-remaining'])).sort((x, y) => x - y)
  assert.deepEqual(remaining, Array.from({ length: 1000 }, (_, i) => i))
  const next = await app.inject({ method: 'GET', url: '/api/v1/test/burst' })
  assert.equal(next.statusCode, 429)
  // Leased: a call asks, when it is sent at the end of the turn, for the requests queued behind it;
  // the ones queued during its round trip share the next call, and the 1,001st is refused by it or one more.
  const calls = app.rateLimit.leaseStats().redisCalls
  assert.ok(calls >= 2 && calls <= 3, `${calls} Redis calls for 1,001 requests`)
})

test('routes without a limit get the default one; rateLimit: false exempts a route', async (t) => {
  const app = await limitedApp(t, { rateLimitDefaultPoints: 2 })
  const undeclared = () => app.inject({ method: 'GET', url: '/api/v1/test/undeclared' })
  assert.equal((await undeclared()).headers['x-ratelimit-limit'], '2')
  await undeclared()
  assert.equal((await undeclared()).statusCode, 429)
  for (let i = 0; i < 5; i++) {
    const res = await app.inject({ method: 'GET', url: '/api/v1/test/exempt' })
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['x-ratelimit-limit'], undefined)
  }
  const health = await app.inject({ method: 'GET', url: '/health/live' })
  assert.equal(health.headers['x-ratelimit-limit'], undefined, 'health is never limited')
})

test('RATE_LIMIT_ROUTES retunes a route\'s limit in one place; a typo stops the boot', async (t) => {
  const app = await limitedApp(t, { rateLimitRoutes: 'POST /api/v1/test/login=3/60, GET /api/v1/test/undeclared=2/10' })
  for (let i = 0; i < 3; i++) assert.equal((await login(app)).headers['x-ratelimit-limit'], '3')
  assert.equal((await login(app)).statusCode, 429)
  assert.equal((await app.inject({ method: 'GET', url: '/api/v1/test/undeclared' })).headers['ratelimit-policy'], '"default";q=2;w=10')
  const typo = await buildApp(testConfig({ loadSampleIntervalMs: 0, rateLimitRoutes: 'POST /api/v1/test/logn=3/60' }), { logger: false })
  try {
    routes(typo)
    await assert.rejects(async () => { await typo.ready() }, /RATE_LIMIT_ROUTES names routes that do not exist: POST \/api\/v1\/test\/logn/)
  } finally {
    await typo.close()
  }
  await assert.rejects(limitedApp(undefined, { rateLimitRoutes: 'login=3' }), /RATE_LIMIT_ROUTES: 'login=3' must look like/)
})

test('URLs that match no route are limited too (URL probing)', async (t) => {
  const app = await limitedApp(t, { rateLimitNotFoundPoints: 2 })
  assert.equal((await app.inject({ method: 'GET', url: '/wp-admin' })).statusCode, 404)
  assert.equal((await app.inject({ method: 'GET', url: '/.env' })).statusCode, 404)
  const res = await app.inject({ method: 'GET', url: '/.git/config' })
  assert.equal(res.statusCode, 429)
  assert.equal(res.json().code, 'RATE_LIMIT_EXCEEDED')
})

test('HEAD shares the GET budget of its route', async (t) => {
  const app = await limitedApp(t)
  await app.inject({ method: 'HEAD', url: '/api/v1/test/three' })
  await app.inject({ method: 'HEAD', url: '/api/v1/test/three' })
  assert.equal((await app.inject({ method: 'GET', url: '/api/v1/test/three' })).headers['x-ratelimit-remaining'], '0')
})

test('every decision is counted by route and client kind and published for monitoring', async (t) => {
  const events: DecisionEvent[] = []
  const listener = (e: unknown) => { events.push(e as DecisionEvent) }
  diagnosticsChannel.subscribe('techmart:ratelimit:decision', listener)
  t.after(() => diagnosticsChannel.unsubscribe('techmart:ratelimit:decision', listener))
  const app = await limitedApp(t)
  const user = { authorization: `Bearer ${app.signAccessToken({ id: 7, role: 'customer' })}` }
  for (let i = 0; i < 4; i++) await app.inject({ method: 'GET', url: '/api/v1/test/three' })
  await app.inject({ method: 'GET', url: '/api/v1/test/three', headers: user })
  const route = 'GET /api/v1/test/three'
  const stats = app.rateLimit.stats().filter((s) => s.route === route)
  assert.deepEqual(stats.map(({ clientKind, decision, count }) => ({ clientKind, decision, count })).sort((a, b) => a.clientKind.localeCompare(b.clientKind) || a.decision.localeCompare(b.decision)), [
    { clientKind: 'ip', decision: 'allowed', count: 3 },
    { clientKind: 'ip', decision: 'limited', count: 1 },
    { clientKind: 'user', decision: 'allowed', count: 1 }
  ])
  assert.deepEqual(events.filter((e) => e.route === route).map((e) => `${e.clientKind}:${e.decision}`), ['ip:allowed', 'ip:allowed', 'ip:allowed', 'ip:limited', 'user:allowed'])
})

test('counters live under the app\'s Redis prefix', async (t) => {
  const app = await limitedApp(t)
  await login(app)
  const keys: string[] = []
  let cursor = '0'
  do {
    const [next, page] = await app.redis.client.scan(cursor, 'MATCH', `${app.redis.prefix}:ratelimit:*`, 'COUNT', 1000)
    keys.push(...page)
    cursor = next
  } while (cursor !== '0')
  assert.deepEqual(keys, [`${app.redis.prefix}:ratelimit:POST /api/v1/test/login:ip:127.0.0.1`])
})

test('a bad limit or whitelist stops the boot with a message naming it', async () => {
  await assert.rejects(buildTestApp(undefined, { rateLimitWhitelist: '10.0.0.0/33' }), /RATE_LIMIT_WHITELIST: '10\.0\.0\.0\/33' is not an IP address or CIDR/)
  await ensureTestDb()
  const app = await buildApp(testConfig({ loadSampleIntervalMs: 0 }), { logger: false })
  try {
    assert.throws(() => app.get('/api/v1/test/bad', { config: { rateLimit: { points: 0, duration: 60 } } }, async () => ({})),
      /Invalid rateLimit for route GET \/api\/v1\/test\/bad: points and duration must be positive integers/)
  } finally {
    await app.close()
  }
})
