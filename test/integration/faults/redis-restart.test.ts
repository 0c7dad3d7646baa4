import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { buildTestApp, flushRedisPrefix, resetDb, TEST_REDIS_PREFIX } from '../../support/helper.js'
import { countKeysUnder } from '../../../src/lib/redis/keys.js'
import { startRedisServer } from '../../support/redis-server.js'
import { startAppProcess, type AppProcess } from '../../support/faults/app-process.js'
import { buildFaultWorld, timeUntil, type FaultWorld } from '../../support/faults/fault-fixtures.js'

/** The part of autocannon's API used here (the package ships no types). */
interface LoadRequest { method: string, path: string, headers?: Record<string, string>, body?: string }
interface LoadResult { requests: { total: number }, errors: number, timeouts: number, '2xx': number, '4xx': number, '5xx': number }
interface LoadRun extends PromiseLike<LoadResult> {
  on: ((event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void) => void) &
    ((event: 'reqError', listener: (err: Error) => void) => void)
  stop: () => void
}
type Autocannon = (opts: { url: string, connections: number, duration: number, requests: { setupRequest: (r: LoadRequest) => LoadRequest }[] }) => LoadRun
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon

const CONNECTIONS = 200
// A freshly started process is not what an outage hits: it is warmed (JIT, caches, pool) by a
// short run at a few connections first. Then the load runs BEFORE_MS before Redis is killed.
const WARM_UP = { connections: 20, duration: 3 }
const BEFORE_MS = 3000
const OUTAGE_MS = 10_000
const AFTER_MS = 5000
// Clients behind the (trusted) proxy address: each has its own rate-limit budget, as through nginx.
const CLIENT_IPS = Array.from({ length: 2000 }, (_, i) => `10.7.${Math.floor(i / 250)}.${(i % 250) + 1}`)

type Phase = 'before' | 'outage' | 'after'

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]

/**
 * One request of the mix: cached catalog reads (detail, list, search,
 * categories), the cart (add with a customer's token, and read), each from a
 * random client address, so rate limiting counts (in Redis, or in memory
 * while Redis is away) without refusing most of the load.
 */
function nextRequest (w: FaultWorld, base: LoadRequest): LoadRequest {
  const headers: Record<string, string> = { 'x-forwarded-for': pick(CLIENT_IPS) }
  const r = Math.random()
  if (r < 0.35) return { ...base, method: 'GET', path: `/api/v1/products/${pick(w.productIds)}`, headers }
  if (r < 0.5) return { ...base, method: 'GET', path: `/api/v1/products?page=${1 + Math.floor(Math.random() * 3)}&page_size=20`, headers }
  if (r < 0.65) return { ...base, method: 'GET', path: `/api/v1/products/search?q=${pick(w.words)}`, headers }
  if (r < 0.9) return { ...base, method: 'GET', path: '/api/v1/categories', headers }
  const customer = pick(w.customers)
  headers.authorization = `Bearer ${customer.token}`
  if (r < 0.97) {
    headers['content-type'] = 'application/json'
    return { ...base, method: 'POST', path: '/api/v1/cart/add', headers, body: JSON.stringify({ product_id: pick(w.productIds), quantity: 1 }) }
  }
  return { ...base, method: 'GET', path: '/api/v1/cart', headers }
}

async function keysUnder (url: string, prefix: string): Promise<number> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  try {
    await client.connect()
    return await countKeysUnder(client, prefix)
  } finally {
    client.disconnect()
  }
}

test('Redis killed for 10 s and restarted under 200 connections: zero 5xx, zero connection errors, Redis used again after the restart', { timeout: 80_000 }, async (t) => {
  await resetDb()
  const redis = await startRedisServer()
  const started: { app?: AppProcess } = {}
  // The app first, then its Redis (and the redis-server even when the app never started).
  t.after(async () => {
    await started.app?.close()
    await redis.close()
  })
  // Fixtures go in through an app of this process; the app under load runs in a child process.
  const fixtures = await buildTestApp(t)
  const w = await buildFaultWorld(fixtures, { products: 40, customers: 300 })
  const prefix = `${TEST_REDIS_PREFIX}-served`
  const app = await startAppProcess({ redisUrl: redis.url, redisKeyPrefix: prefix, trustProxy: '127.0.0.1' })
  started.app = app
  const ready = async () => {
    const res = await fetch(`${app.url}/health/ready`)
    return (await res.json() as { status: string }).status === 'ready'
  }

  await autocannon({ url: app.url, ...WARM_UP, requests: [{ setupRequest: (r) => nextRequest(w, r) }] })

  let phase: Phase = 'before'
  const tally: Record<Phase, Record<string, number>> = { before: {}, outage: {}, after: {} }
  const run = autocannon({
    url: app.url,
    connections: CONNECTIONS,
    duration: 120, // stopped below, after the last phase
    requests: [{ setupRequest: (r) => nextRequest(w, r) }]
  })
  run.on('response', (_client, status) => {
    tally[phase][status] = (tally[phase][status] ?? 0) + 1
  })
  // A timeout is reported when it fires, 10 s (autocannon's default) after the request went out.
  const loadStart = performance.now()
  const errorsAt: string[] = []
  run.on('reqError', (err) => {
    tally[phase][err.message] = (tally[phase][err.message] ?? 0) + 1
    errorsAt.push(`${err.message} at ${((performance.now() - loadStart) / 1000).toFixed(1)} s`)
  })

  await sleep(BEFORE_MS)
  assert.ok(await keysUnder(redis.url, prefix) > 0, 'before the outage the app writes to Redis')
  await redis.stop('SIGKILL')
  phase = 'outage'
  await sleep(OUTAGE_MS / 2)
  // Limits still count during the outage (in memory): one client's budget goes down request by request.
  const remaining = async () => Number((await fetch(`${app.url}/api/v1/products/${w.productIds[0]}`, { headers: { 'x-forwarded-for': '10.99.0.1' } })).headers.get('x-ratelimit-remaining'))
  const [first, second] = [await remaining(), await remaining()]
  assert.equal(second, first - 1, `rate limit counted during the outage: ${first} then ${second}`)
  await sleep(OUTAGE_MS / 2)
  assert.equal((await app.state()).redisReady, false, 'the app saw the outage')
  await redis.start()
  phase = 'after'
  const restartedAt = performance.now()
  // Every Redis consumer reconnects on its own (ioredis retries at most 2 s apart): the shared
  // client is ready again, the rate limiter's own connection writes its counters into the empty
  // restarted server, and /health/ready says "ready".
  const [clientMs, keysMs, readyMs] = await Promise.all([
    timeUntil(async () => (await app.state()).redisReady, 'redis client ready after the restart', AFTER_MS),
    timeUntil(async () => await keysUnder(redis.url, `${prefix}:ratelimit`) > 0, 'rate-limit counters in Redis again', AFTER_MS),
    timeUntil(ready, '/health/ready "ready" after the restart', AFTER_MS)
  ])
  await sleep(Math.max(0, AFTER_MS - (performance.now() - restartedAt)))
  run.stop()
  const result = await run
  const keysAfter = await keysUnder(redis.url, prefix)
  await flushRedisPrefix(fixtures)

  const count = (p: Phase, from: number, to: number) => Object.entries(tally[p]).reduce((n, [s, c]) => (Number(s) >= from && Number(s) < to ? n + c : n), 0)
  const summary = (['before', 'outage', 'after'] as const).map((p) => `${p}: ${count(p, 0, 1000)} responses (2xx ${count(p, 200, 300)}, 429 ${tally[p][429] ?? 0}, 5xx ${count(p, 500, 600)})`).join('; ')
  t.diagnostic(`load: ${result.requests.total} requests, 2xx ${result['2xx']}, 4xx ${result['4xx']}, 5xx ${result['5xx']}, connection errors ${result.errors}, timeouts ${result.timeouts}`)
  t.diagnostic(summary)
  t.diagnostic(`after the restart: client ready in ${clientMs.toFixed(0)} ms, rate-limit counters in Redis in ${keysMs.toFixed(0)} ms, /health/ready "ready" in ${readyMs.toFixed(0)} ms; ${keysAfter} keys under the prefix at the end`)

  assert.equal(result['5xx'], 0, `no 5xx: ${JSON.stringify(tally)}`)
  assert.equal(result.errors, 0, `no connection errors: ${JSON.stringify(tally)}; ${errorsAt.join(', ')} (Redis killed at ${BEFORE_MS / 1000} s)`)
  assert.equal(result.timeouts, 0, 'no request timed out')
  // The outage was served, not merely survived: most of its answers are successes.
  assert.ok(count('outage', 200, 300) > count('outage', 0, 1000) * 0.8, `outage mostly 2xx: ${summary}`)
  assert.ok(count('after', 200, 300) > 0, `traffic after the restart: ${summary}`)
})
