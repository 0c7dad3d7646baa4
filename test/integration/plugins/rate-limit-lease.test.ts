import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { Config } from '../../../src/config.js'
import { Redis } from 'ioredis'
import { currentTimings } from '../../../src/lib/observability/instrumentation.js'
import { turnBatchOf } from '../../../src/lib/redis/turn-batch.js'
import { LeasedLimiter, leaseBatch, refillAt, type LimitCallback } from '../../../src/lib/rate-limit/lease.js'
import { connectLimiterClient, RouteLimiter } from '../../../src/lib/rate-limit/store.js'
import { buildTestApp, flushRedisPrefix, testConfig } from '../../support/helper.js'
import { startTcpProxy } from '../../support/tcp-proxy.js'

/**
 * Leased budgets (src/lib/rate-limit/lease.ts): a route's points are taken from
 * Redis a batch at a time per client and instance; exact routes count every request.
 */

const BATCH = 20
const ok = async () => ({ ok: true })

function routes (app: FastifyInstance): void {
  // 200 an hour: nothing refills during a test, so counts are exact. Batch min(20, 200 / 10) = 20.
  app.get('/api/v1/test/hourly', { config: { rateLimit: { points: 200, duration: 3600 } } }, ok)
  // 300 a minute, as the product detail: batch 20 at low, 3 at critical (30 a minute).
  app.get('/api/v1/test/product', { config: { rateLimit: { points: 300, duration: 60 } } }, ok)
  // 40 a minute: batch 4.
  app.get('/api/v1/test/forty', { config: { rateLimit: { points: 40, duration: 60 } } }, ok)
  // 40 a second: batch 4; the whole budget refills within a second.
  app.get('/api/v1/test/second', { config: { rateLimit: { points: 40, duration: 1 } } }, ok)
  // The hourly budget again, counted in Redis on every request.
  app.post('/api/v1/test/exact', { config: { rateLimit: { points: 200, duration: 3600, exact: true } } }, ok)
  // Answers whether the handler runs in this request's own context (its request timings).
  app.get('/api/v1/test/context', { config: { rateLimit: { points: 200, duration: 3600 } } }, async (request) => ({ own: currentTimings() === request.timings }))
}

async function leaseApp (t: Parameters<typeof buildTestApp>[0], overrides: Partial<Config> = {}, flush = true): Promise<FastifyInstance> {
  const app = await buildTestApp(t, { loadSampleIntervalMs: 0, rateLimitLeaseBatch: BATCH, ...overrides }, { setup: routes })
  if (flush) await flushRedisPrefix(app)
  return app
}

/** The rate limiter's own connection (lease script defined), as the plugin makes it; closed after the test. */
async function limiterConnection (t: Pick<TestContext, 'after'>, name: string): Promise<Redis> {
  const base = new Redis(testConfig().redisUrl, { lazyConnect: true })
  await base.connect()
  const client = await connectLimiterClient(base, name)
  t.after(async () => {
    await client.quit()
    await base.quit()
  })
  return client
}

const bearer = (app: FastifyInstance, id: number) => ({ authorization: `Bearer ${app.signAccessToken({ id, role: 'customer' })}` })

function get (app: FastifyInstance, url: string, headers: Record<string, string>): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url, headers })
}

test('the batch is a tenth of the limit, at most RATE_LIMIT_LEASE_BATCH, at least 1', () => {
  assert.equal(leaseBatch(300, 20), 20)
  assert.equal(leaseBatch(100, 20), 10)
  assert.equal(leaseBatch(30, 20), 3)
  assert.equal(leaseBatch(19, 20), 1)
  assert.equal(leaseBatch(1, 20), 1)
  assert.equal(leaseBatch(300, 1), 1, 'RATE_LIMIT_LEASE_BATCH=1 counts every request in Redis')
})

test('one instance: a client is served from its lease, one Redis call per batch, with exact counts and headers', async (t) => {
  const app = await leaseApp(t)
  const user = bearer(app, 501)
  const before = app.rateLimit.leaseStats()
  for (let i = 1; i <= 200; i++) {
    const res = await get(app, '/api/v1/test/hourly', user)
    assert.equal(res.statusCode, 200, `request ${i}`)
    assert.equal(res.headers['x-ratelimit-limit'], '200')
    assert.equal(res.headers['x-ratelimit-remaining'], String(200 - i), `request ${i}: remaining as if counted one by one`)
    assert.equal(res.headers['ratelimit-policy'], '"default";q=200;w=3600')
  }
  const refused = await get(app, '/api/v1/test/hourly', user)
  assert.equal(refused.statusCode, 429)
  assert.equal(refused.json().code, 'RATE_LIMIT_EXCEEDED')
  const retryAfter = Number(refused.headers['retry-after'])
  // The next point refills 3600 / 200 = 18 s after the first grant.
  assert.ok(retryAfter >= 1 && retryAfter <= 18, `Retry-After ${retryAfter}`)
  assert.equal(refused.headers['x-ratelimit-remaining'], '0')
  const after = app.rateLimit.leaseStats()
  assert.equal(after.redisCalls - before.redisCalls, 200 / BATCH + 1, 'ten leases of 20 and the call that was refused')
  assert.equal(after.local - before.local, 190)
  // A refusal is remembered until its retry time: refused again without Redis.
  assert.equal((await get(app, '/api/v1/test/hourly', user)).statusCode, 429)
  assert.equal(app.rateLimit.leaseStats().redisCalls, after.redisCalls)
  assert.equal(app.rateLimit.leaseStats().local, after.local + 1)
})

test('a lease down to a quarter of its batch asks for its next points: the client\'s next requests do not wait for Redis', async (t) => {
  assert.equal(refillAt(BATCH), 5)
  assert.equal(refillAt(3), 0, 'small batches refill with their last point')
  assert.equal(refillAt(1), -1, 'a batch of 1 never refills')
  const app = await leaseApp(t)
  const user = bearer(app, 509)
  const start = app.rateLimit.leaseStats()
  // The first call takes 20 and serves one; 14 more leave 5 held, the refill mark.
  for (let i = 1; i <= 15; i++) assert.equal((await get(app, '/api/v1/test/hourly', user)).statusCode, 200, `request ${i}`)
  // Requests made with inject never leave the turn; a pause lets the refill go out and come back.
  await sleep(50)
  const refilled = app.rateLimit.leaseStats()
  assert.equal(refilled.redisCalls - start.redisCalls, 2, 'the first lease, and the refill asked for at the mark')
  for (let i = 16; i <= 34; i++) {
    const res = await get(app, '/api/v1/test/hourly', user)
    assert.equal(res.statusCode, 200)
    assert.equal(res.headers['x-ratelimit-remaining'], String(200 - i), `request ${i}: counted as one by one`)
  }
  const after = app.rateLimit.leaseStats()
  assert.equal(after.local - refilled.local, 19, '5 held and 14 refilled (topped up to batch − 1): all served in process')
  assert.equal(after.redisCalls - refilled.redisCalls, 1, 'the next refill, asked for at the mark again')
  // That refill has not left (inject never leaves the turn): the 35th waits for it and is served by it.
  const last = await get(app, '/api/v1/test/hourly', user)
  assert.equal(last.statusCode, 200)
  assert.equal(last.headers['x-ratelimit-remaining'], '165')
  assert.equal(app.rateLimit.leaseStats().redisCalls, after.redisCalls, 'no call of its own')

  // A batch of 1 counts every request in Redis: nothing is asked ahead.
  const single = await leaseApp(t, { rateLimitLeaseBatch: 1 }, false)
  const other = bearer(single, 510)
  const before = single.rateLimit.leaseStats()
  for (let i = 0; i < 3; i++) assert.equal((await get(single, '/api/v1/test/hourly', other)).statusCode, 200)
  await sleep(50)
  assert.equal(single.rateLimit.leaseStats().redisCalls - before.redisCalls, 3, 'one call per request, none ahead')
})

test('two instances sharing Redis: the budget is shared, a client gets 429 within the overshoot bound, and every refusal after', async (t) => {
  const a = await leaseApp(t)
  const b = await leaseApp(t, {}, false)
  const user = bearer(a, 502)
  let allowed = 0
  let firstRefusalAt: number | undefined
  // Alternate instances, as a round-robin load balancer does, until both refuse twice in a row.
  let refusedInARow = 0
  for (let i = 0; i < 400 && refusedInARow < 4; i++) {
    const res = await get(i % 2 === 0 ? a : b, '/api/v1/test/hourly', user)
    assert.ok(res.statusCode === 200 || res.statusCode === 429, `request ${i}: ${res.statusCode}`)
    if (res.statusCode === 200) {
      allowed++
      refusedInARow = 0
    } else {
      firstRefusalAt ??= allowed
      refusedInARow++
    }
  }
  // Nothing refills in an hour-long window: Redis granted exactly 200 points between the two instances.
  assert.equal(allowed, 200, 'the client got its 200 and not one more (no refill, so no overshoot)')
  assert.ok(firstRefusalAt !== undefined && firstRefusalAt >= 200 - (BATCH - 1), `the first 429 after ${firstRefusalAt}: one instance may hold at most batch - 1 the other cannot use`)
  for (const app of [a, b]) {
    const res = await get(app, '/api/v1/test/hourly', user)
    assert.equal(res.statusCode, 429)
    assert.equal(res.headers['x-ratelimit-limit'], '200')
  }
  const calls = a.rateLimit.leaseStats().redisCalls + b.rateLimit.leaseStats().redisCalls
  assert.ok(calls <= 200 / BATCH + 6, `${calls} Redis calls for ${allowed} allowed requests`)
})

test('the overshoot across instances is at most instances × (batch - 1), even when the shared budget refills', async (t) => {
  const a = await leaseApp(t)
  const b = await leaseApp(t, {}, false)
  const user = bearer(a, 503)
  const batch = leaseBatch(40, BATCH) // 4
  // Each instance leases 4 and serves 1: both hold 3 points Redis has already counted.
  assert.equal((await get(a, '/api/v1/test/second', user)).statusCode, 200)
  assert.equal((await get(b, '/api/v1/test/second', user)).statusCode, 200)
  // 8 points refill in 200 ms (40 a second); the leases stay valid for the window (1 s).
  await sleep(250)
  const burst = await Promise.all(Array.from({ length: 60 }, (_, i) => get(i % 2 === 0 ? a : b, '/api/v1/test/second', user)))
  const allowed = burst.filter((r) => r.statusCode === 200).length
  assert.ok(burst.every((r) => r.statusCode === 200 || r.statusCode === 429))
  assert.ok(allowed >= 40, `${allowed}: the full budget of 40 is available again`)
  assert.ok(allowed <= 40 + 2 * (batch - 1) + 2, `${allowed}: at most the budget + 2 × (batch - 1) held + what refilled during the burst`)
})

test('exact routes count every request in Redis: with two instances the 201st of 200 is refused exactly', async (t) => {
  const a = await leaseApp(t)
  const b = await leaseApp(t, {}, false)
  const before = a.rateLimit.leaseStats().redisCalls + b.rateLimit.leaseStats().redisCalls
  const statuses: number[] = []
  for (let i = 0; i < 201; i++) statuses.push((await (i % 2 === 0 ? a : b).inject({ method: 'POST', url: '/api/v1/test/exact' })).statusCode)
  assert.deepEqual(statuses, [...Array(200).fill(200), 429])
  assert.equal(a.rateLimit.leaseStats().redisCalls + b.rateLimit.leaseStats().redisCalls, before, 'no lease taken')
})

test('the real login and registration are exact: two instances share 10 logins, the 11th is refused', async (t) => {
  const a = await leaseApp(t)
  const b = await leaseApp(t, {}, false)
  let n = 0
  const attempt = (app: FastifyInstance) => app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: `lease-nobody${++n}@techmart.local`, password: 'wrong-password' } })
  const statuses: number[] = []
  for (let i = 0; i < 11; i++) statuses.push((await attempt(i % 2 === 0 ? a : b)).statusCode)
  assert.deepEqual(statuses, [...Array(10).fill(401), 429])
  const register = (app: FastifyInstance, i: number) => app.inject({ method: 'POST', url: '/api/v1/auth/register', payload: { email: 'not-an-email', password: `x${i}` } })
  const registrations: number[] = []
  for (let i = 0; i < 6; i++) registrations.push((await register(i % 2 === 0 ? a : b, i)).statusCode)
  assert.equal(registrations.filter((s) => s === 429).length, 1, `5 registrations a minute, exactly: ${registrations.join(',')}`)
  assert.equal(registrations[5], 429)
})

test('a leased budget tightens with the load level: a client holding a lease at low gets the critical limit at once', async (t) => {
  const app = await leaseApp(t)
  const user = bearer(app, 504)
  const low = await get(app, '/api/v1/test/product', user)
  assert.equal(low.headers['x-ratelimit-limit'], '300')
  assert.equal(app.rateLimit.leaseStats().held, 1, 'the client holds a lease of 20 (19 unused)')
  app.load.override('critical')
  const statuses: number[] = []
  let first: LightMyRequestResponse | undefined
  for (let i = 0; i < 60; i++) {
    const res = await get(app, '/api/v1/test/product', user)
    first ??= res
    statuses.push(res.statusCode)
  }
  assert.equal(first?.headers['x-ratelimit-limit'], '30', '300 × 0.1')
  assert.equal(first?.headers['x-system-load'], 'critical')
  const allowed = statuses.filter((s) => s === 200).length
  // 20 points counted at low are 2 at critical (the state is time: 20 × 200 ms = 4 s = 2 × 2 s).
  assert.ok(allowed >= 27 && allowed <= 29, `${allowed} allowed at critical (30 less the 2 counted at low, ±1 refilled)`)
  assert.equal(statuses.at(-1), 429)
  // Back to low: the limit rises at once. The state is time: a window used up at critical is a
  // window used up at low too, and the next point comes after 60 s / 300 = 200 ms.
  app.load.override('low')
  const relaxed = await get(app, '/api/v1/test/product', user)
  assert.equal(relaxed.headers['x-ratelimit-limit'], '300')
  if (relaxed.statusCode === 429) assert.equal(relaxed.headers['retry-after'], '1')
  await sleep(450)
  assert.equal((await get(app, '/api/v1/test/product', user)).statusCode, 200)
})

test('a lease expires with its window: across the boundary the client leases again and has its whole budget', async (t) => {
  const app = await leaseApp(t)
  const user = bearer(app, 505)
  // One lease of 4 (a tenth of 40): the first request uses one, the next three come from the lease.
  assert.equal((await get(app, '/api/v1/test/second', user)).headers['x-ratelimit-remaining'], '39')
  const calls = app.rateLimit.leaseStats().redisCalls
  assert.equal((await get(app, '/api/v1/test/second', user)).headers['x-ratelimit-remaining'], '38')
  assert.equal(app.rateLimit.leaseStats().redisCalls, calls, 'served from the lease')
  await sleep(1100)
  const next = await get(app, '/api/v1/test/second', user)
  assert.equal(next.statusCode, 200)
  assert.equal(app.rateLimit.leaseStats().redisCalls, calls + 1, 'the expired lease (2 points left) was not used: a new one was taken')
  assert.equal(next.headers['x-ratelimit-remaining'], '39', 'a whole budget again, less this request')
  const burst: number[] = []
  for (let i = 0; i < 39; i++) burst.push((await get(app, '/api/v1/test/second', user)).statusCode)
  assert.deepEqual(burst, Array(39).fill(200), 'the rest of the budget')
  let refused = false
  for (let i = 0; i < 20 && !refused; i++) refused = (await get(app, '/api/v1/test/second', user)).statusCode === 429
  assert.ok(refused, 'and then a 429 (a point refills every 25 ms, fewer than 20 during these requests)')
})

test('Redis stopped: leased routes keep limiting (held points, then the insurance limiter), no 5xx, and lease again when it is back', async (t) => {
  const proxy = await startTcpProxy(6379)
  t.after(() => proxy.close())
  const app = await leaseApp(t, { redisUrl: proxy.url('redis') })
  const user = bearer(app, 507)
  assert.equal((await get(app, '/api/v1/test/forty', user)).statusCode, 200, 'leased 4 while Redis is up')
  proxy.cut()
  const statuses: number[] = []
  for (let i = 0; i < 50; i++) statuses.push((await get(app, '/api/v1/test/forty', user)).statusCode)
  assert.ok(!statuses.some((s) => s >= 500), `no 5xx: ${statuses.join(',')}`)
  // The 3 points the lease still holds, then 40 a minute on this instance's insurance limiter.
  assert.deepEqual(statuses, [...Array(43).fill(200), ...Array(7).fill(429)])
  const limited = await get(app, '/api/v1/test/forty', user)
  assert.equal(limited.json().code, 'RATE_LIMIT_EXCEEDED')
  assert.ok(Number(limited.headers['retry-after']) >= 1)
  assert.ok(app.rateLimit.leaseStats().perRequest >= 47)
  proxy.restore()
  const deadline = Date.now() + 10_000
  while (app.redis.client.status !== 'ready' && Date.now() < deadline) await sleep(50)
  await sleep(500) // the rate-limit connection reconnects on its own schedule
  const calls = app.rateLimit.leaseStats().redisCalls
  const fresh = bearer(app, 508)
  let back: LightMyRequestResponse | undefined
  for (let i = 0; i < 40 && app.rateLimit.leaseStats().redisCalls === calls; i++) {
    back = await get(app, '/api/v1/test/forty', fresh)
    if (app.rateLimit.leaseStats().redisCalls === calls) await sleep(100)
  }
  assert.equal(back?.statusCode, 200)
  assert.ok(app.rateLimit.leaseStats().redisCalls > calls, 'leasing resumed once Redis answered again')
})

test('Redis not answering (connected, silent): a failed lease call falls back at once, not one timeout per client', async (t) => {
  const proxy = await startTcpProxy(6379)
  t.after(() => proxy.close())
  const app = await leaseApp(t, { redisUrl: proxy.url('redis'), redisCommandTimeoutMs: 200 })
  proxy.blackhole()
  t.after(() => proxy.restore())
  const started = Date.now()
  const first = await get(app, '/api/v1/test/forty', bearer(app, 509))
  assert.equal(first.statusCode, 200, 'counted by the insurance limiter after the timeout')
  const others = await Promise.all(Array.from({ length: 20 }, (_, i) => get(app, '/api/v1/test/forty', bearer(app, 600 + i))))
  assert.ok(others.every((r) => r.statusCode === 200))
  const elapsed = Date.now() - started
  assert.ok(elapsed < 1500, `${elapsed} ms: one timeout, then the insurance limiter for the other clients`)
})

test('the limiter connection survives a limit first seen while a lease call is queued in the same tick (a Lua command defined mid-tick)', async (t) => {
  const client = await limiterConnection(t, 'lease-test')
  const prefix = `lease-test-${process.pid}`
  const limiter = new RouteLimiter({ client, keyPrefix: prefix, points: 100, durationS: 60 })
  // The lease call goes out first; then a limit this RouteLimiter has not seen builds a new
  // RateLimiterRedis, which defines its command on the connection before calling it.
  const lease = new Promise<unknown>((resolve, reject) => {
    (client as unknown as Record<string, (...args: unknown[]) => void>).techmartLeaseGcra(`${prefix}:a`, 5, 100, 60, (err: Error | null, reply: unknown) => err ? reject(err) : resolve(reply))
  })
  const counted = await limiter.consume('b', 70)
  assert.deepEqual(await lease, [5, 3000], 'five points leased out of 100 a minute: the budget is full again in 3 s')
  assert.equal(counted.allowed, true)
  assert.equal(counted.limit, 70)
  assert.ok(counted.resetMs < 60_000, `counted in Redis (GCRA: ${counted.resetMs} ms to full), not by the insurance limiter's fixed window`)
  await client.del(`${prefix}:a`, `${prefix}:b`)
})

test('lease calls of one turn leave as one write: 40 new clients on two routes, one pipeline, each its own grant', async (t) => {
  const client = await limiterConnection(t, 'lease-turn-test')
  const prefix = `lease-turn-${process.pid}`
  const countEach = async () => { throw new Error('no request may be counted one by one while Redis answers') }
  const product = new LeasedLimiter({ client, keyPrefix: `${prefix}:p`, durationS: 60, maxBatch: BATCH, countEach })
  const cart = new LeasedLimiter({ client, keyPrefix: `${prefix}:q`, durationS: 60, maxBatch: BATCH, countEach })
  const batch = turnBatchOf(client)
  const before = { commands: batch.commands, writes: batch.writes }
  const outcomes: Array<Promise<Parameters<LimitCallback>[1]>> = []
  const consume = (limiter: LeasedLimiter, key: string, limit: number) => {
    outcomes.push(new Promise((resolve, reject) => limiter.consume(key, limit, (err, outcome) => err ? reject(err) : resolve(outcome))))
  }
  // One turn: 20 clients on each route, and a second request of client c0 on the product route
  // queued behind its own call (the call, sent at the end of the turn, asks for both).
  for (let i = 0; i < 20; i++) {
    consume(product, `c${i}`, 300)
    consume(cart, `c${i}`, 100)
  }
  consume(product, 'c0', 300)
  const answers = await Promise.all(outcomes)
  assert.equal(batch.commands - before.commands, 40, 'one lease call per client and route')
  assert.equal(batch.writes - before.writes, 1, 'all forty sent in one write')
  assert.ok(answers.every((a) => a?.allowed === true))
  assert.equal(answers[0]!.remaining, 299, 'c0 first request on the product route')
  assert.equal(answers[40]!.remaining, 298, 'c0 second request, served by the same call')
  assert.equal(answers[1]!.remaining, 99, 'c0 on the cart route: its own budget')
  // Redis counted exactly one lease per client and route: c0 took 21 product points (2 + 19 kept), the others 20 and 10.
  const ttl = async (key: string) => Math.round(Number(await client.pttl(key)) / 200)
  assert.equal(await ttl(`${prefix}:p:c0`), 21)
  assert.equal(await ttl(`${prefix}:p:c7`), 20)
  assert.equal(await ttl(`${prefix}:q:c7`), 10 * 3, '10 of 100 a minute: 600 ms each')
  assert.equal(product.stats().redisCalls + cart.stats().redisCalls, 40)
  await client.del(...Array.from({ length: 20 }, (_, i) => [`${prefix}:p:c${i}`, `${prefix}:q:c${i}`]).flat())
})

test('requests served from the lease call of another request run in their own context (timings, trace)', async (t) => {
  const app = await leaseApp(t)
  const headers = bearer(app, 4242)
  // One new client, five requests at once: the first leases, the other four wait for its reply.
  const answers = await Promise.all(Array.from({ length: 5 }, () => get(app, '/api/v1/test/context', headers)))
  assert.deepEqual(answers.map((r) => r.statusCode), [200, 200, 200, 200, 200])
  assert.deepEqual(answers.map((r) => r.json().own), [true, true, true, true, true])
  assert.equal(app.rateLimit.leaseStats().redisCalls, 1, 'one lease call served all five')
})
