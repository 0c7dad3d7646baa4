import { test } from 'node:test'
import assert from 'node:assert/strict'
import diagnosticsChannel from 'node:diagnostics_channel'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../../src/app.js'
import type { Config } from '../../../src/config.js'
import type { LoadReadings } from '../../../src/lib/load/level.js'
import type { DecisionEvent } from '../../../src/lib/load/decisions.js'
import { buildTestApp, ensureTestDb, flushRedisPrefix, testConfig } from '../../support/helper.js'

const CALM: LoadReadings = { eventLoopDelayP99Ms: 1, elu: 0.05, cpu: 0.05, heapRatio: 0.1, rssRatio: 0.1 }
const ROUTES = {
  reports: '/api/v1/test/report',
  browse: '/api/v1/test/browse',
  cart: '/api/v1/test/cart',
  critical: '/api/v1/test/checkout',
  never: '/api/v1/test/never-shed'
} as const
/** A browsing route whose requests take 5 ms each: a flood of it holds most of the work in flight. */
const FLOOD = '/api/v1/test/flood'

async function sheddingApp (t: Parameters<typeof buildTestApp>[0], overrides: Partial<Config> = {}, logLines?: Array<Record<string, unknown>>): Promise<FastifyInstance> {
  const logger = logLines && { level: 'info', stream: { write: (line: string) => { logLines.push(JSON.parse(line) as Record<string, unknown>) } } }
  const app = await buildTestApp(t, { loadSampleIntervalMs: 0, ...overrides }, {
    logger,
    setup: (app) => {
      const ok = async () => ({ ok: true })
      app.get(ROUTES.reports, { config: { criticality: 'reports' } }, ok)
      app.get(ROUTES.browse, ok) // undeclared: browsing
      app.get(ROUTES.cart, { config: { criticality: 'cart' } }, ok)
      app.post(ROUTES.critical, { config: { criticality: 'critical' } }, ok)
      app.get(ROUTES.never, { config: { shed: false } }, ok)
      app.get(FLOOD, { config: { rateLimit: false } }, async () => {
        await sleep(5)
        return { ok: true }
      })
    }
  })
  await flushRedisPrefix(app)
  return app
}

/** Applies readings and takes enough samples for shedding to start (2 consecutive). */
function pressure (app: FastifyInstance, readings: Partial<LoadReadings>): void {
  app.load.override({ ...CALM, ...readings })
  app.load.sampleNow()
}

async function statuses (app: FastifyInstance): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const [name, url] of Object.entries(ROUTES)) {
    out[name] = (await app.inject({ method: name === 'critical' ? 'POST' : 'GET', url })).statusCode
  }
  out.health = (await app.inject({ method: 'GET', url: '/health/live' })).statusCode
  return out
}

test('event-loop delay past its bound: browsing and reports get a fast 503 with Retry-After and the reason; cart and checkout go on', async (t) => {
  const app = await sheddingApp(t)
  pressure(app, { eventLoopDelayP99Ms: 300 })
  assert.deepEqual(await statuses(app), { reports: 503, browse: 503, cart: 200, critical: 200, never: 200, health: 200 })
  const res = await app.inject({ method: 'GET', url: ROUTES.browse })
  assert.equal(res.headers['retry-after'], '2')
  assert.match(String(res.headers['content-type']), /^application\/json/)
  const body = res.json()
  assert.equal(body.statusCode, 503)
  assert.equal(body.code, 'LOAD_SHED')
  assert.equal(body.error, 'Service Unavailable')
  assert.match(body.message, /The server is overloaded \(event loop delay p99 300 ms, bound 250 ms\)/)
  assert.equal(body.details[0].reason, 'event_loop_delay')
  assert.equal(body.details[0].retry_after_s, 2)
  assert.deepEqual(app.loadShedding.state().shedding, ['reports', 'browse'])
})

test('classes are shed in order as pressure grows: reports, browse, cart, checkout; health never', async (t) => {
  const app = await sheddingApp(t)
  pressure(app, { eventLoopDelayP99Ms: 210 })
  assert.deepEqual(await statuses(app), { reports: 503, browse: 200, cart: 200, critical: 200, never: 200, health: 200 })
  pressure(app, { eventLoopDelayP99Ms: 400 })
  assert.deepEqual(await statuses(app), { reports: 503, browse: 503, cart: 503, critical: 200, never: 200, health: 200 })
  pressure(app, { eventLoopDelayP99Ms: 600 })
  assert.deepEqual(await statuses(app), { reports: 503, browse: 503, cart: 503, critical: 503, never: 200, health: 200 })
})

test('one overloaded sample is not an overload: shedding starts on the second', async (t) => {
  const app = await sheddingApp(t)
  app.load.override({ ...CALM, eventLoopDelayP99Ms: 900 })
  assert.equal((await app.inject({ method: 'GET', url: ROUTES.browse })).statusCode, 200)
  app.load.sampleNow()
  assert.equal((await app.inject({ method: 'GET', url: ROUTES.browse })).statusCode, 503)
})

test('shedding stops by itself after 5 calm samples', async (t) => {
  const app = await sheddingApp(t)
  pressure(app, { eventLoopDelayP99Ms: 300 })
  app.load.override({ ...CALM })
  for (let i = 0; i < 3; i++) app.load.sampleNow()
  assert.equal((await app.inject({ method: 'GET', url: ROUTES.browse })).statusCode, 503, 'four calm samples: still shedding')
  app.load.sampleNow()
  assert.equal((await app.inject({ method: 'GET', url: ROUTES.browse })).statusCode, 200)
  assert.deepEqual(app.loadShedding.state().shedding, [])
})

test('heap past its bound sheds browsing with reason heap, never checkout', async (t) => {
  const app = await sheddingApp(t)
  pressure(app, { heapRatio: 0.97 })
  const res = await app.inject({ method: 'GET', url: ROUTES.browse })
  assert.equal(res.statusCode, 503)
  assert.equal(res.json().details[0].reason, 'heap')
  assert.equal((await app.inject({ method: 'POST', url: ROUTES.critical })).statusCode, 200)
})

test('event-loop utilisation sheds only when a bound is configured', async (t) => {
  const off = await sheddingApp(t)
  pressure(off, { elu: 1 })
  assert.equal((await off.inject({ method: 'GET', url: ROUTES.browse })).statusCode, 200, 'a saturated but responsive loop is not overloaded by default')
  const on = await sheddingApp(t, { shedEventLoopUtilization: 0.95 })
  pressure(on, { elu: 0.99 })
  const res = await on.inject({ method: 'GET', url: ROUTES.browse })
  assert.equal(res.statusCode, 503)
  assert.equal(res.json().details[0].reason, 'event_loop_utilization')
})

test('a shed request costs no rate-limit budget, and every shed is counted and published with its reason', async (t) => {
  const events: DecisionEvent[] = []
  const listener = (e: unknown) => { events.push(e as DecisionEvent) }
  diagnosticsChannel.subscribe('techmart:ratelimit:decision', listener)
  t.after(() => diagnosticsChannel.unsubscribe('techmart:ratelimit:decision', listener))
  const app = await sheddingApp(t)
  pressure(app, { eventLoopDelayP99Ms: 300 })
  const user = { authorization: `Bearer ${app.signAccessToken({ id: 5, role: 'customer' })}` }
  await app.inject({ method: 'GET', url: ROUTES.browse })
  await app.inject({ method: 'GET', url: ROUTES.browse })
  await app.inject({ method: 'GET', url: ROUTES.browse, headers: user })
  assert.deepEqual(app.loadShedding.stats().map(({ route, clientKind, decision, reason, count }) => ({ route, clientKind, decision, reason, count })), [
    { route: `GET ${ROUTES.browse}`, clientKind: 'ip', decision: 'shed', reason: 'event_loop_delay', count: 2 },
    { route: `GET ${ROUTES.browse}`, clientKind: 'user', decision: 'shed', reason: 'event_loop_delay', count: 1 }
  ])
  assert.equal(events.filter((e) => e.decision === 'shed' && e.reason === 'event_loop_delay').length, 3)
  app.load.override({ ...CALM })
  for (let i = 0; i < 5; i++) app.load.sampleNow()
  const res = await app.inject({ method: 'GET', url: ROUTES.browse })
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers['x-ratelimit-remaining'], '99', 'the shed requests were never counted')
})

test('LOAD_SHEDDING_ENABLED=false sheds nothing', async (t) => {
  const app = await sheddingApp(t, { loadSheddingEnabled: false })
  pressure(app, { eventLoopDelayP99Ms: 5000 })
  assert.deepEqual(await statuses(app), { reports: 200, browse: 200, cart: 200, critical: 200, never: 200, health: 200 })
})

test('an unknown criticality stops the boot naming the route', async () => {
  await ensureTestDb()
  const app = await buildApp(testConfig({ loadSampleIntervalMs: 0 }), { logger: false })
  try {
    assert.throws(() => app.get('/api/v1/test/odd', { config: { criticality: 'vip' as never } }, async () => ({})),
      /Invalid criticality 'vip' for route GET \/api\/v1\/test\/odd/)
  } finally {
    await app.close()
  }
})

/** One second of traffic: `n` flood requests (40 at a time) and a little ordinary browsing and checkout. */
async function floodSecond (app: FastifyInstance, n = 80, url = FLOOD): Promise<void> {
  for (let i = 0; i < n; i += 40) await Promise.all(Array.from({ length: Math.min(40, n - i) }, () => app.inject({ method: 'GET', url })))
  await app.inject({ method: 'GET', url: ROUTES.browse })
  await app.inject({ method: 'POST', url: ROUTES.critical })
}

/** One sample (override takes it) of the readings given: the traffic since the last sample is accounted. */
function loadedSample (app: FastifyInstance, readings: Partial<LoadReadings>) {
  app.load.override({ ...CALM, ...readings })
  return app.load.current()
}

test('an overload dominated by one route sheds that route alone: browsing, reports, cart and checkout go on', async (t) => {
  const app = await sheddingApp(t)
  await floodSecond(app)
  const first = loadedSample(app, { eventLoopDelayP99Ms: 300 })
  assert.equal(first.attribution.dominant?.route, `GET ${FLOOD}`)
  assert.ok(first.attribution.dominant.share > 0.9, `flood share ${first.attribution.dominant.share}`)
  await floodSecond(app)
  loadedSample(app, { eventLoopDelayP99Ms: 300 })
  const flooded = await app.inject({ method: 'GET', url: FLOOD })
  assert.equal(flooded.statusCode, 503)
  assert.equal(flooded.headers['retry-after'], '2')
  assert.equal(flooded.json().code, 'LOAD_SHED')
  assert.match(flooded.json().message, new RegExp(`GET ${FLOOD} sends \\d+ % of the requests`))
  assert.equal(flooded.json().details[0].route, `GET ${FLOOD}`)
  assert.deepEqual(await statuses(app), { reports: 200, browse: 200, cart: 200, critical: 200, never: 200, health: 200 },
    'the pressure the other routes put on the process is a tenth of the bound: nobody else is shed')
  const state = app.loadShedding.state()
  assert.equal(state.sheddingRoute, `GET ${FLOOD}`)
  assert.deepEqual(state.shedding, [])
  assert.ok(state.othersPressure < 0.5 && state.pressure > 1, JSON.stringify(state))
})

test('the flood stays shed while the pressure lasts (its own answers got cheap), and is let back in after 5 calm samples', async (t) => {
  const app = await sheddingApp(t)
  for (let i = 0; i < 2; i++) {
    await floodSecond(app)
    loadedSample(app, { eventLoopDelayP99Ms: 300 })
  }
  for (let i = 0; i < 3; i++) {
    await floodSecond(app) // 503s now: the flood's share of the work falls
    loadedSample(app, { eventLoopDelayP99Ms: 300 })
    assert.equal((await app.inject({ method: 'GET', url: FLOOD })).statusCode, 503)
    assert.equal((await app.inject({ method: 'GET', url: ROUTES.browse })).statusCode, 200)
  }
  for (let i = 0; i < 4; i++) loadedSample(app, {})
  assert.equal((await app.inject({ method: 'GET', url: FLOOD })).statusCode, 503, 'four calm samples: still shed')
  loadedSample(app, {})
  assert.equal((await app.inject({ method: 'GET', url: FLOOD })).statusCode, 200)
  assert.equal(app.loadShedding.state().sheddingRoute, undefined)
})

test('no overload, nothing shed: a route holding most of the work is not shed for it', async (t) => {
  const app = await sheddingApp(t)
  for (let i = 0; i < 3; i++) {
    await floodSecond(app)
    const s = loadedSample(app, { eventLoopDelayP99Ms: 150, elu: 0.95 })
    assert.equal(s.attribution.dominant?.route, `GET ${FLOOD}`)
  }
  assert.equal((await app.inject({ method: 'GET', url: FLOOD })).statusCode, 200)
  assert.deepEqual(await statuses(app), { reports: 200, browse: 200, cart: 200, critical: 200, never: 200, health: 200 })
  assert.equal(app.loadShedding.state().sheddingRoute, undefined)
})

test('a flood of health probes (never shed) gets nobody else shed', async (t) => {
  const app = await sheddingApp(t)
  for (let i = 0; i < 2; i++) {
    await floodSecond(app, 400, '/health/ready')
    const s = loadedSample(app, { eventLoopDelayP99Ms: 400 })
    assert.ok(s.attribution.attributedShare > 0.8, `probes hold ${s.attribution.attributedShare} of the work`)
  }
  assert.deepEqual(await statuses(app), { reports: 200, browse: 200, cart: 200, critical: 200, never: 200, health: 200 })
  assert.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200)
  assert.equal(app.loadShedding.state().sheddingRoute, undefined, 'health routes have no guard')
})

test('an overload spread over the routes is shed by class, as before', async (t) => {
  const app = await sheddingApp(t)
  for (let i = 0; i < 2; i++) {
    await Promise.all(Object.entries(ROUTES).map(([name, url]) => app.inject({ method: name === 'critical' ? 'POST' : 'GET', url })))
    loadedSample(app, { eventLoopDelayP99Ms: 300 })
  }
  assert.equal(app.load.current().attribution.dominant, undefined)
  assert.deepEqual(await statuses(app), { reports: 503, browse: 503, cart: 200, critical: 200, never: 200, health: 200 })
})

test('each change of what is shed is logged once, with the pressure and who sends the requests', async (t) => {
  const lines: Array<Record<string, unknown>> = []
  const app = await sheddingApp(t, {}, lines)
  for (let i = 0; i < 3; i++) {
    await floodSecond(app)
    loadedSample(app, { eventLoopDelayP99Ms: 300 })
  }
  for (let i = 0; i < 5; i++) loadedSample(app, {})
  const changes = lines.filter((l) => l.module === 'load-shedding')
  assert.deepEqual(changes.map((l) => [l.msg, l.route ?? null]), [['load shedding changed', `GET ${FLOOD}`], ['load shedding stopped', null]])
  const started = changes[0] as { pressure: number, others_pressure: number, event_loop_delay_p99_ms: number, request_shares: Array<{ route: string, share: number }> }
  assert.equal(started.pressure, 1.2)
  assert.ok(started.others_pressure < 0.1)
  assert.equal(started.event_loop_delay_p99_ms, 300)
  assert.equal(started.request_shares[0].route, `GET ${FLOOD}`)
  assert.equal(changes[0].level, 40, 'a start of shedding is a warning')
})
