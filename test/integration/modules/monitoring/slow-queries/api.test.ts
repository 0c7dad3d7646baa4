import { test, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import pino from 'pino'
import slowQueriesPlugin from '../../../../../src/modules/monitoring/slow-queries/plugin.js'
import { slowQueriesRoutes } from '../../../../../src/modules/monitoring/slow-queries/routes.js'
import { createSlowQueriesService, isReadOnlySelect } from '../../../../../src/modules/monitoring/slow-queries/service.js'
import type { NewSlowQuery, SlowQueriesRepository } from '../../../../../src/modules/monitoring/slow-queries/repository.js'
import { timedQuery } from '../../../../../src/lib/observability/instrumentation.js'
import { buildTestApp, resetDb } from '../../../../support/helper.js'
import { createUser } from '../../../../support/fixtures.js'
import { buildMonitoringTestApp, underMonitoring } from '../../../../support/monitoring-app.js'

async function slowQueryApp (t: Parameters<typeof buildMonitoringTestApp>[0], maxRows = 100) {
  return buildMonitoringTestApp(t, async (app, config) => {
    await app.register(slowQueriesPlugin, { databaseUrl: config.databaseUrl, thresholdMs: 50, explainTimeoutMs: 2000, cooldownMs: 60_000, maxRows, instanceId: 'slow-test' })
    await underMonitoring(app, (api) => api.register(slowQueriesRoutes, { slowQueries: app.slowQueries }))
  })
}

beforeEach(async () => { await resetDb() })

test('a slow SELECT is stored with its EXPLAIN plan; parameter values are not stored; fast queries are not', async (t) => {
  const app = await slowQueryApp(t)
  const admin = await createUser(app, { role: 'admin' })
  await timedQuery('test.fast_select', app.db.sql`SELECT 1`)
  await timedQuery('test.slow_select', app.db.sql`SELECT pg_sleep(0.08), count(*) FROM users WHERE email <> ${'very-secret-value@x'}`)
  await app.slowQueries.settled()

  const res = await app.inject({ method: 'GET', url: '/api/v1/monitoring/slow-queries', headers: { authorization: `Bearer ${admin.token}` } })
  assert.equal(res.statusCode, 200)
  const body = res.json()
  assert.equal(body.threshold_ms, 50)
  assert.deepEqual(body.queries.map((q: { name: string }) => q.name), ['test.slow_select'])
  const q = body.queries[0]
  assert.ok(q.duration_ms >= 50)
  assert.equal(q.sql, 'SELECT pg_sleep(0.08), count(*) FROM users WHERE email <> $1')
  assert.equal(q.param_count, 1)
  assert.equal(q.plan_error, null)
  assert.ok(Array.isArray(q.plan) && q.plan[0].Plan['Node Type'], JSON.stringify(q.plan))
  assert.equal(typeof q.total_cost, 'number')
  assert.equal(q.occurrences, 1)
  assert.equal(q.instance, 'slow-test')
  assert.ok(!res.body.includes('very-secret-value'), 'parameter values never reach the table')

  const filtered = await app.inject({ method: 'GET', url: '/api/v1/monitoring/slow-queries?name=other', headers: { authorization: `Bearer ${admin.token}` } })
  assert.deepEqual(filtered.json().queries, [])
})

test('a slow write is recorded without a plan and never executed again', async (t) => {
  const app = await slowQueryApp(t)
  await app.db.sql`CREATE TABLE IF NOT EXISTS slow_query_test_counter (id int PRIMARY KEY, n int NOT NULL)`
  try {
    await app.db.sql`INSERT INTO slow_query_test_counter VALUES (1, 0)`
    await timedQuery('test.slow_update', app.db.sql`UPDATE slow_query_test_counter SET n = n + 1 WHERE id = ${1} AND pg_sleep(0.08) IS NOT NULL`)
    await app.slowQueries.settled()
    const [{ n }] = await app.db.sql<{ n: number }[]>`SELECT n FROM slow_query_test_counter WHERE id = 1`
    assert.equal(n, 1, 'the UPDATE ran once, by its caller only')
  } finally {
    await app.db.sql`DROP TABLE IF EXISTS slow_query_test_counter`
  }
  const { queries } = await app.slowQueries.list(10)
  assert.equal(queries.length, 1)
  assert.equal(queries[0].plan, null)
  assert.equal(queries[0].plan_error, 'not a SELECT: never re-run for EXPLAIN')
})

test('the table keeps only the newest SLOW_QUERY_MAX_ROWS captures', async (t) => {
  const app = await slowQueryApp(t, 2)
  for (const name of ['test.first', 'test.second', 'test.third']) {
    await timedQuery(name, app.db.sql`SELECT pg_sleep(0.06)`)
    await app.slowQueries.settled()
  }
  const { queries } = await app.slowQueries.list(10)
  assert.deepEqual(queries.map((q) => q.name), ['test.third', 'test.second'])
})

test('slow-queries route: admin only, validated; wired in the real app', async (t) => {
  const app = await buildTestApp(t, { slowQueryMs: 250 })
  const admin = await createUser(app, { role: 'admin' })
  const seller = await createUser(app, { role: 'seller' })
  assert.equal((await app.inject({ method: 'GET', url: '/api/v1/monitoring/slow-queries' })).statusCode, 401)
  const forbidden = await app.inject({ method: 'GET', url: '/api/v1/monitoring/slow-queries', headers: { authorization: `Bearer ${seller.token}` } })
  assert.equal(forbidden.statusCode, 403)
  assert.equal(forbidden.json().code, 'AUTH_FORBIDDEN')
  const bad = await app.inject({ method: 'GET', url: '/api/v1/monitoring/slow-queries?limit=0', headers: { authorization: `Bearer ${admin.token}` } })
  assert.equal(bad.statusCode, 400)
  assert.equal(bad.json().code, 'APP_VALIDATION_FAILED')
  const ok = await app.inject({ method: 'GET', url: '/api/v1/monitoring/slow-queries', headers: { authorization: `Bearer ${admin.token}` } })
  assert.equal(ok.statusCode, 200)
  assert.equal(ok.json().threshold_ms, 250)
})

function memoryRepo () {
  const rows: NewSlowQuery[] = []
  const repo = { insert: async (r: NewSlowQuery) => { rows.push(r) }, prune: async () => {}, list: async () => [] } as unknown as SlowQueriesRepository
  return { rows, repo }
}

test('one capture per query name per cooldown; the slow runs in between are counted', async () => {
  const { rows, repo } = memoryRepo()
  let now = 1_000_000
  const explained: string[] = []
  const service = createSlowQueriesService({
    repo,
    explain: async (sql) => { explained.push(sql); return [{ Plan: { 'Node Type': 'Result', 'Total Cost': 0.01 } }] },
    log: pino({ level: 'silent' }),
    instance: 'unit',
    thresholdMs: 100,
    cooldownMs: 60_000,
    maxRows: 100,
    now: () => now
  })
  const event = (name: string, durationMs: number) => ({ name, durationMs, ok: true, sql: () => ({ sql: 'SELECT 1', params: [] }) })
  service.onQuery(event('a', 150))
  service.onQuery(event('a', 300))
  service.onQuery(event('a', 200))
  service.onQuery(event('a', 20)) // fast: not counted
  service.onQuery(event('slow_queries.insert', 500)) // the capture's own query: ignored
  await service.settled()
  assert.deepEqual(rows.map((r) => [r.name, r.durationMs, r.occurrences, r.totalCost]), [['a', 150, 1, 0.01]])
  now += 60_000
  service.onQuery(event('a', 120))
  await service.settled()
  assert.deepEqual(rows.map((r) => r.occurrences), [1, 3], 'the two skipped slow runs and this one')
  assert.equal(explained.length, 2)
})

test('an EXPLAIN failure is stored as plan_error', async () => {
  const { rows, repo } = memoryRepo()
  const service = createSlowQueriesService({
    repo,
    explain: async () => { throw new Error('canceling statement due to statement timeout') },
    log: pino({ level: 'silent' }),
    instance: 'unit',
    thresholdMs: 10,
    cooldownMs: 0,
    maxRows: 100
  })
  service.onQuery({ name: 'b', durationMs: 50, ok: true, sql: () => ({ sql: 'SELECT * FROM t WHERE x = $1', params: [1] }) })
  service.onQuery({ name: 'c', durationMs: 50, ok: true })
  await service.settled()
  assert.deepEqual(rows.map((r) => [r.name, r.plan, r.planError]), [
    ['b', null, 'EXPLAIN failed: canceling statement due to statement timeout'],
    ['c', null, 'SQL text not available for this query']
  ])
})

test('only reading statements are EXPLAINed', () => {
  assert.equal(isReadOnlySelect('SELECT * FROM products WHERE id = $1'), true)
  assert.equal(isReadOnlySelect('  /* catalog */ select 1'), true)
  assert.equal(isReadOnlySelect('(SELECT 1) UNION (SELECT 2)'), true)
  assert.equal(isReadOnlySelect('WITH x AS (SELECT 1) SELECT * FROM x'), true)
  assert.equal(isReadOnlySelect('WITH x AS (DELETE FROM cart_items RETURNING *) SELECT * FROM x'), false)
  assert.equal(isReadOnlySelect('SELECT * INTO copy FROM products'), false)
  assert.equal(isReadOnlySelect('UPDATE products SET stock_quantity = 0'), false)
  assert.equal(isReadOnlySelect('INSERT INTO t SELECT 1'), false)
  assert.equal(isReadOnlySelect('-- comment\nDELETE FROM t'), false)
})
