import { test, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import diagnosticsChannel from 'node:diagnostics_channel'
import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import profilerPlugin, { type ProfilerPluginOptions } from '../../../../../src/modules/monitoring/profiling/plugin.js'
import { profilesRoutes } from '../../../../../src/modules/monitoring/profiling/routes.js'
import type { Profile } from '../../../../../src/modules/monitoring/profiling/schemas.js'
import { createProfileStorage } from '../../../../../src/modules/monitoring/profiling/storage.js'
import { summariseProfile } from '../../../../../src/modules/monitoring/profiling/summary.js'
import { createCooldown, ESCALATION_MIN_GAP_MS, parseRouteBudgets } from '../../../../../src/modules/monitoring/profiling/trigger.js'
import { checkWindowS } from '../../../../../src/modules/monitoring/profiling/plugin.js'
import { createPhaseRecorder } from '../../../../../src/modules/monitoring/profiling/phases.js'
import { createSplitWindow } from '../../../../../src/modules/monitoring/profiling/split.js'
import { timedQuery } from '../../../../../src/lib/observability/instrumentation.js'
import type { CpuProfile } from '../../../../../src/modules/monitoring/profiling/capture.js'
import { flushRedisPrefix, resetDb, TEST_REDIS_PREFIX, TEST_REDIS_URL } from '../../../../support/helper.js'
import { createUser } from '../../../../support/fixtures.js'
import { buildMonitoringTestApp, fakeClock, fakeReader, underMonitoring, type FakeReader } from '../../../../support/monitoring-app.js'

const BURN_ROUTE = 'GET /test/burn'
const OTHER_ROUTE = 'GET /test/other'
const SLEEP_ROUTE = 'GET /test/sleep'

/** Made slow on purpose: the profile's summary must name this function. */
function burnCpuForProfilerTest (ms: number): number {
  const until = performance.now() + ms
  let x = 0
  while (performance.now() < until) x += Math.sqrt(x + 1)
  return x
}

async function profilerApp (t: Parameters<typeof buildMonitoringTestApp>[0], reader: FakeReader, extra: Partial<ProfilerPluginOptions> = {}, flush = true) {
  const dir = mkdtempSync(join(tmpdir(), 'profiles-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const app = await buildMonitoringTestApp(t, async (app) => {
    await app.register(profilerPlugin, {
      enabled: true,
      dir,
      durationMs: 1000,
      cooldownMs: 600_000,
      warmupS: 0,
      checkIntervalMs: 60_000,
      minRequests: 20,
      routeBudgets: 'GET /api/v1/products/:id=50',
      defaultBudgetMs: 100,
      maxBytes: 50 * 1024 * 1024,
      maxFiles: 10,
      retentionDays: 7,
      reader,
      instanceId: 'profiler-test',
      autoStart: false,
      ...extra
    })
    app.get('/test/burn', { config: { criticality: 'critical' } }, async () => ({ x: burnCpuForProfilerTest(15) }))
    app.get('/test/other', { config: { criticality: 'critical' } }, async () => ({ x: burnCpuForProfilerTest(1) }))
    // Waits on the database: a named query that sleeps 25 ms in PostgreSQL.
    app.get('/test/sleep', { config: { criticality: 'critical' } }, async () => {
      await timedQuery('test.pg_sleep', app.db.sql`SELECT pg_sleep(0.025)`)
      await timedQuery('test.quick', app.db.sql`SELECT 1`)
      return { ok: true }
    })
    await underMonitoring(app, (api) => api.register(profilesRoutes, { profiles: app.profiler.service }))
  })
  if (flush) await flushRedisPrefix(app)
  return { app, dir }
}

/** Keeps a route busy (`concurrency` clients) until the running capture is stored. */
async function loadWhileCapturing (app: FastifyInstance, url = '/test/burn', concurrency = 1): Promise<number> {
  let requests = 0
  const state = { done: false }
  const settled = app.profiler.service.settled().then(() => { state.done = true })
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (!state.done) {
      const res = await app.inject({ method: 'GET', url })
      assert.equal(res.statusCode, 200)
      requests++
      await yieldToLoop() // inject can complete in microtasks alone; let the capture's timer run
    }
  }))
  await settled
  return requests
}

async function listProfiles (app: FastifyInstance, token: string) {
  const res = await app.inject({ method: 'GET', url: '/api/v1/monitoring/profiles', headers: { authorization: `Bearer ${token}` } })
  assert.equal(res.statusCode, 200, res.body)
  return res.json()
}

beforeEach(async () => { await resetDb() })

test('a critical route over its p95 budget is profiled automatically; the summary names the slow function; the cooldown holds', async (t) => {
  const reader = fakeReader()
  const { app } = await profilerApp(t, reader)
  const admin = await createUser(app, { role: 'admin' })
  const announced: Profile[] = []
  const onProfile = (msg: unknown) => { announced.push(msg as Profile) }
  diagnosticsChannel.subscribe('techmart:profile:captured', onProfile)
  t.after(() => diagnosticsChannel.unsubscribe('techmart:profile:captured', onProfile))

  assert.equal(app.profiler.budgets().get(BURN_ROUTE), 100, 'criticality critical gives the default budget')
  reader.setRoute(BURN_ROUTE, 480, 10)
  assert.equal(await app.profiler.checkBudgets(), undefined, 'too few requests to trust the p95')
  reader.setRoute(BURN_ROUTE, 80, 500)
  assert.equal(await app.profiler.checkBudgets(), undefined, 'within budget')

  reader.setRoute(BURN_ROUTE, 480, 500)
  const started = await app.profiler.checkBudgets()
  assert.ok(started)
  assert.deepEqual([started.trigger, started.status, started.route, started.p95_ms, started.budget_ms], ['auto', 'capturing', BURN_ROUTE, 480, 100])
  const requests = await loadWhileCapturing(app)
  assert.ok(requests > 5, `the route ran ${requests} times during the capture`)

  const body = await listProfiles(app, admin.token)
  assert.equal(body.profiles.length, 1)
  const profile = body.profiles[0]
  assert.equal(profile.status, 'ready')
  assert.equal(profile.file_available, true)
  assert.ok(profile.sample_count > 100)
  assert.ok(profile.size_bytes > 0)
  const hot = profile.top_functions.find((f: { function_name: string }) => f.function_name === 'burnCpuForProfilerTest')
  assert.ok(hot, `top functions: ${profile.top_functions.map((f: { function_name: string }) => f.function_name).join(', ')}`)
  assert.equal(hot.url, 'test/integration/modules/monitoring/profiling/api.test.ts')
  assert.ok(hot.self_ms > 100)
  assert.ok(profile.top_functions.length <= 15)
  assert.deepEqual(announced.map((p) => p.status), ['capturing', 'ready'])

  // The time split of the same window: the burning route spends its time on the CPU.
  const split = profile.time_split
  assert.ok(split, 'a time split is stored with the profile')
  assert.equal(split.route, BURN_ROUTE)
  assert.equal(split.verdict, 'cpu', split.summary)
  assert.ok(split.shares.cpu > 95, split.summary)
  assert.equal(split.shares.database, 0)
  assert.deepEqual(split.queries, [])
  assert.ok(split.requests >= 5 && split.requests <= requests, `${split.requests} of ${requests} requests finished inside the window`)
  assert.ok(split.avg_ms.cpu >= 14, `${split.avg_ms.cpu} ms of CPU per request`)
  assert.ok(Math.abs(split.window_ms - 1000) < 200, `window ${split.window_ms} ms = the capture's 1 s`)
  // Wall-clock burning: on a machine shared with other work the process gets less than a core.
  assert.ok(split.process_cpu_pct > 0, `process CPU ${split.process_cpu_pct}%`)
  assert.match(split.summary, /^GET \/test\/burn is cpu-bound: database 0%, pool 0%, redis 0%, cpu 100% \(\d+ requests, avg [\d.]+ ms\)$/)

  // The phases of the slow route: its time is the handler's own.
  const phase = body.phases.find((p: { route: string }) => p.route === BURN_ROUTE)
  assert.ok(phase.count >= requests)
  assert.ok(phase.avg_handler_ms >= 10, `handler ${phase.avg_handler_ms} ms`)
  assert.equal(phase.avg_db_ms, 0)
  assert.equal(phase.budget_ms, 100)

  const download = await app.inject({ method: 'GET', url: `/api/v1/monitoring/profiles/${profile.id}`, headers: { authorization: `Bearer ${admin.token}` } })
  assert.equal(download.statusCode, 200)
  assert.match(String(download.headers['content-type']), /^application\/json/)
  assert.match(String(download.headers['content-disposition']), new RegExp(`^attachment; filename="techmart-profile-${profile.id}-.*\\.cpuprofile"$`))
  const cpu = download.json()
  assert.ok(Array.isArray(cpu.nodes) && Array.isArray(cpu.samples) && Array.isArray(cpu.timeDeltas))
  assert.equal(cpu.samples.length, profile.sample_count)

  // Still over budget, but inside the cooldown: no second capture.
  assert.equal(await app.profiler.checkBudgets(), undefined)
  assert.equal((await listProfiles(app, admin.token)).profiles.length, 1)
})

test('a route that waits on a slow named query reads as database-bound, naming the query and its share of the DB time', async (t) => {
  const reader = fakeReader()
  const { app } = await profilerApp(t, reader)
  const admin = await createUser(app, { role: 'admin' })
  reader.setRoute(SLEEP_ROUTE, 400, 500)
  const started = await app.profiler.checkBudgets()
  assert.equal(started?.route, SLEEP_ROUTE)
  const requests = await loadWhileCapturing(app, '/test/sleep', 3)

  const { profiles: [profile], phases } = await listProfiles(app, admin.token)
  const split = profile.time_split
  assert.equal(split.route, SLEEP_ROUTE)
  assert.equal(split.verdict, 'database', split.summary)
  assert.ok(split.shares.database > 80, split.summary)
  assert.ok(split.requests >= 10 && split.requests <= requests, `${split.requests} requests in the window`)
  assert.ok(split.avg_ms.database >= 20, `${split.avg_ms.database} ms in the database per request`)
  assert.equal(split.queries[0].name, 'test.pg_sleep')
  assert.equal(split.queries[0].count, split.requests)
  // 25 ms of sleep against a SELECT 1: most of the DB time even on a loaded machine.
  assert.ok(split.queries[0].db_share_pct > 60, `pg_sleep is ${split.queries[0].db_share_pct}% of the DB time`)
  assert.equal(split.queries[1].name, 'test.quick')
  assert.ok(Math.abs(split.queries[0].db_share_pct + split.queries[1].db_share_pct - 100) < 1, 'the two queries are all of the DB time')
  assert.match(split.summary, /^GET \/test\/sleep is database-bound: database \d+%, .*; test\.pg_sleep \d+% of its DB time$/)
  assert.equal(split.routes[0].route, SLEEP_ROUTE, 'the busiest route of the window is listed too')

  // Phase timings name the route's queries as well.
  const phase = phases.find((p: { route: string }) => p.route === SLEEP_ROUTE)
  assert.deepEqual(phase.top_queries.map((q: { name: string }) => q.name), ['test.pg_sleep', 'test.quick'])
  assert.ok(phase.avg_db_ms >= 25)
})

test('a manual capture splits every request of its window, each route on its own', async (t) => {
  const { app } = await profilerApp(t, fakeReader())
  const admin = await createUser(app, { role: 'admin' })
  const res = await app.inject({ method: 'POST', url: '/api/v1/monitoring/profiles', headers: { authorization: `Bearer ${admin.token}` }, payload: { duration_ms: 1000 } })
  assert.equal(res.statusCode, 202)
  assert.equal(res.json().profile.time_split, null, 'no split while capturing')
  await Promise.all([loadWhileCapturing(app, '/test/sleep', 2), loadWhileCapturing(app, '/test/burn', 1)])
  const split = (await listProfiles(app, admin.token)).profiles[0].time_split
  assert.equal(split.route, null)
  assert.match(split.summary, /^all requests is /)
  const byRoute = new Map(split.routes.map((r: { route: string, verdict: string }) => [r.route, r.verdict]))
  assert.equal(byRoute.get(SLEEP_ROUTE), 'database')
  assert.equal(byRoute.get(BURN_ROUTE), 'cpu')
})

test('manual capture: 202 while sampling, 409 for a second one, admin only, validated, 404s', async (t) => {
  const { app } = await profilerApp(t, fakeReader())
  const admin = await createUser(app, { role: 'admin' })
  const customer = await createUser(app, { role: 'customer' })
  const auth = { authorization: `Bearer ${admin.token}` }

  const forbidden = await app.inject({ method: 'POST', url: '/api/v1/monitoring/profiles', headers: { authorization: `Bearer ${customer.token}` }, payload: {} })
  assert.equal(forbidden.statusCode, 403)
  const anonymous = await app.inject({ method: 'GET', url: '/api/v1/monitoring/profiles' })
  assert.equal(anonymous.statusCode, 401)
  const tooShort = await app.inject({ method: 'POST', url: '/api/v1/monitoring/profiles', headers: auth, payload: { duration_ms: 100 } })
  assert.equal(tooShort.statusCode, 400)
  assert.equal(tooShort.json().code, 'APP_VALIDATION_FAILED')

  const res = await app.inject({ method: 'POST', url: '/api/v1/monitoring/profiles', headers: auth, payload: { duration_ms: 500 } })
  assert.equal(res.statusCode, 202)
  const { profile } = res.json()
  assert.deepEqual([profile.trigger, profile.status, profile.duration_ms, profile.route], ['manual', 'capturing', 500, null])
  const second = await app.inject({ method: 'POST', url: '/api/v1/monitoring/profiles', headers: auth })
  assert.equal(second.statusCode, 409)
  assert.equal(second.json().code, 'PROFILES_CAPTURE_IN_PROGRESS')
  const early = await app.inject({ method: 'GET', url: `/api/v1/monitoring/profiles/${profile.id}`, headers: auth })
  assert.equal(early.statusCode, 409)
  assert.equal(early.json().code, 'PROFILES_NOT_READY')
  assert.equal((await listProfiles(app, admin.token)).capturing, true)

  await app.profiler.service.settled()
  const ready = (await listProfiles(app, admin.token)).profiles[0]
  assert.equal(ready.status, 'ready')
  assert.equal((await app.inject({ method: 'GET', url: `/api/v1/monitoring/profiles/${profile.id}`, headers: auth })).statusCode, 200)
  const missing = await app.inject({ method: 'GET', url: '/api/v1/monitoring/profiles/999999', headers: auth })
  assert.equal(missing.statusCode, 404)
  assert.equal(missing.json().code, 'PROFILES_NOT_FOUND')
})

test('PROFILING_ENABLED=false: no phases and no automatic capture', async (t) => {
  const reader = fakeReader()
  const { app } = await profilerApp(t, reader, { enabled: false })
  const admin = await createUser(app, { role: 'admin' })
  reader.setRoute(BURN_ROUTE, 900, 1000)
  await app.inject({ method: 'GET', url: '/test/burn' })
  assert.equal(await app.profiler.checkBudgets(), undefined)
  const body = await listProfiles(app, admin.token)
  assert.equal(body.enabled, false)
  assert.deepEqual(body.phases, [])
  assert.deepEqual(body.profiles, [])
})

test('warm-up: no automatic capture in the first PROFILE_WARMUP_S, then the p95 only of requests after it; manual capture works meanwhile', async (t) => {
  const reader = fakeReader()
  const clock = fakeClock()
  const { app } = await profilerApp(t, reader, { warmupS: 60, clock: clock.now })
  const admin = await createUser(app, { role: 'admin' })
  reader.setRoute(BURN_ROUTE, 900, 1000)

  assert.equal(await app.profiler.checkBudgets(), undefined, 'refused during the warm-up')
  const overview = await listProfiles(app, admin.token)
  assert.equal(Date.parse(overview.warmup_ends_at), clock.now() + 60_000)
  assert.deepEqual([overview.instance, overview.instance_started_at], ['profiler-test', new Date(clock.now()).toISOString()])
  clock.advance(65_000)
  assert.equal(await app.profiler.checkBudgets(), undefined, '5 s after the warm-up: too short a window to trust')
  assert.deepEqual((await listProfiles(app, admin.token)).profiles, [])

  // A manual capture is never held back by the warm-up.
  const manual = await app.inject({ method: 'POST', url: '/api/v1/monitoring/profiles', headers: { authorization: `Bearer ${admin.token}` }, payload: { duration_ms: 500 } })
  assert.equal(manual.statusCode, 202)
  await app.profiler.service.settled()

  clock.advance(10_000)
  const started = await app.profiler.checkBudgets()
  assert.equal(started?.route, BURN_ROUTE, 'captured once the warm-up is over')
  await app.profiler.service.settled()
})

test('the p95 window after the warm-up covers only the seconds since it ended', () => {
  const end = 1_000_000
  assert.equal(checkWindowS(end - 1, end, 60), undefined)
  assert.equal(checkWindowS(end + 9_999, end, 60), undefined)
  assert.equal(checkWindowS(end + 10_000, end, 60), 10)
  assert.equal(checkWindowS(end + 45_500, end, 60), 45)
  assert.equal(checkWindowS(end + 600_000, end, 60), 60)
  assert.equal(checkWindowS(0, end, 0), 60, 'PROFILE_WARMUP_S=0: no warm-up')
})

test('cooldown per route: route A in cooldown does not block route B, across instances; a manual capture works during both', async (t) => {
  const reader = fakeReader()
  const first = await profilerApp(t, reader)
  const admin = await createUser(first.app, { role: 'admin' })
  reader.setRoute(BURN_ROUTE, 480, 500) // 4.8x its 100 ms budget: the worst
  reader.setRoute(OTHER_ROUTE, 150, 500) // 1.5x

  const a = await first.app.profiler.checkBudgets()
  assert.equal(a?.route, BURN_ROUTE)
  await first.app.profiler.service.settled()
  const b = await first.app.profiler.checkBudgets()
  assert.equal(b?.route, OTHER_ROUTE, 'the worst route is in cooldown: the next one over budget is profiled')
  await first.app.profiler.service.settled()
  assert.equal(await first.app.profiler.checkBudgets(), undefined, 'both routes in cooldown')
  const cooldowns = (await listProfiles(first.app, admin.token)).cooldowns.map((c: { route: string }) => c.route).sort()
  assert.deepEqual(cooldowns, [BURN_ROUTE, OTHER_ROUTE])

  // Another instance on the same Redis: both routes are in cooldown for it too.
  const second = await profilerApp(t, reader, { instanceId: 'profiler-test-2' }, false)
  assert.equal(await second.app.profiler.checkBudgets(), undefined, 'the cooldown keys are shared')

  // Capture now still works while every route is in cooldown.
  const manual = await first.app.inject({ method: 'POST', url: '/api/v1/monitoring/profiles', headers: { authorization: `Bearer ${admin.token}` }, payload: { duration_ms: 500 } })
  assert.equal(manual.statusCode, 202)
  assert.equal(manual.json().profile.trigger, 'manual')
  await first.app.profiler.service.settled()
  const stored = (await listProfiles(first.app, admin.token)).profiles
  assert.deepEqual(stored.map((p: Profile) => [p.trigger, p.route, p.status]), [['manual', null, 'ready'], ['auto', OTHER_ROUTE, 'ready'], ['auto', BURN_ROUTE, 'ready']])
})

test('cooldown: a route whose p95 doubles after its capture is profiled again; locally while Redis is unreachable', async (t) => {
  const clock = fakeClock()
  const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null })
  down.on('error', () => {})
  t.after(() => down.disconnect())
  const live = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 })
  const keyOf = (route: string) => `${TEST_REDIS_PREFIX}:cooldown-test:${route}`
  t.after(async () => {
    await live.del(keyOf('GET /a'), keyOf('GET /b'))
    await live.quit()
  })

  for (const [name, client] of [['redis', live], ['redis down', down]] as const) {
    await live.del(keyOf('GET /a'), keyOf('GET /b'))
    const cooldown = createCooldown({ client, keyOf, holder: 'x', ms: 600_000, now: clock.now })
    assert.equal(await cooldown.tryAcquire('GET /a', 100), true, name)
    assert.equal(await cooldown.tryAcquire('GET /a', 150), false, `${name}: in cooldown`)
    assert.equal(await cooldown.tryAcquire('GET /b', 100), true, `${name}: another route is free`)
    assert.equal(await cooldown.tryAcquire('GET /a', 400), false, `${name}: doubled, but too soon after the capture`)
    clock.advance(ESCALATION_MIN_GAP_MS)
    assert.equal(await cooldown.tryAcquire('GET /a', 190), false, `${name}: worse, not twice as bad`)
    assert.equal(await cooldown.tryAcquire('GET /a', 200), true, `${name}: twice the p95 of its capture`)
    assert.equal(await cooldown.tryAcquire('GET /a', 390), false, `${name}: the new capture is the reference now`)
    clock.advance(600_000)
    assert.equal(await cooldown.tryAcquire('GET /a', 10), true, `${name}: the cooldown is over`)
  }
  // With Redis, the cooldown is the instances' common one: a fresh process sees it.
  const other = createCooldown({ client: live, keyOf, holder: 'y', ms: 600_000, now: clock.now })
  assert.equal(await other.tryAcquire('GET /b', 100), true, 'GET /b was last captured through the unreachable Redis: only locally')
  assert.equal(await other.tryAcquire('GET /b', 100), false)
})

test('summary: self time per function from samples and time deltas, idle kept apart, call sites merged', async () => {
  const frame = (functionName: string, url = 'file:///app/src/x.ts', lineNumber = 9) => ({ functionName, url, lineNumber, columnNumber: 0, scriptId: '1' })
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', '', -1), children: [2, 3, 4, 5] },
      { id: 2, callFrame: frame('(idle)', '', -1) },
      { id: 3, callFrame: frame('hot') },
      { id: 4, callFrame: frame('cold', 'node:internal/timers', 4) },
      { id: 5, callFrame: frame('hot') } // the same function reached from another caller
    ],
    startTime: 1_000_000,
    endTime: 1_010_000,
    // Sample i lasts until sample i+1: hot 3 ms + 2 ms, cold 1 ms, idle 4 ms.
    samples: [3, 4, 2, 5],
    timeDeltas: [0, 3000, 1000, 4000]
  }
  const s = await summariseProfile(profile, { top: 10, root: '/app' })
  assert.equal(s.sampleCount, 4)
  assert.equal(s.totalMs, 10)
  assert.equal(s.idlePct, 40)
  assert.deepEqual(s.topFunctions, [
    { function_name: 'hot', url: 'src/x.ts', line: 10, self_ms: 5, self_pct: 83.33 },
    { function_name: 'cold', url: 'node:internal/timers', line: 5, self_ms: 1, self_pct: 16.67 }
  ])
})

test('storage retention: newest files kept within count, size and age; oversize profiles are not written', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'profiles-store-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const storage = createProfileStorage({ dir, maxBytes: 1000, maxFiles: 2, retentionDays: 1 })
  const started = new Date('2026-01-01T00:00:00Z')
  const names: string[] = []
  for (let id = 1; id <= 3; id++) {
    const file = await storage.write(id, started, JSON.stringify({ id, pad: 'x'.repeat(100) }))
    assert.ok(file)
    const mtime = new Date(Date.now() - (4 - id) * 1000) // id 1 is the oldest
    utimesSync(join(dir, file.fileName), mtime, mtime)
    names.push(file.fileName)
  }
  assert.deepEqual(await storage.prune(), [names[0]], 'beyond maxFiles: the oldest goes')
  assert.deepEqual(readdirSync(dir).sort(), [names[1], names[2]].sort())

  const old = join(dir, 'profile-9-old.cpuprofile')
  writeFileSync(old, '{}')
  utimesSync(old, new Date(Date.now() - 3 * 86_400_000), new Date(Date.now() - 3 * 86_400_000))
  assert.deepEqual(await storage.prune(), ['profile-9-old.cpuprofile'], 'older than retention')
  assert.equal(await storage.write(4, started, 'x'.repeat(2000)), undefined, 'larger than the total cap')
  assert.equal(await storage.open('../../etc/passwd'), undefined, 'names cannot leave the directory')
})

test('route budgets: parsed from config, bad entries named', () => {
  assert.deepEqual([...parseRouteBudgets('GET /api/v1/products/search=50, POST /api/v1/orders=200')], [['GET /api/v1/products/search', 50], ['POST /api/v1/orders', 200]])
  assert.throws(() => parseRouteBudgets('GET /x=fast'), /PROFILE_ROUTE_BUDGETS: 'GET \/x=fast' is not/)
  assert.throws(() => parseRouteBudgets('FETCH /x=5'), /PROFILE_ROUTE_BUDGETS/)
})

test('phase recorder: averages over five one-minute buckets, old buckets drop out', () => {
  let now = Date.UTC(2026, 0, 1, 12, 0, 0)
  const phases = createPhaseRecorder(() => now)
  phases.record('GET /a', { totalMs: 10, dbMs: 4, cacheMs: 1, serializeMs: 1 })
  phases.record('GET /a', { totalMs: 20, dbMs: 30, cacheMs: 0, serializeMs: 0 })
  let [a] = phases.snapshot(() => 50)
  assert.deepEqual(a, { route: 'GET /a', count: 2, avg_total_ms: 15, avg_db_ms: 17, avg_pool_wait_ms: 0, avg_cache_ms: 0.5, avg_serialize_ms: 0.5, avg_handler_ms: 2, max_total_ms: 20, budget_ms: 50, top_queries: [] })
  now += 4 * 60_000
  phases.record('GET /a', { totalMs: 40, dbMs: 0, cacheMs: 0, serializeMs: 0 })
  assert.equal(phases.snapshot(() => undefined)[0].count, 3)
  now += 60_000 // the first minute leaves the window
  ;[a] = phases.snapshot(() => undefined)
  assert.deepEqual([a.count, a.avg_total_ms, a.budget_ms], [1, 40, null])
})

test('time split: shares of the summed request time, pool wait apart from running queries, the verdict is the largest share', () => {
  let now = 0
  const split = createSplitWindow(() => now)
  split.record('GET /ignored', { totalMs: 5, dbMs: 0, dbWaitMs: 0, cacheMs: 0 })
  split.begin()
  const queries = new Map([['orders.insert', { count: 1, ms: 30 }], ['orders.items', { count: 2, ms: 10 }]])
  split.record('POST /orders', { totalMs: 50, dbMs: 40, dbWaitMs: 25, cacheMs: 2, queries })
  split.record('POST /orders', { totalMs: 50, dbMs: 40, dbWaitMs: 25, cacheMs: 2, queries })
  split.record('GET /cached', { totalMs: 4, dbMs: 0, dbWaitMs: 0, cacheMs: 3 })
  now = 2000
  const s = split.end('POST /orders')
  assert.ok(s)
  assert.equal(split.isOpen(), false)
  assert.equal(split.end(null), undefined, 'nothing to end twice')
  // Per request: pool 25, database 15, redis 2, cpu 8 of 50 ms.
  assert.deepEqual([s.route, s.requests, s.verdict, s.window_ms], ['POST /orders', 2, 'pool', 2000])
  assert.deepEqual(s.shares, { database: 30, pool: 50, redis: 4, cpu: 16 })
  assert.deepEqual(s.avg_ms, { total: 50, database: 15, pool: 25, redis: 2, cpu: 8 })
  assert.deepEqual(s.queries, [
    { name: 'orders.insert', count: 2, total_ms: 60, avg_ms: 30, db_share_pct: 75 },
    { name: 'orders.items', count: 4, total_ms: 20, avg_ms: 5, db_share_pct: 25 }
  ])
  assert.equal(s.summary, 'POST /orders is pool-bound: database 30%, pool 50%, redis 4%, cpu 16% (2 requests, avg 50 ms); orders.insert 75% of its DB time')
  assert.deepEqual(s.routes.map((r) => [r.route, r.verdict]), [['POST /orders', 'pool'], ['GET /cached', 'redis']])

  split.begin()
  const idle = split.end('POST /orders')
  assert.deepEqual([idle?.requests, idle?.verdict, idle?.summary], [0, null, 'POST /orders: no request finished during the capture'])
})
