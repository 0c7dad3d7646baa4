import { test, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { timedQuery } from '../../../../../src/lib/observability/instrumentation.js'
import type { AlertmanagerPayload } from '../../../../../src/modules/monitoring/alerts/webhook.js'
import type { Profile } from '../../../../../src/modules/monitoring/profiling/schemas.js'
import { routeLatencies, type LiveRoutes, type RouteMinute } from '../../../../../src/modules/monitoring/alerts/incidents/latency.js'
import { summaryLines } from '../../../../../src/modules/monitoring/alerts/incidents/service.js'
import { buildTestApp, flushRedisPrefix, resetDb } from '../../../../support/helper.js'
import { createUser } from '../../../../support/fixtures.js'

const RULE = 'test_latency_p95'
const WORK = 'GET /test/work'
// A latency rule on short windows, so pending → firing → resolved happens in seconds. Its threshold and the
// slow query's 300 ms are far above what a fast request takes even on a loaded shared machine (p95 60 ms seen).
const TEST_RULES = {
  rules: [{
    type: 'threshold',
    id: RULE,
    severity: 'critical',
    group: 'latency',
    description: 'p95 latency over 250 ms (incident test rule)',
    metric: 'http_p95_ms',
    window_s: 3,
    operator: '>',
    threshold: 250,
    for_s: 1,
    keep_firing_for_s: 0
  }, {
    type: 'threshold',
    id: 'test_pool_waiting',
    severity: 'warning',
    description: 'never breached here',
    metric: 'db_pool_waiting',
    window_s: 3,
    operator: '>',
    threshold: 1000,
    for_s: 0,
    keep_firing_for_s: 0
  }]
}

/** A webhook receiver in this process: every body it gets. */
async function startReceiver (t: { after: (fn: () => unknown) => void }) {
  const received: AlertmanagerPayload[] = []
  const server = createServer((req, res) => {
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => { raw += c })
    req.on('end', () => {
      received.push(JSON.parse(raw))
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received }
}

/** `workers` clients calling `url` with a pause between requests, until stopped. */
function traffic (app: FastifyInstance, url: string, workers: number, pauseMs: number) {
  const state = { running: true }
  const done = Promise.all(Array.from({ length: workers }, async () => {
    while (state.running) {
      const res = await app.inject({ method: 'GET', url })
      assert.equal(res.statusCode, 200)
      await sleep(pauseMs)
    }
  }))
  return async () => { state.running = false; await done }
}

function getIncident (app: FastifyInstance, id: string, token?: string) {
  return app.inject({ method: 'GET', url: `/api/v1/monitoring/alerts/${id}/incident`, headers: token ? { authorization: `Bearer ${token}` } : {} })
}

beforeEach(async () => { await resetDb() })

test('incident of a provoked latency alert: the slower route against its baseline, its named query, the capture, the profile; the webhook carries the same lines', { timeout: 90_000 }, async (t) => {
  const receiver = await startReceiver(t)
  const dir = mkdtempSync(join(tmpdir(), 'incident-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const rulesFile = join(dir, 'rules.json')
  writeFileSync(rulesFile, JSON.stringify(TEST_RULES))
  const mode = { slow: false }
  const app = await buildTestApp(t, {
    rateLimitEnabled: false,
    loadSheddingEnabled: false,
    alertRulesFile: rulesFile,
    alertEvalIntervalMs: 300_000, // evaluated by the test
    alertGroupWaitMs: 0,
    alertWebhookUrls: receiver.url,
    alertWebhookAttempts: 1,
    alertExternalUrl: 'http://dashboard.example',
    profileDir: dir,
    profileWarmupS: 0,
    profileCheckIntervalMs: 300_000, // checked by the test
    profileRouteBudgets: `${WORK}=150`,
    profileDurationMs: 1000,
    profileMinRequests: 5,
    slowQueryMs: 200
  }, {
    setup: (app) => {
      // The same route and query name, made slow in the database by the test (as a dropped index would).
      app.get('/test/work', async () => {
        await timedQuery('test.work', mode.slow ? app.db.sql`SELECT pg_sleep(0.3)` : app.db.sql`SELECT 1`)
        return { ok: true }
      })
      app.get('/test/other', async () => ({ ok: true }))
    }
  })
  await flushRedisPrefix(app)
  const admin = await createUser(app, { role: 'admin' })
  const customer = await createUser(app, { role: 'customer' })
  const get = (id: string, token?: string) => getIncident(app, id, token)

  // Admin only; unknown rules and alerts without an episode are 404s.
  assert.equal((await get(RULE)).statusCode, 401)
  assert.equal((await get(RULE, customer.token)).statusCode, 403)
  const unknown = await get('no_such_rule', admin.token)
  assert.deepEqual([unknown.statusCode, unknown.json().code], [404, 'ALERTS_RULE_NOT_FOUND'])
  const calm = await get(RULE, admin.token)
  assert.deepEqual([calm.statusCode, calm.json().code], [404, 'ALERTS_NO_INCIDENT'])
  assert.equal((await get('Bad-Id', admin.token)).statusCode, 400)

  // Normal traffic (its 3 s window calm, whatever the first requests of the process took), then the query behind /test/work becomes slow.
  const stops = [traffic(app, '/test/work', 4, 20), traffic(app, '/test/other', 1, 50)]
  try {
    await provokeAndCheck(app, mode, admin.token, receiver.received)
  } finally {
    await Promise.all(stops.map((stop) => stop()))
  }
})

async function provokeAndCheck (app: FastifyInstance, mode: { slow: boolean }, adminToken: string, received: AlertmanagerPayload[]) {
  const get = (id: string, token?: string) => getIncident(app, id, token)
  await sleep(4000)
  assert.ok(await app.alerts.evaluate(), 'this instance evaluates')
  assert.equal((await app.alerts.service.alert(RULE))?.state, 'inactive')
  mode.slow = true
  await sleep(2000)
  await app.alerts.evaluate()
  assert.equal((await app.alerts.service.alert(RULE))?.state, 'pending')
  // The profiler's periodic check, run by the test: the route's p95 over the minute crosses its budget once enough slow requests are in it.
  let profile: Profile | undefined
  for (let i = 0; i < 60 && !profile; i++) {
    profile = await app.profiler.checkBudgets()
    if (!profile) await sleep(250)
  }
  assert.ok(profile, 'the slow route is profiled')
  assert.equal(profile.route, WORK)
  await app.profiler.service.settled()
  await app.slowQueries.settled()
  await app.alerts.evaluate()
  assert.equal((await app.alerts.service.alert(RULE))?.state, 'firing')
  await app.alerts.drainNotifications()

  const res = await get(RULE, adminToken)
  assert.equal(res.statusCode, 200, res.body)
  const incident = res.json()
  assert.equal(incident.alert.state, 'firing')
  assert.equal(incident.window.ongoing, true)
  assert.equal(Date.parse(incident.window.from), Date.parse(incident.alert.active_since) - 3000)
  assert.deepEqual(incident.routes.map((r: { route: string }) => r.route), [WORK], 'only the route that got slower')
  const [work] = incident.routes
  assert.equal(work.source, 'live')
  assert.ok(work.p95_ms >= 290, `p95 ${work.p95_ms} ms during the episode`)
  assert.ok(work.baseline_p95_ms !== null && work.baseline_p95_ms < work.p95_ms / 2, `baseline ${work.baseline_p95_ms} ms`)
  assert.ok(work.ratio >= 2)
  assert.equal(work.queries[0].name, 'test.work')
  assert.ok(work.queries[0].db_share_pct > 95)
  const capture = incident.slow_queries.find((c: { name: string }) => c.name === 'test.work')
  assert.ok(capture, `captures: ${JSON.stringify(incident.slow_queries)}`)
  assert.match(capture.summary, /^test\.work: /)
  assert.equal(incident.profile.id, profile.id)
  assert.equal(incident.profile.time_split.verdict, 'database')
  assert.equal(incident.summary.length, 3)
  assert.match(incident.summary[0], /^Slower routes: GET \/test\/work p95 [\d.]+ ms \(normally [\d.]+ ms, [\d.]+x\)$/)
  assert.equal(incident.summary[1], `Query: ${capture.summary}`)
  assert.match(incident.summary[2], new RegExp(`^Profile #${profile.id}: GET /test/work is database-bound: .*test\\.work \\d+% of its DB time$`))

  // The webhook's firing notification carries the same three lines and a link to the view.
  const firing = received.find((p) => p.status === 'firing')
  assert.ok(firing, 'the firing notification arrived')
  const [sent] = firing.alerts
  assert.equal(sent.labels.alertname, RULE)
  assert.equal(sent.annotations.incident_url, `http://dashboard.example/dashboard#incident=${RULE}`)
  const lines = sent.annotations.incident?.split('\n') ?? []
  assert.equal(lines.length, 3, sent.annotations.incident)
  assert.match(lines[0], /^Slower routes: GET \/test\/work p95 /)
  assert.match(lines[1], /^Query: test\.work: /)
  assert.match(lines[2], new RegExp(`^Profile #${profile.id}: GET /test/work is database-bound`))

  // Back to normal: the alert resolves; the incident stays readable, closed at the resolution.
  mode.slow = false
  await sleep(3500)
  await app.alerts.evaluate()
  await app.alerts.drainNotifications()
  const resolved = (await get(RULE, adminToken)).json()
  assert.equal(resolved.alert.state, 'resolved')
  assert.equal(resolved.window.ongoing, false)
  assert.equal(resolved.window.to, resolved.alert.resolved_at)
  assert.equal(resolved.routes[0]?.route, WORK)
  const resolvedHook = received.find((p) => p.status === 'resolved')
  assert.match(resolvedHook?.alerts[0].annotations.incident ?? '', /^Slower routes: GET \/test\/work/)
}

test('route latencies: live windows against the minutes before; rollups for episodes older than the live windows', async () => {
  const nowS = 1_800_000_000
  const windows = new Map<string, (windowS: number, toS: number) => { count: number, p95: number | null }>([
    // Slow in the episode (the last 30 s), fast before.
    ['GET /slow', (w, toS) => toS >= nowS - 30 && w <= 60 ? { count: 50, p95: 90 } : { count: 500, p95: 10 }],
    ['GET /same', () => ({ count: 50, p95: 12 })],
    ['GET /few', (w, toS) => toS >= nowS - 30 && w <= 60 ? { count: 2, p95: 900 } : { count: 500, p95: 10 }],
    ['GET /new', (w, toS) => toS >= nowS - 30 && w <= 60 ? { count: 40, p95: 70 } : { count: 0, p95: null }]
  ])
  const live: LiveRoutes = { nowS: () => nowS, entries: () => [...windows].map(([route, summary]) => [route, { summary }]) }
  const asked: [number, number][] = []
  const rollups = {
    routeMinutes: async (fromS: number, toS: number): Promise<RouteMinute[]> => {
      asked.push([fromS, toS])
      return []
    }
  }
  const routes = await routeLatencies(live, rollups, nowS - 30, nowS)
  assert.deepEqual(routes.map((r) => [r.route, r.p95Ms, r.baselineP95Ms, r.ratio]), [
    // Slower ones first, then the rest, each by the extra time ((p95 − baseline) × requests; all of it without a baseline).
    ['GET /slow', 90, 10, 9], ['GET /new', 70, null, null], ['GET /few', 900, 10, 90], ['GET /same', 12, 12, 1]
  ])
  assert.deepEqual(asked, [[nowS - 30 - 600, Math.floor((nowS - 30) / 60) * 60]], 'the rollups are asked for the baseline of the route without live history')

  // An episode of two hours ago: every figure from the rollups of every instance.
  const old = nowS - 7200
  const minute = Math.floor(old / 60) * 60
  const rows: RouteMinute[] = [
    { route: 'GET /slow', instanceId: 'a', minuteS: minute - 300, requests: 100, p95Ms: 9 },
    { route: 'GET /slow', instanceId: 'b', minuteS: minute - 240, requests: 100, p95Ms: 11 },
    { route: 'GET /slow', instanceId: 'a', minuteS: minute - 180, requests: 100, p95Ms: 10 },
    { route: 'GET /slow', instanceId: 'a', minuteS: minute, requests: 60, p95Ms: 80 },
    { route: 'GET /slow', instanceId: 'b', minuteS: minute, requests: 40, p95Ms: 120 }
  ]
  const fromRows = { routeMinutes: async (fromS: number, toS: number) => rows.filter((r) => r.minuteS >= fromS && r.minuteS < toS) }
  const [slow] = await routeLatencies(live, fromRows, old, old + 50)
  assert.deepEqual([slow.route, slow.requests, slow.p95Ms, slow.baselineP95Ms, slow.ratio, slow.source], ['GET /slow', 100, 120, 10, 12, 'rollups'])
})

test('summary lines name the slower routes, the best capture and the profile, and say when there is none', () => {
  const route = { route: 'GET /s', requests: 10, p95_ms: 45.26, baseline_p95_ms: 3.1, ratio: 14.6, source: 'live' as const, queries: [{ name: 'q.search', count: 10, total_ms: 400, avg_ms: 40, db_share_pct: 97.2, degraded: true }] }
  const captures = [
    { id: 2, name: 'other', reason: 'relative', summary: 'other: p95 9 ms, normally 1 ms', captured_at: '2026-01-01T00:00:02Z', instance: 'a' },
    { id: 1, name: 'q.search', reason: 'absolute', summary: 'q.search: 120 ms (over 100 ms), plan: Seq Scan on products', captured_at: '2026-01-01T00:00:01Z', instance: 'a' }
  ]
  assert.deepEqual(summaryLines([route], captures, null), [
    'Slower routes: GET /s p95 45.3 ms (normally 3.1 ms, 14.6x)',
    'Query: q.search: 120 ms (over 100 ms), plan: Seq Scan on products',
    'Profile: none taken during the episode'
  ])
  assert.deepEqual(summaryLines([route], [], null)[1], "Query: q.search is 97% of GET /s's DB time (avg 40 ms; no slow-query capture)")
  const unrelated = { ...captures[1], name: 'reports.daily', summary: 'reports.daily: 900 ms (over 100 ms), plan: Seq Scan on orders' }
  assert.deepEqual(summaryLines([], [unrelated], null), [
    'Slower routes: none (no route\'s p95 rose 1.5x and 5 ms above its baseline)',
    'Query: no capture of the slower routes\' queries (1 other capture in the window)',
    'Profile: none taken during the episode'
  ], 'an absolute capture of an unrelated query is not named')
  assert.equal(summaryLines([], [captures[0]], null)[1], 'Query: other: p95 9 ms, normally 1 ms', 'a relative capture is')
})
