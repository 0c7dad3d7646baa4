import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { describe, test } from 'node:test'
import postgres from 'postgres'
import { Value } from 'typebox/value'
import { loadConfig } from '../../../src/config.js'
import { seedDatabase } from '../../../src/db/seed/index.js'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseCli, UsageError } from '../../../tools/loadtest/cli.js'
import { renderCurveSvg } from '../../../tools/loadtest/curve-chart.js'
import { curveProfile, DEFAULT_CURVE_RATES } from '../../../tools/loadtest/curve.js'
import { planOutline } from '../../../tools/loadtest/findings.js'
import { cpuSplit } from '../../../tools/loadtest/machine-cpu.js'
import { Pacer, RampClock, RateClock, spikeFactor, spikePoolSize, spikeWindow } from '../../../tools/loadtest/open-model.js'
import { createRng, createWeightedPicker, createZipfSampler, deriveSeed } from '../../../tools/loadtest/prng.js'
import { delta, parsePrometheus, sumBy } from '../../../tools/loadtest/prometheus.js'
import { Recorder } from '../../../tools/loadtest/recorder.js'
import { DEFAULT_TARGETS, evaluateTargets, renderMarkdown, traffic, verdictOf, writeReport } from '../../../tools/loadtest/report.js'
import { ReportSchema, type CurveStep, type ServerFigures } from '../../../tools/loadtest/report-schema.js'
import { runLoadTest } from '../../../tools/loadtest/runner.js'
import { DEFAULT_MIX, parseMix } from '../../../tools/loadtest/scenarios.js'
import { serverFigures } from '../../../tools/loadtest/server-metrics.js'
import { mintToken } from '../../../tools/loadtest/users.js'
import { classify } from '../../../tools/loadtest/virtual-user.js'
import { buildTestApp, flushRedisPrefix, resetDb, TEST_DATABASE_URL } from '../../support/helper.js'

describe('loadtest: seeded randomness', () => {
  test('the same seed gives the same stream, another seed another', () => {
    const a = createRng(deriveSeed(1, 'visits', 7))
    const b = createRng(deriveSeed(1, 'visits', 7))
    const c = createRng(deriveSeed(1, 'visits', 8))
    const first = [a(), a(), a()]
    assert.deepEqual([b(), b(), b()], first)
    assert.notDeepEqual([c(), c(), c()], first)
    for (const v of first) assert.ok(v >= 0 && v < 1)
  })

  test('Zipf draws stay in range and favour the first items', () => {
    const draw = createZipfSampler(1000, 1)
    const rng = createRng(3)
    let top10 = 0
    for (let i = 0; i < 10_000; i++) {
      const k = draw(rng)
      assert.ok(k >= 0 && k < 1000)
      if (k < 10) top10++
    }
    // Under Zipf(1) the first 10 of 1000 items hold H(10)/H(1000) ≈ 39% of the draws; uniform would give 1%.
    assert.ok(top10 > 3000 && top10 < 4800, `top-10 share ${top10}`)
  })

  test('weighted picks never choose a zero weight', () => {
    const pick = createWeightedPicker({ browse: 1, search: 0, cart: 3 })
    const rng = createRng(9)
    const seen = new Set<string>()
    for (let i = 0; i < 2000; i++) seen.add(pick(rng))
    assert.deepEqual([...seen].sort(), ['browse', 'cart'])
    assert.throws(() => createWeightedPicker({ a: 0 }), /positive weight/)
  })
})

describe('loadtest: open and closed models', () => {
  test('the open schedule ignores responses and keeps its mean rate', () => {
    const window = { start: 0, end: 600_000 }
    const open = new Pacer({ model: 'open', arrival: 'poisson', meanGapMs: 500, window }, createRng(1), 0)
    const dues: number[] = []
    for (let due = open.nextDue(); due !== undefined; due = open.nextDue()) {
      dues.push(due)
      open.completed(due + 5000) // a very slow server must not slow the schedule down
    }
    // 600 s at one request per 500 ms: 1200 expected; Poisson noise is about ±35.
    assert.ok(dues.length > 1100 && dues.length < 1300, `${dues.length} arrivals`)
    for (let i = 1; i < dues.length; i++) assert.ok(dues[i] >= dues[i - 1])
  })

  test('the warm-up ramps the open rate from 10% to full', () => {
    const pacer = new Pacer({ model: 'open', arrival: 'uniform', meanGapMs: 10, window: { start: 0, end: 20_000 }, rampMs: 10_000 }, createRng(2), 0)
    let ramp = 0
    let full = 0
    for (let due = pacer.nextDue(); due !== undefined; due = pacer.nextDue()) {
      if (due < 10_000) ramp++
      else full++
    }
    // Full rate is 100/s: 1000 in the last 10 s; the linear ramp from 10% averages 55%: 550 before.
    assert.ok(full >= 998 && full <= 1002, `${full} at full rate`)
    assert.ok(ramp >= 545 && ramp <= 555, `${ramp} while ramping`)
    const clock = new RampClock(10_000)
    for (const t of [0, 1, 2500, 9999, 10_000, 15_000]) assert.ok(Math.abs(clock.toReal(clock.toOperational(t)) - t) < 1e-6, `round trip at ${t}`)
  })

  test('the capacity curve\'s profile offers each rate for its step, after a ramp to the first', () => {
    const curve = { rates: [500, 1000, 2000], stepS: 10 }
    const { points, topRate } = curveProfile(curve, 5000)
    assert.equal(topRate, 2000)
    // 200 users at the top rate: one request per 100 ms each at full share.
    const users = 200
    const counts = [0, 0, 0]
    let ramp = 0
    for (let u = 0; u < users; u++) {
      const pacer = new Pacer({ model: 'open', arrival: 'poisson', meanGapMs: (users / topRate) * 1000, window: { start: 0, end: 35_000 }, profile: points }, createRng(deriveSeed(4, 'timing', u)), 0)
      for (let due = pacer.nextDue(); due !== undefined; due = pacer.nextDue()) {
        if (due < 5000) ramp++
        else counts[Math.floor((due - 5000) / 10_000)]++
      }
    }
    // Poisson: 5,000 / 10,000 / 20,000 expected, standard deviations 71 / 100 / 141; the ramp averages 55 % of 500/s over 5 s.
    assert.ok(Math.abs(counts[0] - 5000) < 400, `step 1: ${counts[0]}`)
    assert.ok(Math.abs(counts[1] - 10_000) < 600, `step 2: ${counts[1]}`)
    assert.ok(Math.abs(counts[2] - 20_000) < 800, `step 3: ${counts[2]}`)
    assert.ok(Math.abs(ramp - 1375) < 200, `ramp: ${ramp}`)
    const clock = new RateClock(points)
    for (const t of [0, 2500, 5000, 9999, 15_000, 15_001, 25_000, 40_000]) assert.ok(Math.abs(clock.toReal(clock.toOperational(t)) - t) < 1e-6, `round trip at ${t}`)
    assert.throws(() => new RateClock([[10, 1]]), /starts at 0 ms/)
  })

  test('the closed model schedules from the previous completion', () => {
    const closed = new Pacer({ model: 'closed', arrival: 'uniform', meanGapMs: 100, window: { start: 0, end: 10_000 } }, createRng(1), 0)
    const first = closed.nextDue()!
    closed.completed(first + 2000)
    assert.equal(closed.nextDue(), first + 2000 + 100)
  })

  test('a spike brings extra users online and keeps the base population', () => {
    const base = 100
    const factor = 5
    const durationMs = 60_000
    const windows = Array.from({ length: spikePoolSize(base, factor) }, (_, i) => spikeWindow(i, base, factor, 0, durationMs))
    const onlineAt = (t: number) => windows.filter((w) => w.start <= t && t < w.end).length
    assert.equal(windows.length, 500)
    assert.equal(onlineAt(5_000), base)
    assert.equal(onlineAt(30_000), 500)
    assert.equal(onlineAt(55_000), base)
    assert.equal(spikeFactor(30_000, durationMs, factor), 5)
    const ramp = onlineAt(18_000)
    assert.ok(ramp > base && ramp < 500, `${ramp} users online mid-ramp`)
  })
})

describe('loadtest: classification and recording', () => {
  test('429s, expected conflicts and errors are told apart', () => {
    assert.equal(classify(200, undefined), 'ok')
    assert.equal(classify(201, [409]), 'ok')
    assert.equal(classify(429, [409]), 'limited')
    assert.equal(classify(409, [409]), 'expected')
    assert.equal(classify(409, undefined), 'error')
    assert.equal(classify(503, [409]), 'error')
    assert.equal(classify(0, [409]), 'error')
  })

  test('the recorder keeps 429s out of the latency figures and counts drops as errors', () => {
    const rec = new Recorder()
    for (let i = 1; i <= 100; i++) rec.record('GET /products/:id', i, '200', 'ok')
    rec.record('GET /products/:id', 0.1, '429', 'limited')
    rec.record('GET /products/:id', 0, 'DROPPED', 'error')
    const [e] = rec.endpoints()
    assert.equal(e.counts.total, 102)
    assert.equal(e.counts.limited, 1)
    assert.equal(e.counts.errors, 1)
    assert.equal(e.counts.statuses.DROPPED, 1)
    assert.ok(Math.abs(e.latency.p95 - 95) < 0.5, `p95 ${e.latency.p95}`)
    assert.equal(e.latency.max, 100)
    const t = traffic(rec.totals(), rec.overallLatency(), 10)
    assert.equal(t.rps, 10.2)
    assert.equal(t.okRps, 10)
    assert.ok(Math.abs(t.errorRate - 1 / 102) < 1e-9)
    const second = rec.tick(1)
    assert.equal(second.responses, 102)
    assert.equal(rec.tick(2).responses, 0)
    rec.destroy()
  })
})

const NO_SERVER: ServerFigures = { source: 'GET /metrics answered 401', available: false, cacheLookups: null, cacheHitRate: null, cacheByType: [], dbQueries: null, dbTimeMs: null, dbMsPerRequest: null, dbByQuery: [], serverRequests: null }

describe('loadtest: server metrics and targets', () => {
  const before = parsePrometheus([
    '# HELP techmart_cache_operations_total Cache reads',
    'techmart_cache_operations_total{type="product_detail",layer="l1",result="hit"} 10',
    'techmart_cache_operations_total{type="product_detail",layer="miss",result="miss"} 5',
    'techmart_db_query_duration_seconds_sum{query="catalog.get",outcome="ok"} 0.5',
    'techmart_db_query_duration_seconds_count{query="catalog.get",outcome="ok"} 5',
    'techmart_http_request_duration_seconds_count{method="GET",route="/api/v1/products/:id",status_code="200"} 15'
  ].join('\n'))
  const after = parsePrometheus([
    'techmart_cache_operations_total{type="product_detail",layer="l1",result="hit"} 100',
    'techmart_cache_operations_total{type="product_detail",layer="l2",result="hit"} 8',
    'techmart_cache_operations_total{type="product_detail",layer="miss",result="miss"} 7',
    'techmart_db_query_duration_seconds_sum{query="catalog.get",outcome="ok"} 0.52',
    'techmart_db_query_duration_seconds_count{query="catalog.get",outcome="ok"} 7',
    'techmart_http_request_duration_seconds_count{method="GET",route="/api/v1/products/:id",status_code="200"} 115'
  ].join('\n'))

  test('the Prometheus parser reads labels and values', () => {
    assert.equal(before.length, 5)
    assert.deepEqual(sumBy(before, 'techmart_cache_operations_total', 'layer'), new Map([['l1', 10], ['miss', 5]]))
    assert.deepEqual(delta(new Map([['a', 5]]), new Map([['a', 3]])), new Map([['a', 3]]), 'a counter reset yields the new value')
  })

  test('cache hit rate and DB time are deltas over the window', () => {
    const f = serverFigures({ samples: before, instances: 1 }, { samples: after, instances: 1 }, 1)
    assert.equal(f.available, true)
    assert.equal(f.cacheLookups, 100) // 90 + 8 hits, 2 misses
    assert.equal(f.cacheHitRate, 0.98)
    assert.equal(f.dbQueries, 2)
    assert.equal(f.dbTimeMs, 20)
    assert.equal(f.serverRequests, 100)
    assert.equal(f.dbMsPerRequest, 0.2)
    assert.equal(serverFigures({ problem: 'GET /metrics answered 401' }, { samples: after, instances: 1 }, 1).available, false)
  })

  test('the CPU split charges the machine\'s busy time not owned by known processes to "other"', () => {
    const a = { at: 0, busy: 0, total: 0, groups: { server: 0, postgres: 0, redis: 0, generator: 0, other: 0 } }
    // 10 s on 2 cores = 2000 jiffies; 1500 busy: server 800, postgres 300, redis 50, generator 150 → other 200.
    const b = { at: 10_000, busy: 1500, total: 2000, groups: { server: 800, postgres: 300, redis: 50, generator: 150, other: 90 } }
    assert.deepEqual(cpuSplit(a, b, 2), { server: 80, postgres: 30, redis: 5, generator: 15, other: 20, idle: 50 })
  })

  test('a slow query plan is summarised as its first nodes', () => {
    const plan = [{ Plan: { 'Node Type': 'Limit', Plans: [{ 'Node Type': 'Sort', Plans: [{ 'Node Type': 'Seq Scan', 'Relation Name': 'products' }] }] } }]
    assert.equal(planOutline(plan), 'Limit > Sort > Seq Scan on products')
    assert.equal(planOutline([{ Plan: { 'Node Type': 'Index Scan', 'Index Name': 'products_pkey' } }]), 'Index Scan using products_pkey')
    assert.equal(planOutline(null), '')
  })

  test('an unmeasured cache hit rate fails the verdict; a met set of targets passes', () => {
    const rec = new Recorder()
    for (let i = 0; i < 2000; i++) rec.record('GET /cart', 20, '200', 'ok')
    const overall = traffic(rec.totals(), rec.overallLatency(), 1)
    rec.destroy()
    const failing = evaluateTargets(DEFAULT_TARGETS, { overall, server: NO_SERVER, rpsApplies: true, cacheApplies: true, flashExact: null })
    assert.equal(failing.find((t) => t.name === 'cache hit rate')?.pass, false)
    assert.equal(verdictOf(failing), 'FAIL')
    const passing = evaluateTargets(DEFAULT_TARGETS, { overall, server: { ...NO_SERVER, available: true, cacheHitRate: 0.9 }, rpsApplies: true, cacheApplies: true, flashExact: null })
    assert.equal(verdictOf(passing), 'PASS')
    const flash = evaluateTargets(DEFAULT_TARGETS, { overall, server: { ...NO_SERVER, available: true, cacheHitRate: 0.9 }, rpsApplies: false, cacheApplies: false, flashExact: false })
    assert.equal(flash.find((t) => t.name === 'throughput')?.pass, null)
    assert.equal(flash.find((t) => t.name === 'cache hit rate')?.pass, null)
    assert.equal(verdictOf(flash), 'FAIL')
  })
})

describe('loadtest: command line', () => {
  const config = loadConfig({}, {})

  test('defaults: mixed, 1000 users, 60 s, open model', () => {
    const { options } = parseCli([], config)
    assert.equal(options.scenario, 'mixed')
    assert.equal(options.users, 1000)
    assert.equal(options.durationS, 60)
    assert.equal(options.model, 'open')
    assert.equal(options.baseUrl, `http://127.0.0.1:${config.port}`)
  })

  test('bad flags are usage errors that name the flag', () => {
    assert.throws(() => parseCli(['--scenario', 'nope'], config), (err: Error) => err instanceof UsageError && /--scenario/.test(err.message))
    assert.throws(() => parseCli(['--users', '0'], config), /--users/)
    assert.throws(() => parseCli(['--bogus'], config), UsageError)
    assert.throws(() => parseMix('browse=10,teleport=5', ['browse']), /teleport/)
    assert.throws(() => parseCli(['--mix', 'flash=1'], config), /flash-sale/)
  })

  test('--curve offers the default rates in steps of --step-seconds; --flood takes a path and connections', () => {
    const { options } = parseCli(['--curve', '--step-seconds', '10'], config)
    assert.deepEqual(options.curve, { rates: [...DEFAULT_CURVE_RATES], stepS: 10 })
    assert.deepEqual(DEFAULT_CURVE_RATES, [500, 1000, 2000, 3000, 4000])
    assert.equal(options.durationS, 50, 'the measured window is the steps')
    assert.deepEqual(parseCli(['--curve', '--curve-rates', '100,300'], config).options.curve, { rates: [100, 300], stepS: 20 })
    assert.throws(() => parseCli(['--curve', '--model', 'closed'], config), /open model/)
    assert.throws(() => parseCli(['--curve', '--scenario', 'spike'], config), /--scenario spike/)
    assert.throws(() => parseCli(['--curve', '--curve-rates', '100,-3'], config), /--curve-rates/)
    assert.throws(() => parseCli(['--step-seconds', '5'], config), /go with --curve/)
    assert.deepEqual(parseCli(['--flood', '/openapi.json'], config).options.flood, { path: '/openapi.json', connections: 64 })
    assert.deepEqual(parseCli(['--flood', '/health/ready', '--flood-connections', '8'], config).options.flood, { path: '/health/ready', connections: 8 })
    assert.throws(() => parseCli(['--flood', 'openapi.json'], config), /--flood must be a path/)
  })

  test('minted tokens carry the claims the server signs', () => {
    const token = mintToken('a-secret-of-sixteen-chars', { id: 42, role: 'customer' }, 600)
    const [, payload] = token.split('.')
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>
    assert.equal(claims.sub, '42')
    assert.equal(claims.role, 'customer')
    assert.equal((claims.exp as number) - (claims.iat as number), 600)
  })
})

const METRICS_TOKEN = 'loadtest-smoke-metrics-token'

async function countOrders (): Promise<number> {
  const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} })
  try {
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM orders`
    return row.n
  } finally {
    await sql.end({ timeout: 5 })
  }
}

let seeded: Promise<void> | undefined

/** The small seeded catalogue both real-server runs use, made once per file. */
function seedOnce (): Promise<void> {
  seeded ??= (async () => {
    await resetDb()
    const sql = postgres(TEST_DATABASE_URL, { max: 2, onnotice: () => {} })
    try {
      await seedDatabase(sql, { products: 400, categories: 20, users: 40, orders: 60, reviews: 150, carts: 5, seed: 7, demoPassword: 'techmart-demo' })
    } finally {
      await sql.end({ timeout: 5 })
    }
  })()
  return seeded
}

describe('loadtest smoke (10 users, 5 s, real server)', () => {
  test('the mixed journeys run end to end, place orders and produce a well-formed report', async (t) => {
    await seedOnce()
    // Per-user rate limits stay on (each virtual user has its own budget); load shedding is off so a busy
    // machine cannot turn an expected answer into a 503. 429s are counted apart and not asserted.
    const app = await buildTestApp(t, { metricsToken: METRICS_TOKEN, loadSheddingEnabled: false })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const ordersBefore = await countOrders()

    const report = await runLoadTest({
      baseUrl: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
      databaseUrl: TEST_DATABASE_URL,
      scenario: 'mixed',
      users: 10,
      durationS: 5,
      warmupS: 0,
      rate: 40,
      model: 'open',
      arrival: 'poisson',
      thinkMs: 0,
      seed: 1,
      zipf: 1,
      connections: 16,
      timeoutMs: 10_000,
      maxLagMs: 10_000,
      maxInFlight: 100,
      auth: 'mint',
      jwtSecret: app.config.jwtSecret,
      jwtExpiresInS: app.config.jwtExpiresInS,
      password: 'techmart-demo',
      metricsToken: METRICS_TOKEN,
      acceptEncoding: 'gzip',
      // Checkout-heavy so a 5-second run surely reaches POST /orders; every other journey still runs.
      mix: { ...DEFAULT_MIX, checkout: 30 },
      targets: DEFAULT_TARGETS
    }, { log: () => {}, live: () => {} })

    assert.ok(Value.Check(ReportSchema, report), JSON.stringify([...Value.Errors(ReportSchema, report)].slice(0, 3)))
    const placed = (await countOrders()) - ordersBefore
    assert.ok(report.visits.ordersPlaced > 0, 'the checkout journey placed no order')
    assert.equal(placed, report.visits.ordersPlaced, 'orders in the database match the orders the journeys counted')
    const orders = report.endpoints.find((e) => e.endpoint === 'POST /orders')
    assert.ok(orders && orders.statuses['201'] > 0)
    for (const endpoint of ['GET /categories/:id/products', 'GET /products/:id', 'GET /products/search', 'POST /cart/add', 'GET /users/profile']) {
      assert.ok(report.endpoints.some((e) => e.endpoint === endpoint), `${endpoint} was never called`)
    }
    assert.equal(report.overall.errors, 0, JSON.stringify(report.overall.statuses))
    assert.equal(report.server.available, true, report.server.source)
    assert.ok(report.server.cacheHitRate !== null && report.server.cacheLookups! > 0)
    assert.ok(report.server.dbQueries! > 0)
    assert.ok(!report.findings.notes.some((n) => n.startsWith('slow queries')), report.findings.notes.join('; '))
    assert.equal(report.settings.users, 10)
    assert.equal(report.machine.cpuSplit?.serverFound, true, 'the server listening on the port was found in /proc')
    const database = report.machine.database
    assert.ok(database, 'the database under test was described')
    assert.equal(database.autovacuum, (await app.db.sql<{ on: boolean }[]>`SELECT current_setting('autovacuum') = 'on' AS on`)[0].on)
    assert.ok(database.liveRows > 0, 'the seeded tables have live rows')
    assert.match(renderMarkdown(report), /- Database under test before the run: autovacuum (on|off), [\d,]+ dead rows beside [\d,]+ live ones/)
    assert.equal(report.targets.length, 4)
    assert.ok(report.timeline.length >= 4)
    await flushRedisPrefix(app)
  })
})

describe('loadtest capacity curve at a tiny scale (real server)', () => {
  test('--curve: one run, a step per rate with its own percentiles, successful req/s, 429s and 503s, a chart; --flood beside it', async (t) => {
    await seedOnce()
    const app = await buildTestApp(t, { metricsToken: METRICS_TOKEN, loadSheddingEnabled: false })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const report = await runLoadTest({
      baseUrl: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
      databaseUrl: TEST_DATABASE_URL,
      scenario: 'browse',
      users: 10,
      durationS: 6,
      warmupS: 0,
      model: 'open',
      arrival: 'uniform',
      thinkMs: 0,
      seed: 3,
      zipf: 1,
      connections: 16,
      timeoutMs: 10_000,
      maxLagMs: 10_000,
      maxInFlight: 100,
      auth: 'mint',
      jwtSecret: app.config.jwtSecret,
      jwtExpiresInS: app.config.jwtExpiresInS,
      password: 'techmart-demo',
      metricsToken: METRICS_TOKEN,
      acceptEncoding: 'gzip',
      targets: DEFAULT_TARGETS,
      curve: { rates: [10, 30], stepS: 3 },
      flood: { path: '/health/live', connections: 2 }
    }, { log: () => {}, live: () => {} })

    assert.ok(Value.Check(ReportSchema, report), JSON.stringify([...Value.Errors(ReportSchema, report)].slice(0, 3)))
    const steps = report.curve?.steps ?? []
    assert.equal(report.curve?.stepS, 3)
    assert.deepEqual(steps.map((s) => s.offeredRps), [10, 30])
    // Uniform arrivals: 30 and 90 requests due in the two 3-second steps (a user's phase puts a few at the edges).
    assert.ok(steps[0].requests >= 20 && steps[0].requests <= 40, `step 1: ${steps[0].requests} requests`)
    assert.ok(steps[1].requests >= 70 && steps[1].requests <= 110, `step 2: ${steps[1].requests} requests`)
    assert.equal(steps[0].requests + steps[1].requests, report.overall.requests, 'every measured request is in one step')
    for (const s of steps) {
      assert.ok(s.okRps > 0 && s.latencyMs.p50 > 0 && s.latencyMs.p50 <= s.latencyMs.p95 && s.latencyMs.p95 <= s.latencyMs.p99)
      assert.equal(s.shed, 0)
    }
    assert.deepEqual(report.targets.map((x) => x.name), ['10 req/s offered', '30 req/s offered', 'cache hit rate'])
    assert.ok(report.flood && report.flood.problem === null, JSON.stringify(report.flood))
    assert.ok(report.flood.requests > 0 && (report.flood.statuses['200'] ?? 0) > 0, JSON.stringify(report.flood))

    const dir = await mkdtemp(path.join(os.tmpdir(), 'techmart-curve-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const files = await writeReport(report, path.join(dir, 'curve'))
    assert.equal(files.svg, path.join(dir, 'curve.svg'))
    const markdown = await readFile(files.markdown, 'utf8')
    assert.match(markdown, /## Capacity curve/)
    assert.match(markdown, /!\[capacity curve\]\(curve\.svg\)/)
    assert.match(markdown, /\| 30 \| \d+ \| [\d.]+ \|/)
    assert.match(markdown, /## Flood beside the journeys/)
    const svg = await readFile(files.svg!, 'utf8')
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/)
    assert.equal((svg.match(/<circle /g) ?? []).length, 2 * 7, 'a point per step on each solid line')
    assert.match(svg, /load average [\d.]+ → [\d.]+ on \d+ cores/)
    await flushRedisPrefix(app)
  })

  test('the chart: every series, both panels, the 50 and 200 ms marks, escaped text', () => {
    const step = (offeredRps: number, okRps: number, p95: number, limited = 0, shed = 0): CurveStep => ({
      offeredRps, durationS: 10, requests: offeredRps * 10, rps: offeredRps, okRps, latencyMs: { p50: p95 / 3, p95, p99: p95 * 2, max: p95 * 3, mean: p95 / 2 }, limited, shed, errors: shed, errorRate: shed / (offeredRps * 10)
    })
    const svg = renderCurveSvg([step(500, 500, 8), step(1000, 1000, 12), step(2000, 1900, 40), step(4000, 2600, 2400, 3000, 4000)], 'mixed <&> 10 s')
    for (const name of ['offered', 'successful/s', '429/s', '503/s', 'other failures/s', 'p50', 'p95', 'p99', '50 ms', '200 ms', 'Requests per second', 'Latency from the scheduled start']) assert.ok(svg.includes(`>${name}`), name)
    assert.ok(svg.includes('mixed &lt;&amp;&gt; 10 s'))
    assert.equal((svg.match(/<path /g) ?? []).length, 8)
    assert.ok(svg.includes('>1,000 ms<') || svg.includes('>10,000 ms<'), 'the log axis reaches the slowest p99')
    assert.ok(!svg.includes('NaN'))
  })
})
