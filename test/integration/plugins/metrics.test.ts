import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildTestApp, flushRedisPrefix } from '../../support/helper.js'
import { createUser } from '../../support/fixtures.js'
import { recordCacheOp, timedQuery } from '../../../src/lib/observability/instrumentation.js'
import { G_POOL_IN_USE, G_POOL_WAITING, MetricsCollector } from '../../../src/lib/metrics/collector.js'
import { LatencyWindow, WindowSet } from '../../../src/lib/metrics/rolling-window.js'
import { SCRAPE_LIMIT } from '../../../src/plugins/metrics-endpoint.js'

const METRICS_TOKEN = 'scrape-token-for-tests-0123456789'

interface Sample { name: string, labels: Record<string, string>, value: number }

/** A strict reader of the Prometheus text format 0.0.4: throws on any line it does not understand. */
function parsePrometheus (text: string): { samples: Sample[], types: Map<string, string> } {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?(?:[0-9.e+-]+|NaN|\+Inf|-Inf))( -?\d+)?$/
  const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g
  for (const line of text.split('\n')) {
    if (line === '') continue
    if (line.startsWith('# HELP ')) continue
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ')
      assert.ok(['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type), `bad TYPE line: ${line}`)
      types.set(name, type)
      continue
    }
    const m = sampleLine.exec(line)
    assert.ok(m, `not a Prometheus sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, k, v] of (m[3] ?? '').matchAll(labelPair)) labels[k] = v
    samples.push({ name: m[1], labels, value: Number(m[4].replace('+Inf', 'Infinity')) })
  }
  return { samples, types }
}

function find (samples: Sample[], name: string, labels: Record<string, string>): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value
}

async function appWithTestRoutes (t: Parameters<typeof buildTestApp>[0], overrides = {}) {
  return await buildTestApp(t, { metricsToken: METRICS_TOKEN, rateLimitEnabled: false, loadSheddingEnabled: false, ...overrides }, {
    setup: (app) => {
      app.get('/test/ok/:id', async () => ({ ok: true }))
      app.get('/test/fail', async () => { throw new Error('boom') })
      app.get('/test/slow', async () => { await sleep(60); return { ok: true } })
      app.get('/test/cached', async () => {
        recordCacheOp({ type: 'test_type', layer: 'l1', hit: true, durationMs: 0.1 })
        recordCacheOp({ type: 'test_type', layer: 'l2', hit: true, durationMs: 0.5 })
        recordCacheOp({ type: 'test_type', layer: 'miss', hit: false, durationMs: 1 })
        return { ok: true }
      })
      app.get('/test/stream', { config: { metrics: false } }, async () => ({ ok: true }))
      app.get('/test/query', async () => {
        await timedQuery('test.select_one', app.db.sql`SELECT 1`)
        return { ok: true }
      })
    }
  })
}

test('/metrics parses as Prometheus text and its counts match known traffic', async (t) => {
  const app = await appWithTestRoutes(t)
  for (let i = 0; i < 7; i++) assert.equal((await app.inject(`/test/ok/${i}`)).statusCode, 200)
  for (let i = 0; i < 3; i++) assert.equal((await app.inject('/test/fail')).statusCode, 500)
  assert.equal((await app.inject('/no/such/route')).statusCode, 404)
  for (let i = 0; i < 2; i++) await app.inject('/test/cached')
  await app.inject('/test/query')

  const res = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  assert.equal(res.statusCode, 200)
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/)
  const { samples, types } = parsePrometheus(res.body)

  const count = 'techmart_http_request_duration_seconds_count'
  assert.equal(types.get('techmart_http_request_duration_seconds'), 'histogram')
  // Labelled by route template, never the raw URL: seven different ids, one series.
  assert.equal(find(samples, count, { method: 'GET', route: '/test/ok/:id', status_code: '200' }), 7)
  assert.equal(find(samples, count, { method: 'GET', route: '/test/fail', status_code: '500' }), 3)
  assert.equal(find(samples, count, { method: 'GET', route: 'UNMATCHED', status_code: '404' }), 1)
  assert.equal(samples.some((s) => s.labels.route?.includes('/test/ok/3')), false)

  assert.equal(find(samples, 'techmart_cache_operations_total', { type: 'test_type', layer: 'l1', result: 'hit' }), 2)
  assert.equal(find(samples, 'techmart_cache_operations_total', { type: 'test_type', layer: 'l2', result: 'hit' }), 2)
  assert.equal(find(samples, 'techmart_cache_operations_total', { type: 'test_type', layer: 'miss', result: 'miss' }), 2)
  assert.equal(find(samples, 'techmart_db_query_duration_seconds_count', { query: 'test.select_one', outcome: 'ok' }), 1)
  assert.equal(find(samples, 'techmart_db_pool_size', {}), 10)
  // Default process metrics are there too (GC, memory, event loop).
  for (const name of ['nodejs_eventloop_lag_seconds', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes']) {
    assert.ok(samples.some((s) => s.name === name), `${name} missing`)
  }
  assert.ok(types.has('nodejs_gc_duration_seconds'))
})

test('/metrics refuses anonymous callers and non-admins; accepts METRICS_TOKEN and admins', async (t) => {
  const app = await appWithTestRoutes(t)
  const customer = await createUser(app, { role: 'customer' })
  const admin = await createUser(app, { role: 'admin' })

  const anonymous = await app.inject('/metrics')
  assert.equal(anonymous.statusCode, 401)
  assert.equal(anonymous.json().code, 'AUTH_TOKEN_MISSING')

  const wrong = await app.inject({ url: '/metrics', headers: { authorization: 'Bearer not-the-token' } })
  assert.equal(wrong.statusCode, 401)
  assert.equal(wrong.json().code, 'AUTH_TOKEN_INVALID')

  const forbidden = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${customer.token}` } })
  assert.equal(forbidden.statusCode, 403)
  assert.deepEqual(Object.keys(forbidden.json()).sort(), ['code', 'error', 'message', 'statusCode'])
  assert.equal(forbidden.json().code, 'AUTH_FORBIDDEN')

  assert.equal((await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${admin.token}` } })).statusCode, 200)
})

test('without METRICS_TOKEN configured, a bearer that is not an admin JWT is refused', async (t) => {
  const app = await appWithTestRoutes(t, { metricsToken: '' })
  const res = await app.inject({ url: '/metrics', headers: { authorization: 'Bearer ' } })
  assert.equal(res.statusCode, 401)
})

test('under overload /metrics still answers 200 while API routes are limited and shed; its own 10/s budget does not shrink', async (t) => {
  const app = await buildTestApp(t, { metricsToken: METRICS_TOKEN, loadSampleIntervalMs: 0 }, {
    setup: (app) => {
      app.post('/api/v1/test/checkout', { config: { rateLimit: { points: 10, duration: 60 }, criticality: 'critical' } }, async () => ({ ok: true }))
      app.get('/api/v1/test/browse', { config: { criticality: 'browse' } }, async () => ({ ok: true }))
    }
  })
  await flushRedisPrefix(app)
  // Critical CPU, the critical routes' p95 over target and event-loop delay past the shedding bound, for 3 samples.
  app.load.override({ eventLoopDelayP99Ms: 300, elu: 0.5, cpu: 0.97, heapRatio: 0.1, rssRatio: 0.1, criticalP95Ms: 900 })
  app.load.sampleNow()
  const state = app.load.sampleNow()
  assert.equal(state.level, 'critical')
  assert.equal(state.limitFactorPermille, 50, '× 0.1 × 0.5')
  assert.deepEqual(app.loadShedding.state().shedding, ['reports', 'browse'])

  const checkout = [await app.inject({ method: 'POST', url: '/api/v1/test/checkout' }), await app.inject({ method: 'POST', url: '/api/v1/test/checkout' })]
  assert.deepEqual(checkout.map((r) => r.statusCode), [200, 429], 'the API limit fell to 1')
  assert.equal(checkout[0].headers['x-ratelimit-limit'], '1')
  assert.equal((await app.inject('/api/v1/test/browse')).statusCode, 503, 'browsing is shed')

  const scrape = () => app.inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  for (let i = 0; i < 6; i++) {
    const res = await scrape()
    assert.equal(res.statusCode, 200, `scrape ${i + 1}: ${res.body.slice(0, 200)}`)
    assert.equal(res.headers['x-ratelimit-limit'], String(SCRAPE_LIMIT.points), 'the scrape limit is not scaled by the level')
    assert.equal(res.headers['x-system-load'], 'critical')
  }
  assert.match((await scrape()).body, /techmart_load_level\{level="critical"\} 1/)

  // Its own budget still stops a client that scrapes in a loop.
  const burst = await Promise.all(Array.from({ length: 40 }, () => scrape()))
  const limited = burst.filter((r) => r.statusCode === 429)
  assert.ok(limited.length > 0, 'a burst of 40 scrapes hits the 10/s budget')
  assert.ok(burst.every((r) => r.statusCode === 200 || r.statusCode === 429))
  assert.equal(limited[0].json().code, 'RATE_LIMIT_EXCEEDED')
  assert.ok(Number(limited[0].headers['retry-after']) >= 1)
})

test('app.metrics (MetricsReader) reflects the traffic: counts, error rate, route p95, cache hit rate', async (t) => {
  const app = await appWithTestRoutes(t)
  for (let i = 0; i < 6; i++) await app.inject(`/test/ok/${i}`)
  for (let i = 0; i < 2; i++) await app.inject('/test/fail')
  for (let i = 0; i < 3; i++) await app.inject('/test/slow')
  await app.inject('/test/cached')
  await app.inject('/test/stream')

  const m = app.metrics
  assert.equal(m.routeCount('GET /test/ok/:id', 60), 6)
  assert.equal(m.routeCount('GET /test/fail', 60), 2)
  assert.equal(m.routeCount('GET /test/slow', 60), 3)
  // Routes marked `metrics: false` (SSE) are not counted.
  assert.equal(m.routeCount('GET /test/stream', 60), 0)
  assert.equal(m.routeCount('GET /never/requested', 60), 0)
  assert.equal(m.routeP95('GET /never/requested', 60), undefined)
  // The slow route sleeps 60 ms, so its p95 cannot be below that.
  assert.ok(m.routeP95('GET /test/slow', 60)! >= 60, `p95 ${m.routeP95('GET /test/slow', 60)}`)

  const all = 6 + 2 + 3 + 1
  assert.equal(m.value('http_error_rate', 60), 2 / all)
  assert.equal(m.value('http_rps', 60), Math.round((all / 60) * 1000) / 1000)
  assert.equal(m.value('http_rate_limited_ratio', 60), 0)
  assert.equal(m.value('cache_hit_rate', 60), 2 / 3)
  assert.ok(m.value('http_p99_ms', 60)! >= 60)
  assert.equal(m.collector.inFlight, 0)
})

test('dependency probes and process samples feed db_up, redis_up and event-loop values', async (t) => {
  const app = await appWithTestRoutes(t)
  // The first probe runs at ready; the sampler ticks once a second.
  for (let i = 0; i < 50 && (app.metrics.value('db_up', 60) === undefined || app.metrics.value('event_loop_delay_p99_ms', 60) === undefined); i++) await sleep(100)
  assert.equal(app.metrics.value('db_up', 60), 1)
  assert.equal(app.metrics.value('redis_up', 60), 1)
  assert.equal(typeof app.metrics.value('event_loop_delay_p99_ms', 60), 'number')
  const elu = app.metrics.value('event_loop_utilization', 60)!
  assert.ok(elu >= 0 && elu <= 1)
})

test('pool counts: a transaction holds a connection; queries beyond the pool size wait', async (t) => {
  const app = await appWithTestRoutes(t, { databasePoolMax: 2 })
  const pool = app.db.pool
  // Background jobs (business metrics, probes) also query: assert what our own work adds.
  const idle = async () => { for (let i = 0; i < 100 && (pool.stats().pending > 0 || pool.stats().reserved > 0); i++) await sleep(50) }
  await idle()
  let inside: (() => void) | undefined
  const held = new Promise<void>((resolve) => { inside = resolve })
  let release: (() => void) | undefined
  const tx = app.db.sql.begin(async (sql) => {
    inside!()
    await new Promise<void>((resolve) => { release = resolve })
    await sql`SELECT 1`
  })
  await held
  assert.equal(pool.stats().reserved, 1)
  assert.ok(pool.stats().inUse >= 1)
  const sleeps = [1, 2, 3].map(() => app.db.sql`SELECT pg_sleep(0.2)`.execute())
  const during = pool.stats()
  assert.ok(during.pending >= 3, `pending ${during.pending}`)
  assert.equal(during.inUse, 2)
  assert.equal(during.free, 0)
  assert.equal(during.waiting, during.reserved + during.pending - 2)
  assert.ok(during.waiting >= 2)
  release!()
  await Promise.all([tx, ...sleeps])
  await idle()
  assert.deepEqual({ ...pool.stats() }, { size: 2, inUse: 0, free: 2, waiting: 0, reserved: 0, pending: 0 })
  // The once-a-second sampler takes the peaks, so the burst shows in the per-second samples.
  const c = app.metrics.collector
  const peak = (field: number) => c.samples.maxOver(field, 10, c.nowS()) ?? 0
  for (let i = 0; i < 40 && (peak(G_POOL_IN_USE) < 2 || peak(G_POOL_WAITING) < 2); i++) await sleep(100)
  assert.equal(peak(G_POOL_IN_USE), 2)
  assert.ok(peak(G_POOL_WAITING) >= 2)
  // The transaction's wait for its connection was measured.
  assert.ok(app.metrics.collector.acquire.counts(60, app.metrics.collector.nowS()).count >= 1)
})

test('rolling windows: percentiles per second, minute tier beyond 60 s, expiry, bounded keys (fake clock)', () => {
  const w = new LatencyWindow()
  const t0 = 1_800_000_000
  for (let i = 1; i <= 100; i++) w.record(i, i <= 95 ? 200 : 503, t0)
  let s = w.summary(60, t0)
  assert.equal(s.count, 100)
  assert.equal(s.errors, 5)
  assert.ok(Math.abs(s.p50! - 50) <= 0.5, `p50 ${s.p50}`)
  assert.ok(Math.abs(s.p95! - 95) <= 1, `p95 ${s.p95}`)
  assert.equal(s.max, 100)

  // 30 s later one slow request: the 10-second window sees only it, the 60-second window both.
  w.record(1000, 200, t0 + 30)
  assert.equal(w.summary(10, t0 + 30).count, 1)
  assert.equal(w.summary(10, t0 + 30).p50, 1000)
  assert.equal(w.summary(60, t0 + 30).count, 101)

  // 5 minutes later: per-second histograms are gone, the 15-minute window still has everything.
  s = w.summary(900, t0 + 300)
  assert.equal(s.count, 101)
  assert.equal(s.max, 1000)
  assert.equal(w.summary(60, t0 + 300).count, 0)
  // And 16 minutes later it has all expired.
  w.sweep(t0 + 960)
  assert.equal(w.summary(900, t0 + 960).count, 0)
  assert.equal(w.summary(900, t0 + 960).p95, null)

  const set = new WindowSet(2, 'OTHER')
  set.get('a').record(1, 200, t0)
  set.get('b').record(1, 200, t0)
  set.get('c').record(1, 200, t0)
  set.get('d').record(1, 200, t0)
  assert.deepEqual([...set.entries()].map(([k]) => k), ['a', 'b', 'OTHER'])
  assert.equal(set.find('OTHER')!.counts(60, t0).count, 2)
})

test('rolling windows: the running 60-second histogram matches the exact percentiles as seconds expire', () => {
  const w = new LatencyWindow()
  const t0 = 1_800_000_000
  const recorded: { s: number, ms: number }[] = []
  let seed = 7
  const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 }
  for (let s = t0; s < t0 + 150; s++) {
    for (let i = 0; i < 20; i++) {
      const ms = 1 + random() * (s % 30 === 0 ? 900 : 40)
      w.record(ms, 200, s)
      recorded.push({ s, ms })
    }
    if (s % 7 === 0) w.sweep(s)
    if (s - t0 >= 59 && (s - t0) % 13 === 0) {
      const inWindow = recorded.filter((r) => r.s > s - 60).map((r) => r.ms).sort((a, b) => a - b)
      const exact = (p: number) => inWindow[Math.ceil((p / 100) * inWindow.length) - 1]
      const summary = w.summary(60, s)
      assert.equal(summary.count, inWindow.length)
      for (const [p, got] of [[50, summary.p50], [95, summary.p95], [99, summary.p99]] as const) {
        assert.ok(Math.abs(got! - exact(p)) <= exact(p) * 0.011 + 0.001, `p${p} at +${s - t0}s: ${got} vs ${exact(p)}`)
      }
    }
  }
})

test('collector: chart points per second and window means of the process samples (fake clock)', () => {
  let now = 1_800_000_000_000
  const c = new MetricsCollector({ now: () => now, poolSize: 10 })
  c.recordHttp('GET /a', 10, 200, 2, 1)
  c.recordHttp('GET /a', 30, 500, 0, 0)
  c.recordCache('product_detail', 'l1', true)
  c.recordCache('product_detail', 'miss', false)
  now += 1000
  c.recordSample(c.nowS() - 1, { eventLoopP50Ms: 1, eventLoopP99Ms: 20, eventLoopMaxMs: 25, elu: 0.5, cpuRatio: 0.3, poolInUse: 4, poolWaiting: 1 })
  c.tick()
  const [point] = c.series(c.nowS() - 1, c.nowS() - 1)
  assert.equal(point.requests, 2)
  assert.equal(point.errorRate, 0.5)
  assert.equal(point.cacheHitRate, 0.5)
  assert.equal(point.eventLoopP99, 20)
  assert.equal(point.poolInUse, 4)
  now += 1000
  c.recordSample(c.nowS() - 1, { eventLoopP50Ms: 1, eventLoopP99Ms: 40, eventLoopMaxMs: 45, elu: 0.7, cpuRatio: 0.3, poolInUse: 6, poolWaiting: 3 })
  assert.equal(c.value('event_loop_delay_p99_ms', 60), 30)
  assert.equal(c.value('event_loop_utilization', 60), 0.6)
  assert.equal(c.value('db_pool_utilization', 60), 0.5)
  assert.equal(c.value('db_pool_waiting', 60), 2)
  assert.equal(c.value('low_stock_products', 60), undefined)
  c.setExternal('low_stock_products', 7)
  assert.equal(c.value('low_stock_products', 60), 7)
})
