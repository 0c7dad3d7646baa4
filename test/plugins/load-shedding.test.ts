import { test } from 'node:test'
import assert from 'node:assert/strict'
import diagnosticsChannel from 'node:diagnostics_channel'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import type { Config } from '../../src/config.js'
import type { LoadReadings } from '../../src/lib/load-level.js'
import type { DecisionEvent } from '../../src/lib/traffic-decisions.js'
import { buildTestApp, ensureTestDb, flushRedisPrefix, testConfig } from '../helper.js'

const CALM: LoadReadings = { eventLoopDelayP99Ms: 1, elu: 0.05, cpu: 0.05, heapRatio: 0.1, rssRatio: 0.1 }
const ROUTES = {
  reports: '/api/v1/test/report',
  browse: '/api/v1/test/browse',
  cart: '/api/v1/test/cart',
  critical: '/api/v1/test/checkout',
  never: '/api/v1/test/never-shed'
} as const

async function sheddingApp (t: Parameters<typeof buildTestApp>[0], overrides: Partial<Config> = {}): Promise<FastifyInstance> {
  const app = await buildTestApp(t, { loadSampleIntervalMs: 0, ...overrides }, {
    setup: (app) => {
      const ok = async () => ({ ok: true })
      app.get(ROUTES.reports, { config: { criticality: 'reports' } }, ok)
      app.get(ROUTES.browse, ok) // undeclared: browsing
      app.get(ROUTES.cart, { config: { criticality: 'cart' } }, ok)
      app.post(ROUTES.critical, { config: { criticality: 'critical' } }, ok)
      app.get(ROUTES.never, { config: { shed: false } }, ok)
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
  assert.equal(res.headers['ratelimit-remaining'], '99', 'the shed requests were never counted')
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
