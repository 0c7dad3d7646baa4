import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import postgres from 'postgres'
import { QueryBaselines, bucketOf, quantileOf, type QueryBaselinesOptions } from '../../../../../src/modules/monitoring/slow-queries/query-baselines.js'
import { captureSummary, planSummary, redactExpression, redactPlanValues } from '../../../../../src/modules/monitoring/slow-queries/plans.js'
import { createSlowQueriesService } from '../../../../../src/modules/monitoring/slow-queries/service.js'
import type { NewSlowQuery, SlowQueriesRepository } from '../../../../../src/modules/monitoring/slow-queries/repository.js'
import type { SlowQuery } from '../../../../../src/modules/monitoring/slow-queries/schemas.js'
import { buildTestApp, resetDb, TEST_DATABASE_URL } from '../../../../support/helper.js'
import { createUser } from '../../../../support/fixtures.js'
import { createRng } from '../../../../../tools/loadtest/prng.js'

// Short settings: a tick every 100 ms, a 1 s window (10 ticks), a 20 s baseline of 2 s minimum.
const SETTINGS: QueryBaselinesOptions = { factor: 3, floorMs: 5, minSamples: 20, windowS: 1, intervalMs: 100, baselineS: 20, baselineMinS: 2 }

/** Drives a QueryBaselines with a fake clock: `perTick` executions of `ms()` per tick. */
function driver (opts: Partial<QueryBaselinesOptions> = {}) {
  const settings = { ...SETTINGS, ...opts }
  const b = new QueryBaselines(settings)
  let now = 1_000_000
  const run = (ticks: number, perTick: number, ms: (i: number) => number, name = 'q') => {
    const results = []
    for (let t = 0; t < ticks; t++) {
      for (let i = 0; i < perTick; i++) b.record(name, ms(i), () => ({ sql: 'SELECT 1', params: [i] }))
      now += settings.intervalMs
      results.push(b.tick(now))
    }
    return results
  }
  return { b, run, view: (name = 'q') => b.view().find((v) => v.name === name) }
}

test('buckets: 8 per octave, the quantile within 5 % of the value', () => {
  for (const v of [0.02, 0.4, 1, 3.3, 45, 1234, 18_000]) {
    const sums = new Uint32Array(200)
    sums[bucketOf(v)] = 1
    const q = quantileOf(sums, 1, 0.95)!
    assert.ok(Math.abs(q - v) / v < 0.05, `${v} → ${q}`)
  }
  assert.equal(quantileOf(new Uint32Array(200), 0, 0.95), null)
  assert.equal(bucketOf(Number.NaN), 0)
  assert.ok(bucketOf(1e9) < 200, 'very slow executions land in the last bucket')
})

test('no baseline before baselineMinS of not-degraded time, so nothing is degraded at start', () => {
  const d = driver()
  // 3 ms steady, then 50 ms right away: the window has data, the baseline is not trusted yet.
  d.run(5, 5, () => 3)
  const early = d.run(5, 5, () => 50)
  assert.ok(early.every((r) => r.over.length === 0 && r.entered.length === 0))
  assert.equal(d.view(), undefined, 'no trusted baseline, not listed')
})

test('noise is not a degradation: jitter and rare outliers around a 2 ms baseline', () => {
  const d = driver()
  const rng = createRng(42)
  // 1–3 ms, plus one 40 ms outlier in two hundred executions: the p95 of any window stays near 3 ms.
  const noisy = () => rng() < 0.005 ? 40 : 1 + 2 * rng()
  d.run(60, 10, noisy)
  const results = d.run(300, 10, noisy)
  assert.ok(results.every((r) => r.entered.length === 0), 'never degraded')
  const v = d.view()!
  assert.ok(v.baselineMs! > 2 && v.baselineMs! < 4, `baseline ${v.baselineMs}`)
})

test('a 3x rise above the floor degrades the query within one window; the capture has p95, baseline and a slow sample', () => {
  const d = driver()
  d.run(40, 10, () => 3)
  const base = d.view()!.baselineMs!
  assert.ok(Math.abs(base - 3) < 0.2, `baseline ${base}`)
  const results = d.run(10, 10, (i) => i === 3 ? 60 : 45)
  const first = results.findIndex((r) => r.entered.includes('q'))
  assert.ok(first >= 0 && first < 3, `degraded at tick ${first}`)
  const over = results[first].over[0]
  assert.equal(over.name, 'q')
  assert.ok(over.p95Ms >= 40, `p95 ${over.p95Ms}`)
  assert.ok(Math.abs(over.baselineMs - 3) < 0.2)
  assert.equal(over.sample?.durationMs, 60, 'the slowest execution of the window')
  assert.deepEqual(over.sample?.sql?.(), { sql: 'SELECT 1', params: [3] })
  assert.ok(over.slowCount >= 10, 'executions over 3x the baseline are counted')
  assert.ok(d.view()!.degraded)
})

test('the slow executions of a process start do not make the baseline', () => {
  const d = driver()
  // A cold start of 0.8 s: its executions keep the window p95 high for another window (1 s), so
  // 1.8 s of high window p95s, outnumbered once 3 ms has lasted longer than that.
  d.run(8, 10, () => 120)
  d.run(60, 10, () => 3)
  assert.ok(Math.abs(d.view()!.baselineMs! - 3) < 0.2, `baseline ${d.view()!.baselineMs}`)
  const results = d.run(5, 10, () => 45)
  assert.ok(results.some((r) => r.entered.includes('q')))
})

test('below the floor a 3x rise is not a degradation', () => {
  const d = driver()
  d.run(40, 10, () => 0.5)
  const results = d.run(30, 10, () => 4) // 8x, but under the 5 ms floor
  assert.ok(results.every((r) => r.entered.length === 0))
})

test('fewer than minSamples executions in the window: no verdict', () => {
  const d = driver()
  d.run(40, 10, () => 3)
  d.run(10, 0, () => 3) // a window without executions
  // One execution per tick: 10 in the 1 s window, under minSamples (20).
  const results = d.run(30, 1, () => 45)
  assert.ok(results.every((r) => r.entered.length === 0))
  assert.equal(d.view()!.p95Ms, null)
})

test('the baseline is frozen while degraded (onset included) and learning resumes after recovery', () => {
  const d = driver()
  d.run(40, 10, () => 3)
  // A gradual onset: 6 ms first (under 3x), then 45 ms, for 8 s (80 ticks).
  d.run(3, 10, () => 6)
  d.run(80, 10, () => 45)
  const during = d.view()!
  assert.ok(during.degraded)
  assert.ok(Math.abs(during.baselineMs! - 3) < 0.2, `baseline ${during.baselineMs} during the incident`)
  // Back to normal: the slow executions leave the window (10 ticks), then a whole calm window
  // (10 more) ends the degradation; the incident's ticks never joined the baseline.
  const recovery = d.run(30, 10, () => 3)
  const out = recovery.findIndex((r) => r.recovered.includes('q'))
  assert.ok(out >= 15 && out <= 21, `recovered at tick ${out}`)
  assert.ok(Math.abs(d.view()!.baselineMs! - 3) < 0.2, `baseline ${d.view()!.baselineMs} after recovery`)
  assert.equal(d.view()!.degraded, false)
})

test('a degradation longer than the baseline period becomes the new normal', () => {
  const d = driver()
  d.run(40, 10, () => 3)
  const results = d.run(260, 10, () => 45) // 26 s > baselineS (20 s)
  assert.ok(results.some((r) => r.recovered.includes('q')), 'the old baseline expired')
  // The new normal is learned from the (now steady) 45 ms.
  const after = d.run(60, 10, () => 45)
  assert.ok(after.every((r) => r.entered.length === 0))
  assert.ok(d.view()!.baselineMs! > 40)
})

test('settings are checked when built', () => {
  assert.throws(() => new QueryBaselines({ ...SETTINGS, factor: 1 }), /factor must be above 1/)
  assert.throws(() => new QueryBaselines({ ...SETTINGS, windowS: 0.05 }), /at least one interval/)
  assert.throws(() => new QueryBaselines({ ...SETTINGS, baselineS: 1 }), /longer than the window/)
})

test('plans: constants are stripped, the telling node is named', () => {
  assert.equal(redactExpression("(search_vector @@ '''laptop'' & ''pro'''::tsquery)"), "(search_vector @@ '…'::tsquery)")
  assert.equal(redactExpression('((id > \'7\'::bigint) AND (total_amount > 12.5) AND (user_id = 42) AND (t1.c2 = $1) AND ("col 9" = 1e+15))'),
    '((id > \'…\'::bigint) AND (total_amount > ?) AND (user_id = ?) AND (t1.c2 = $1) AND ("col 9" = ?))')
  const plan = [{
    Plan: {
      'Node Type': 'Limit',
      'Total Cost': 2549.37,
      Plans: [{
        'Node Type': 'Sort',
        'Sort Key': ["((search_rank <=| '1e+15'::double precision))"],
        'Total Cost': 2549.37,
        Plans: [
          { 'Node Type': 'Seq Scan', 'Relation Name': 'products', Alias: 'p', 'Total Cost': 2549.04, Filter: "(is_active AND (search_vector @@ '''qbcd'''::tsquery))" },
          { 'Node Type': 'Seq Scan', 'Relation Name': 'categories', Alias: 'c', 'Total Cost': 1.6 }
        ]
      }]
    }
  }]
  const redacted = redactPlanValues(plan) as typeof plan
  assert.ok(!JSON.stringify(redacted).includes('qbcd'))
  assert.equal(redacted[0].Plan.Plans[0].Plans[0]['Relation Name'], 'products')
  assert.equal(planSummary(redacted), 'Seq Scan on products', 'the small table\'s scan is left out')
  assert.equal(planSummary([{ Plan: { 'Node Type': 'Hash Join', Plans: [{ 'Node Type': 'Seq Scan', 'Relation Name': 'orders', 'Total Cost': 900 }, { 'Node Type': 'Seq Scan', 'Relation Name': 'users', 'Total Cost': 400 }] } }]),
    'Seq Scan on orders, Seq Scan on users')
  assert.equal(planSummary([{ Plan: { 'Node Type': 'Limit', Plans: [{ 'Node Type': 'Index Scan', 'Relation Name': 'products', 'Index Name': 'products_search_rum_idx', 'Total Cost': 9 }] } }]),
    'Index Scan using products_search_rum_idx on products')
  assert.equal(planSummary([{ Plan: { 'Node Type': 'Bitmap Heap Scan', 'Relation Name': 'products', Plans: [{ 'Node Type': 'Bitmap Index Scan', 'Index Name': 'products_search_vector_idx' }] } }]),
    'Bitmap Heap Scan using products_search_vector_idx on products')
  assert.equal(captureSummary({ name: 'catalog.search_rum', reason: 'relative', durationMs: 61.2, p95Ms: 45.3, baselineMs: 3.08, plan, planError: null }),
    'catalog.search_rum: p95 45 ms, normally 3.1 ms, plan: Seq Scan on products')
  assert.equal(captureSummary({ name: 'orders.write', reason: 'absolute', durationMs: 230, p95Ms: null, baselineMs: null, thresholdMs: 100, plan: null, planError: 'not a SELECT: never re-run for EXPLAIN' }),
    'orders.write: 230 ms (over 100 ms), plan: none (not a SELECT: never re-run for EXPLAIN)')
})

function memoryRepo () {
  const rows: NewSlowQuery[] = []
  const repo = { insert: async (r: NewSlowQuery) => { rows.push(r) }, prune: async () => {}, list: async () => [] } as unknown as SlowQueriesRepository
  return { rows, repo }
}

test('service: a relative capture EXPLAINs the slow execution with its parameters, stores no value, one per cooldown', async () => {
  const { rows, repo } = memoryRepo()
  let now = 1_000_000
  const explained: { sql: string, params?: readonly unknown[] }[] = []
  const baselines = new QueryBaselines(SETTINGS)
  const service = createSlowQueriesService({
    repo,
    explain: async (sql, _count, params) => {
      explained.push({ sql, params })
      return [{ Plan: { 'Node Type': 'Seq Scan', 'Relation Name': 'products', 'Total Cost': 99.5, Filter: "(search_vector @@ '''secret-word'''::tsquery)" } }]
    },
    log: pino({ level: 'silent' }),
    instance: 'unit',
    thresholdMs: 0,
    cooldownMs: 60_000,
    maxRows: 100,
    relative: { baselines, settings: SETTINGS },
    now: () => now
  })
  const query = (ms: number, word: string) => service.onQuery({ name: 'catalog.search_rum', durationMs: ms, ok: true, sql: () => ({ sql: 'SELECT id FROM products WHERE search_vector @@ $1::tsquery', params: [word] }) })
  const tick = () => { now += SETTINGS.intervalMs; service.evaluate() }
  for (let t = 0; t < 40; t++) {
    for (let i = 0; i < 10; i++) query(3, 'fast-word')
    tick()
  }
  for (let t = 0; t < 20; t++) {
    for (let i = 0; i < 10; i++) query(i === 0 ? 80 : 45, i === 0 ? 'secret-word' : 'other')
    tick()
  }
  await service.settled()
  assert.equal(rows.length, 1, 'one relative capture per cooldown while degraded')
  const row = rows[0]
  assert.equal(row.reason, 'relative')
  assert.equal(row.durationMs, 80)
  assert.deepEqual(explained, [{ sql: 'SELECT id FROM products WHERE search_vector @@ $1::tsquery', params: ['secret-word'] }])
  assert.ok(!JSON.stringify(row).includes('secret-word'), 'the value is in no stored field')
  assert.equal(row.paramCount, 1)
  assert.ok(row.p95Ms! >= 40 && Math.abs(row.baselineMs! - 3) < 0.2)
  assert.ok(row.windowSamples! >= 20)
  assert.match(row.summary!, /^catalog\.search_rum: p95 \d+ ms, normally (2\.9|3) ms, plan: Seq Scan on products$/)
  assert.ok((row.occurrences ?? 0) >= 10)
  assert.equal(service.degraded()[0].name, 'catalog.search_rum')
  // Past the cooldown, still degraded: captured again.
  now += 60_000
  for (let i = 0; i < 30; i++) query(45, 'other')
  tick()
  await service.settled()
  assert.equal(rows.length, 2)
})

test('service: the absolute threshold and the relative capture have their own cooldowns', async () => {
  const { rows, repo } = memoryRepo()
  let now = 1_000_000
  const baselines = new QueryBaselines(SETTINGS)
  const service = createSlowQueriesService({
    repo,
    explain: async () => [{ Plan: { 'Node Type': 'Result', 'Total Cost': 0.01 } }],
    log: pino({ level: 'silent' }),
    instance: 'unit',
    thresholdMs: 100,
    cooldownMs: 60_000,
    maxRows: 100,
    relative: { baselines, settings: SETTINGS },
    now: () => now
  })
  const query = (ms: number) => service.onQuery({ name: 'q', durationMs: ms, ok: true, sql: () => ({ sql: 'SELECT 1', params: [] }) })
  for (let t = 0; t < 40; t++) {
    for (let i = 0; i < 10; i++) query(i === 0 && t === 35 ? 150 : 3)
    now += SETTINGS.intervalMs
    service.evaluate()
  }
  for (let t = 0; t < 5; t++) {
    for (let i = 0; i < 10; i++) query(45)
    now += SETTINGS.intervalMs
    service.evaluate()
  }
  await service.settled()
  assert.deepEqual(rows.map((r) => [r.reason, r.summary]), [
    ['absolute', 'q: 150 ms (over 100 ms), plan: Result'],
    ['relative', rows[1]?.summary]
  ])
  assert.match(rows[1].summary!, /^q: p95 \d+ ms, normally (2\.9|3) ms, plan: Result$/)
})

// The drill, shortened, on the real PostgreSQL: searches served by the text index, the index
// dropped, a relative capture with the plan that says why. 20,000 products: without the index
// each search statement scans them all (about 50 ms each on a busy 2-core machine), with it a
// search word's 10 products are found in well under a millisecond.
const PRODUCTS = 20_000
const WORDS = 2000
const TEXT_INDEXES = [
  'CREATE INDEX IF NOT EXISTS products_search_vector_idx ON products USING gin (search_vector) WITH (fastupdate = off) WHERE is_active',
  `CREATE INDEX IF NOT EXISTS products_title_rum_idx ON products USING rum (title_vector rum_tsvector_addon_ops, search_rank)
     WITH (attach = 'search_rank', to = 'title_vector') WHERE is_active`,
  `CREATE INDEX IF NOT EXISTS products_search_rum_idx ON products USING rum (search_vector rum_tsvector_addon_ops, search_rank)
     WITH (attach = 'search_rank', to = 'search_vector') WHERE is_active`
]
const TRIGRAM_INDEX = 'CREATE INDEX IF NOT EXISTS products_name_trgm_idx ON products USING gin (name gin_trgm_ops) WITH (fastupdate = off)'
/** A letters-only word per number, as the vocabulary keeps them: each names PRODUCTS / WORDS products. */
const word = (i: number) => 'q' + [i % 26, Math.floor(i / 26) % 26, Math.floor(i / 676) % 26].map((n) => String.fromCharCode(97 + n)).join('')

let admin: postgres.Sql
let textIndexes: string[] = TEXT_INDEXES.slice(0, 1)

async function restoreIndexes (): Promise<void> {
  for (const ddl of [...textIndexes, TRIGRAM_INDEX]) await admin.unsafe(ddl)
}

before(async () => {
  await resetDb()
  admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} })
  // RUM where the extension is installed, as migration 0012 does.
  if ((await admin`SELECT 1 FROM pg_extension WHERE extname = 'rum'`).length > 0) textIndexes = TEXT_INDEXES
  // Bulk insert without the text and trigram indexes, built once after: seconds instead of a minute.
  await admin`DROP INDEX IF EXISTS products_search_vector_idx, products_title_rum_idx, products_search_rum_idx, products_name_trgm_idx`
  const [seller] = await admin<{ id: number }[]>`
    INSERT INTO users (username, email, password_hash, first_name, last_name, user_type)
    VALUES ('drill_seller', 'drill-seller@test.local', 'x', 'Drill', 'Seller', 'seller') RETURNING id`
  const [category] = await admin<{ id: number }[]>`INSERT INTO categories (name, slug) VALUES ('Gadgets', 'gadgets') RETURNING id`
  const words = Array.from({ length: WORDS }, (_, i) => word(i))
  await admin`
    INSERT INTO products (seller_id, name, slug, description, short_description, sku, price, stock_quantity, category_id, brand)
    SELECT ${seller.id}, 'Gadget ' || (${words}::text[])[1 + g % ${WORDS}] || ' model ' || g, 'gadget-' || g,
      'sturdy compact device with long battery life and fast charging', 'A handy gadget', 'SKU-DRILL-' || g,
      10 + g % 500, 1 + g % 50, ${category.id}, 'Brand' || g % 40
    FROM generate_series(1, ${PRODUCTS}) g`
  await restoreIndexes()
  await admin`ANALYZE products`
  await admin`SELECT catalog_refresh_search_vocabulary()`
})

after(async () => {
  // Leave the test database as the migrations made it.
  await restoreIndexes()
  await admin.end({ timeout: 5 })
})

test('drill: the search text index is dropped under steady searches; a relative capture names the Seq Scan on products', async (t) => {
  const app = await buildTestApp(t, {
    slowQueryMs: 60_000, // the absolute threshold stays out of it
    slowQueryRelativeIntervalMs: 100,
    slowQueryRelativeWindowS: 1,
    slowQueryRelativeMinSamples: 10,
    slowQueryRelativeFloorMs: 3,
    slowQueryBaselineS: 60,
    slowQueryBaselineMinS: 2,
    cacheEnabled: false, // every search reaches the database
    rateLimitEnabled: false,
    loadSheddingEnabled: false,
    profilingEnabled: false
  })
  const user = await createUser(app, { role: 'admin' })
  const rng = createRng(7)
  const state = { stop: false, errors: 0 }
  // in_stock: a filter every search plan serves from the database's text index. Paced, so the
  // event loop the clients share with the app stays mostly idle and query timings are the database's.
  const client = async () => {
    while (!state.stop) {
      const res = await app.inject({ method: 'GET', url: `/api/v1/products/search?q=${word(Math.floor(rng() * WORDS))}&in_stock=true` })
      if (res.statusCode !== 200) state.errors++
      await sleep(10)
    }
  }
  const clients = [client(), client()]
  try {
    // Baselines: the 2 s minimum after the first window.
    const settleBy = Date.now() + 30_000
    let settled: { name: string, baseline_ms: number | null } | undefined
    while (!settled && Date.now() < settleBy) {
      await sleep(250)
      settled = (await app.slowQueries.list(1)).baselines.find((b) => b.name.startsWith('catalog.search_') && b.baseline_ms !== null)
    }
    assert.ok(settled, 'a search query has a baseline')
    const droppedAt = new Date()
    await admin`DROP INDEX IF EXISTS products_search_vector_idx, products_title_rum_idx, products_search_rum_idx`
    let capture: SlowQuery | undefined
    const deadline = Date.now() + 30_000
    while (!capture && Date.now() < deadline) {
      await sleep(200)
      await app.slowQueries.settled()
      capture = (await app.slowQueries.recentRelative({ since: droppedAt })).find((c) => c.name.startsWith('catalog.search_'))
    }
    assert.ok(capture, `a relative capture of a search query after the drop; baselines now: ${JSON.stringify((await app.slowQueries.list(1)).baselines)}`)
    t.diagnostic(`${((Date.parse(capture.captured_at) - droppedAt.getTime()) / 1000).toFixed(1)} s from the drop: ${capture.summary}`)
    assert.equal(capture.reason, 'relative')
    assert.match(capture.summary, /^catalog\.search_[a-z]+: p95 [\d.]+ ms, normally [\d.]+ ms, plan: Seq Scan on products/)
    assert.ok(capture.p95_ms! >= 3 * capture.baseline_ms!, `p95 ${capture.p95_ms} vs baseline ${capture.baseline_ms}`)
    assert.ok(JSON.stringify(capture.plan).includes('"Seq Scan"'))
    assert.ok(!/\bq[a-z]{3}\b/.test(JSON.stringify(capture.plan)), 'no search word in the stored plan')
    // The API serves it too, with the live baseline marked degraded.
    const res = await app.inject({ method: 'GET', url: '/api/v1/monitoring/slow-queries?reason=relative', headers: { authorization: `Bearer ${user.token}` } })
    assert.equal(res.statusCode, 200)
    const body = res.json()
    assert.ok(body.queries.some((q: SlowQuery) => q.id === capture.id && q.summary === capture.summary))
    assert.equal(body.relative.enabled, true)
    assert.equal(body.relative.factor, 3)
  } finally {
    state.stop = true
    await Promise.all(clients)
  }
  assert.equal(state.errors, 0, 'every search answered 200')
})

test('slow-queries API: the reason filter is validated', async (t) => {
  const app = await buildTestApp(t)
  const user = await createUser(app, { role: 'admin' })
  const bad = await app.inject({ method: 'GET', url: '/api/v1/monitoring/slow-queries?reason=sometimes', headers: { authorization: `Bearer ${user.token}` } })
  assert.equal(bad.statusCode, 400)
  assert.equal(bad.json().code, 'APP_VALIDATION_FAILED')
  const ok = await app.inject({ method: 'GET', url: '/api/v1/monitoring/slow-queries?reason=absolute', headers: { authorization: `Bearer ${user.token}` } })
  assert.equal(ok.statusCode, 200)
  assert.deepEqual(ok.json().relative, { enabled: true, factor: 3, floor_ms: 5, window_s: 10, min_samples: 20, baseline_s: 900 })
})
