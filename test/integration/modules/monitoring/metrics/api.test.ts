import { test } from 'node:test'
import assert from 'node:assert/strict'
import diagnosticsChannel from 'node:diagnostics_channel'
import http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, flushRedisPrefix } from '../../../../support/helper.js'
import { createUser } from '../../../../support/fixtures.js'
import { startTcpProxy } from '../../../../support/tcp-proxy.js'
import { MetricsCollector } from '../../../../../src/lib/metrics/collector.js'
import { createRollupsRepository, createRollupsService } from '../../../../../src/modules/monitoring/rollups/index.js'
import { createStreamTokens, readStreamCookie } from '../../../../../src/modules/monitoring/metrics/stream-token.js'

const PERF = '/api/v1/monitoring/performance'
// Traffic-shaping would turn this test traffic (or a busy machine) into 429/503s.
const NO_SHAPING = { rateLimitEnabled: false, loadSheddingEnabled: false }

function testRoutes (app: FastifyInstance): void {
  app.get('/test/ok', async () => ({ ok: true }))
  app.get('/test/fail', async () => { throw new Error('boom') })
}

async function until (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(100)
  }
}

test('monitoring routes refuse anonymous callers and non-admins, and validate input', async (t) => {
  const app = await buildTestApp(t, NO_SHAPING)
  const customer = await createUser(app, { role: 'customer' })
  const admin = await createUser(app, { role: 'admin' })
  for (const [method, url] of [['GET', PERF], ['GET', '/api/v1/monitoring/business'], ['GET', '/api/v1/monitoring/search-analytics'], ['POST', '/api/v1/monitoring/stream-token']] as const) {
    const anonymous = await app.inject({ method, url })
    assert.equal(anonymous.statusCode, 401, url)
    assert.equal(anonymous.json().code, 'AUTH_TOKEN_MISSING')
    const forbidden = await app.inject({ method, url, headers: { authorization: `Bearer ${customer.token}` } })
    assert.equal(forbidden.statusCode, 403, url)
    assert.equal(forbidden.json().code, 'AUTH_FORBIDDEN')
  }
  const bad = await app.inject({ url: `${PERF}?range=2y`, headers: { authorization: `Bearer ${admin.token}` } })
  assert.equal(bad.statusCode, 400)
  assert.equal(bad.json().code, 'APP_VALIDATION_FAILED')
  assert.equal(bad.json().details[0].field, 'querystring.range')
  const extra = await app.inject({ url: `${PERF}?verbose=1`, headers: { authorization: `Bearer ${admin.token}` } })
  assert.equal(extra.statusCode, 400)
})

test('GET /performance reports the measured traffic: status split, error rate, per-route table', async (t) => {
  const app = await buildTestApp(t, NO_SHAPING, { setup: testRoutes })
  const admin = await createUser(app, { role: 'admin' })
  for (let i = 0; i < 8; i++) await app.inject('/test/ok')
  for (let i = 0; i < 2; i++) await app.inject('/test/fail')
  await app.inject('/test/none')

  const res = await app.inject({ url: PERF, headers: { authorization: `Bearer ${admin.token}` } })
  assert.equal(res.statusCode, 200)
  const body = res.json()
  assert.equal(body.window_s, 60)
  assert.equal(body.shared, true)
  assert.equal(body.instances.length, 1)
  assert.equal(body.instances[0].instance_id, app.metrics.instanceId)
  const http = body.total.http
  assert.equal(http.requests, 11)
  assert.deepEqual(http.status, { '2xx': 8, '3xx': 0, '4xx': 1, '5xx': 2 })
  assert.equal(http.errors, 2)
  assert.equal(http.error_rate, 2 / 11)
  assert.ok(http.p50_ms > 0 && http.p50_ms <= http.p95_ms && http.p95_ms <= http.p99_ms && http.p99_ms <= http.max_ms)
  const ok = body.routes.find((r: { route: string }) => r.route === 'GET /test/ok')
  assert.equal(ok.requests, 8)
  assert.equal(ok.error_rate, 0)
  const fail = body.routes.find((r: { route: string }) => r.route === 'GET /test/fail')
  assert.equal(fail.requests, 2)
  assert.equal(fail.error_rate, 1)
  assert.ok(body.routes.find((r: { route: string }) => r.route === 'GET UNMATCHED'))
  assert.equal(body.total.db.pool.size, 10)
  assert.equal(body.series.source, 'live')
  assert.equal(body.series.resolution_s, 1)
  assert.equal(body.series.t.length, body.series.p95_ms.length)
})

test('several instances: each publishes to Redis and the total combines them; Redis down shows this instance only', async (t) => {
  const proxy = await startTcpProxy(6379)
  t.after(() => proxy.close())
  const a = await buildTestApp(t, { ...NO_SHAPING, metricsInstanceId: 'node-a' }, { setup: testRoutes })
  const b = await buildTestApp(t, { ...NO_SHAPING, metricsInstanceId: 'node-b', redisUrl: proxy.url('redis') }, { setup: testRoutes })
  await flushRedisPrefix(a)
  const admin = await createUser(a, { role: 'admin' })
  const headers = { authorization: `Bearer ${admin.token}` }
  for (let i = 0; i < 4; i++) await a.inject('/test/ok')
  for (let i = 0; i < 6; i++) await b.inject('/test/ok')

  let body: { total: { http: { requests: number } }, instances: { instance_id: string, alive: boolean, http: { requests: number } }[], routes: { route: string, requests: number }[], shared: boolean } | undefined
  await until('both instances in the combined view', async () => {
    const res = await a.inject({ url: PERF, headers })
    assert.equal(res.statusCode, 200, res.body)
    body = res.json()
    return body!.instances.length === 2 && body!.routes.find((r) => r.route === 'GET /test/ok')?.requests === 10
  })
  assert.equal(body!.shared, true)
  assert.deepEqual(body!.instances.map((i) => i.instance_id), ['node-a', 'node-b'])
  assert.ok(body!.instances.every((i) => i.alive))
  assert.equal(body!.instances.find((i) => i.instance_id === 'node-b')!.http.requests, 6)

  // b loses Redis: it still answers, flagged as local only.
  proxy.cut()
  await until('b to notice Redis is down', () => !b.redis.isReady())
  const local = (await b.inject({ url: PERF, headers })).json()
  assert.equal(local.shared, false)
  assert.deepEqual(local.instances.map((i: { instance_id: string }) => i.instance_id), ['node-b'])
  assert.equal(local.total.http.requests, 6)
})

test('minute rollups are written per instance and route, idempotently, and serve the history ranges', async (t) => {
  const app = await buildTestApp(t, NO_SHAPING)
  const admin = await createUser(app, { role: 'admin' })
  await app.db.sql`DELETE FROM metric_rollups`
  const minuteMs = Math.floor((Date.now() - 10 * 60_000) / 60_000) * 60_000
  let now = minuteMs + 5_000
  const collector = new MetricsCollector({ now: () => now, poolSize: 10 })
  for (let i = 0; i < 30; i++) collector.recordHttp('GET /api/v1/products/:id', 10 + i, 200, 1, 0.5)
  collector.recordHttp('POST /api/v1/orders', 80, 500, 20, 0)
  collector.recordHttp('POST /api/v1/orders', 40, 429, 0, 0)
  collector.recordCache('product_detail', 'l1', true)
  collector.recordCache('product_detail', 'miss', false)
  const rollups = createRollupsService({
    repo: createRollupsRepository(app.db.db), collector, redis: app.redis, instanceId: 'rollup-test', retentionDays: 7, log: app.log
  })
  now = minuteMs + 63_000
  await rollups.run()
  await rollups.run()
  const rows = await app.db.sql<{ route: string, requests: number, errors: number, rate_limited: number, p95_ms: number, cache_hits: number | null }[]>`
    SELECT route, requests, errors, rate_limited, p95_ms, cache_hits FROM metric_rollups WHERE instance_id = 'rollup-test' ORDER BY route`
  assert.deepEqual(rows.map((r) => [r.route, r.requests, r.errors, r.rate_limited]), [
    ['*', 32, 1, 1], ['GET /api/v1/products/:id', 30, 0, 0], ['POST /api/v1/orders', 2, 1, 1]
  ])
  assert.equal(rows[0].cache_hits, 1)
  assert.ok(Math.abs(rows[1].p95_ms - 38) <= 0.5, `p95 ${rows[1].p95_ms}`)

  const res = await app.inject({ url: `${PERF}?range=1h`, headers: { authorization: `Bearer ${admin.token}` } })
  assert.equal(res.statusCode, 200)
  const series = res.json().series
  assert.equal(series.source, 'rollups')
  assert.equal(series.resolution_s, 60)
  const i = series.t.indexOf(minuteMs / 1000)
  assert.ok(i >= 0, 'the written minute is in the 1h series')
  assert.equal(series.requests[i], 32)
  assert.equal(series.error_rate[i], 1 / 32)
  assert.equal(series.cache_hit_rate[i], 0.5)
  for (const range of ['24h', '7d']) assert.equal((await app.inject({ url: `${PERF}?range=${range}`, headers: { authorization: `Bearer ${admin.token}` } })).statusCode, 200)

  const pruned = await createRollupsRepository(app.db.db).pruneBefore(new Date(minuteMs + 60_000))
  assert.equal(pruned, 3)
})

interface SseEvent { event: string, data: string }

/** Opens the stream over real HTTP and yields its events. */
function openStream (port: number, headers: Record<string, string>): Promise<{ status: number, body?: string, events: SseEvent[], next: (name: string) => Promise<SseEvent>, ended: Promise<void>, close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/api/v1/monitoring/stream', headers }, (res) => {
      res.setEncoding('utf8')
      const events: SseEvent[] = []
      const waiters: { name: string, resolve: (e: SseEvent) => void }[] = []
      let buffer = ''
      const ended = new Promise<void>((resolve) => res.on('close', resolve))
      res.on('data', (chunk: string) => {
        buffer += chunk
        let idx
        while ((idx = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, idx)
          buffer = buffer.slice(idx + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (!event || data === undefined) continue
          const e = { event, data }
          events.push(e)
          for (const w of waiters.filter((x) => x.name === event)) { w.resolve(e); waiters.splice(waiters.indexOf(w), 1) }
        }
      })
      const next = (name: string) => new Promise<SseEvent>((resolve) => waiters.push({ name, resolve }))
      if (res.statusCode !== 200) {
        let body = ''
        res.on('data', (c: string) => { body += c })
        res.on('end', () => resolve({ status: res.statusCode!, body, events, next, ended, close: () => req.destroy() }))
        return
      }
      resolve({ status: 200, events, next, ended, close: () => req.destroy() })
    })
    req.on('error', reject)
  })
}

test('SSE stream: cookie token from POST /stream-token, metrics every second, alerts forwarded, closed on shutdown', async (t) => {
  const app = await buildTestApp(t, NO_SHAPING)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as { port: number }).port
  const admin = await createUser(app, { role: 'admin' })

  const denied = await openStream(port, {})
  assert.equal(denied.status, 401)
  assert.equal(JSON.parse(denied.body!).code, 'MONITORING_STREAM_TOKEN_INVALID')
  const forged = await openStream(port, { cookie: 'techmart_stream=1.9999999999.abc.forged' })
  assert.equal(forged.status, 401)

  const tokenRes = await app.inject({ method: 'POST', url: '/api/v1/monitoring/stream-token', headers: { authorization: `Bearer ${admin.token}` } })
  assert.equal(tokenRes.statusCode, 200)
  assert.deepEqual(tokenRes.json(), { expires_in: 60 })
  const setCookie = String(tokenRes.headers['set-cookie'])
  assert.match(setCookie, /HttpOnly/)
  assert.match(setCookie, /SameSite=Strict/)
  assert.match(setCookie, /Path=\/api\/v1\/monitoring\/stream/)
  const token = readStreamCookie(setCookie.split(';')[0])!
  // The stream token is not an access token.
  assert.equal((await app.inject({ url: PERF, headers: { authorization: `Bearer ${token}` } })).statusCode, 401)

  const stream = await openStream(port, { cookie: `techmart_stream=${token}` })
  assert.equal(stream.status, 200)
  const first = JSON.parse((await stream.next('metrics')).data)
  assert.equal(first.instance_id, app.metrics.instanceId)
  assert.equal(typeof first.point.t, 'number')
  const second = JSON.parse((await stream.next('metrics')).data)
  assert.ok(second.generated_at >= first.generated_at)

  const alert = { id: 'high_latency', state: 'firing', summary: 'http_p95_ms is 312 (> 200 over 60s)' }
  const nextAlert = stream.next('alert')
  diagnosticsChannel.channel('techmart:alert:transition').publish(alert)
  assert.deepEqual(JSON.parse((await nextAlert).data), alert)

  // The stream itself is kept out of latency metrics and the in-flight count.
  assert.equal(app.metrics.routeCount('GET /api/v1/monitoring/stream', 60), 0)
  await app.close()
  await stream.ended
})

test('stream tokens expire, and tampering is detected', () => {
  let now = 1_800_000_000_000
  const tokens = createStreamTokens('a-secret-of-sufficient-length', () => now)
  const token = tokens.issue(42)
  assert.equal(tokens.verify(token), 42)
  assert.equal(tokens.verify(token.replace(/^42\./, '43.')), undefined)
  assert.equal(createStreamTokens('another-secret-entirely', () => now).verify(token), undefined)
  now += 61_000
  assert.equal(tokens.verify(token), undefined)
  assert.equal(tokens.verify(undefined), undefined)
})

test('search analytics: normalised top queries, zero-result queries and slow searches over Redis', async (t) => {
  const app = await buildTestApp(t, { ...NO_SHAPING, slowSearchMs: 50 })
  await flushRedisPrefix(app)
  const admin = await createUser(app, { role: 'admin' })
  const search = diagnosticsChannel.channel('techmart:search')
  const events = [
    { query: 'iPhone  15', results: 12, durationMs: 4 },
    { query: 'iphone 15', results: 12, durationMs: 5 },
    { query: ' IPHONE 15 ', results: 12, durationMs: 120 },
    { query: 'laptop', results: 40, durationMs: 3 },
    { query: 'xyzzy', results: 0, durationMs: 2 },
    { query: 'xyzzy', results: 0, durationMs: 2 },
    { query: 'qwerty', results: 0, durationMs: 60 }
  ]
  for (const e of events) search.publish(e)
  await until('the flush to Redis', async () => (await app.redis.client.keys(`${app.redis.prefix}:search:totals:*`)).length > 0)
  const res = await app.inject({ url: '/api/v1/monitoring/search-analytics', headers: { authorization: `Bearer ${admin.token}` } })
  assert.equal(res.statusCode, 200)
  const body = res.json()
  assert.equal(body.available, true)
  assert.equal(body.total_searches, 7)
  assert.equal(body.zero_result_searches, 3)
  assert.deepEqual(body.top_queries.slice(0, 2), [{ query: 'iphone 15', count: 3 }, { query: 'xyzzy', count: 2 }])
  assert.deepEqual(body.zero_result_queries, [{ query: 'xyzzy', count: 2 }, { query: 'qwerty', count: 1 }])
  assert.deepEqual(body.slow_searches.map((s: { query: string, duration_ms: number }) => [s.query, s.duration_ms]), [['iphone 15', 120], ['qwerty', 60]])
})

test('dashboard assets: the page, its modules and uPlot from node_modules; nothing else is readable', async (t) => {
  const app = await buildTestApp(t, NO_SHAPING)
  const redirect = await app.inject('/dashboard')
  assert.equal(redirect.statusCode, 301)
  assert.equal(redirect.headers.location, '/dashboard/')
  const page = await app.inject('/dashboard/')
  assert.equal(page.statusCode, 200)
  assert.match(String(page.headers['content-type']), /text\/html/)
  assert.match(page.body, /<script type="module" src="app.js"><\/script>/)
  for (const file of ['app.js', 'charts.js', 'panels.js', 'ops.js', 'format.js', 'style.css', 'vendor/uPlot.esm.js', 'vendor/uPlot.min.css']) {
    const res = await app.inject(`/dashboard/${file}`)
    assert.equal(res.statusCode, 200, file)
    assert.ok(res.headers.etag, file)
  }
  for (const path of ['/dashboard/vendor/uPlot.cjs.js', '/dashboard/missing.js', '/dashboard/..%2Fpackage.json', '/dashboard/vendor/..%2F..%2Fpackage.json']) {
    assert.ok([400, 404].includes((await app.inject(path)).statusCode), path)
  }
})
