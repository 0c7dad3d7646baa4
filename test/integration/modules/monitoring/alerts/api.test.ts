import { test, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import diagnosticsChannel from 'node:diagnostics_channel'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../../../../src/config.js'
import alertsPlugin, { type AlertsPluginOptions } from '../../../../../src/modules/monitoring/alerts/plugin.js'
import { alertsRoutes } from '../../../../../src/modules/monitoring/alerts/routes.js'
import type { Alert } from '../../../../../src/modules/monitoring/alerts/schemas.js'
import { buildTestApp, flushRedisPrefix, resetDb, TEST_DATABASE_URL } from '../../../../support/helper.js'
import { createUser } from '../../../../support/fixtures.js'
import { startTcpProxy } from '../../../../support/tcp-proxy.js'
import { buildMonitoringTestApp, fakeClock, fakeReader, underMonitoring, type FakeReader } from '../../../../support/monitoring-app.js'

const HEALTHY = { db_up: 1, redis_up: 1, http_p95_ms: 40, http_error_rate: 0, cache_hit_rate: 0.97 } as const

function pluginOptions (config: Readonly<Config>, extra: Partial<AlertsPluginOptions>): AlertsPluginOptions {
  return {
    rulesFile: '',
    evalIntervalMs: 60_000,
    repeatIntervalS: 3600,
    groupWaitMs: 0,
    webhookUrls: [],
    webhookTimeoutMs: 1000,
    webhookAttempts: 1,
    webhookBackoffMs: 10,
    externalUrl: 'http://127.0.0.1:3500',
    historyRetentionDays: 30,
    autoStart: false,
    ...extra
  }
}

/** The alerts plugin and routes with a fake reader and clock, as one instance `instanceId`. */
async function alertsApp (t: Parameters<typeof buildMonitoringTestApp>[0], reader: FakeReader, clock: () => number, instanceId: string, overrides: Partial<Config> = {}) {
  return buildMonitoringTestApp(t, async (app, config) => {
    await app.register(alertsPlugin, pluginOptions(config, { reader, clock, instanceId }))
    await underMonitoring(app, (api) => api.register(alertsRoutes, { alerts: app.alerts.service }))
  }, overrides)
}

async function getAlerts (app: FastifyInstance, token: string) {
  const res = await app.inject({ method: 'GET', url: '/api/v1/monitoring/alerts?history_limit=20', headers: { authorization: `Bearer ${token}` } })
  assert.equal(res.statusCode, 200, res.body)
  return res.json()
}

beforeEach(async () => { await resetDb() })

test('alert routes through the real app: admin only, validated, evaluation on app.metrics', async (t) => {
  const app = await buildTestApp(t, { alertEvalIntervalMs: 300_000 })
  await flushRedisPrefix(app)
  const admin = await createUser(app, { role: 'admin' })
  const customer = await createUser(app, { role: 'customer' })
  const seller = await createUser(app, { role: 'seller' })

  const anonymous = await app.inject({ method: 'GET', url: '/api/v1/monitoring/alerts' })
  assert.equal(anonymous.statusCode, 401)
  assert.equal(anonymous.json().code, 'AUTH_TOKEN_MISSING')
  const asCustomer = await app.inject({ method: 'GET', url: '/api/v1/monitoring/alerts', headers: { authorization: `Bearer ${customer.token}` } })
  assert.equal(asCustomer.statusCode, 403)
  assert.equal(asCustomer.json().code, 'AUTH_FORBIDDEN')
  const sellerSilence = await app.inject({ method: 'POST', url: '/api/v1/monitoring/alerts/postgres_down/silence', headers: { authorization: `Bearer ${seller.token}` }, payload: { duration_s: 600, comment: 'x' } })
  assert.equal(sellerSilence.statusCode, 403)
  const sellerNotifications = await app.inject({ method: 'GET', url: '/api/v1/monitoring/alerts/notifications', headers: { authorization: `Bearer ${seller.token}` } })
  assert.equal(sellerNotifications.statusCode, 403)
  const badQuery = await app.inject({ method: 'GET', url: '/api/v1/monitoring/alerts?history_limit=0', headers: { authorization: `Bearer ${admin.token}` } })
  assert.equal(badQuery.statusCode, 400)
  assert.equal(badQuery.json().code, 'APP_VALIDATION_FAILED')

  const body = await getAlerts(app, admin.token)
  assert.equal(body.evaluation.enabled, true, 'app.metrics is the reader')
  assert.equal(body.source, 'database')
  assert.ok(body.rules.some((r: { id: string }) => r.id === 'high_latency_p95'))
  assert.equal(body.alerts.length, body.rules.length)
  assert.ok(body.alerts.every((a: Alert) => a.state === 'inactive'))
})

test('pending → firing over for_s with a controlled clock: served, published, persisted, notified once', async (t) => {
  const reader = fakeReader(HEALTHY)
  const clock = fakeClock()
  const app = await alertsApp(t, reader, clock.now, 'instance-a')
  await flushRedisPrefix(app)
  const admin = await createUser(app, { role: 'admin' })
  const published: Alert[] = []
  const onAlert = (msg: unknown) => { published.push(msg as Alert) }
  diagnosticsChannel.subscribe('techmart:alert:transition', onAlert)
  t.after(() => diagnosticsChannel.unsubscribe('techmart:alert:transition', onAlert))

  assert.ok(await app.alerts.evaluate(), 'this instance holds the lease')
  reader.set('http_p95_ms', 420)
  clock.advance(5000)
  await app.alerts.evaluate()
  let body = await getAlerts(app, admin.token)
  assert.deepEqual(body.active.map((a: Alert) => [a.id, a.state]), [['high_latency_p95', 'pending']])
  assert.equal(body.active[0].value, 420)
  assert.match(body.active[0].summary, /http_p95_ms is 420/)

  clock.advance(60_000)
  await app.alerts.evaluate()
  await app.alerts.drainNotifications()
  body = await getAlerts(app, admin.token)
  const firing = body.active[0]
  assert.deepEqual([firing.id, firing.state, firing.silenced, firing.inhibited], ['high_latency_p95', 'firing', false, false])
  assert.equal(firing.labels.instance, 'instance-a')
  assert.equal(firing.firing_since, new Date(clock.now()).toISOString())
  assert.deepEqual(body.history.map((e: { from_state: string, to_state: string }) => `${e.from_state}>${e.to_state}`), ['pending>firing', 'inactive>pending'])
  assert.deepEqual(published.map((a) => a.state), ['pending', 'firing'])

  // Many more evaluations while firing: no further notification.
  for (let i = 0; i < 5; i++) {
    clock.advance(5000)
    await app.alerts.evaluate()
  }
  await app.alerts.drainNotifications()
  const log = await app.inject({ method: 'GET', url: '/api/v1/monitoring/alerts/notifications', headers: { authorization: `Bearer ${admin.token}` } })
  assert.equal(log.statusCode, 200)
  const notifications = log.json().notifications
  assert.equal(notifications.length, 1)
  assert.deepEqual([notifications[0].receiver, notifications[0].status, notifications[0].outcome, notifications[0].rule_ids], ['log', 'firing', 'sent', ['high_latency_p95']])

  reader.set('http_p95_ms', 30)
  clock.advance(61_000) // past keep_firing_for_s
  await app.alerts.evaluate()
  await app.alerts.drainNotifications()
  body = await getAlerts(app, admin.token)
  assert.equal(body.active.length, 0)
  assert.equal(body.alerts.find((a: Alert) => a.id === 'high_latency_p95').state, 'resolved')
  const after = (await app.inject({ method: 'GET', url: '/api/v1/monitoring/alerts/notifications', headers: { authorization: `Bearer ${admin.token}` } })).json().notifications
  assert.deepEqual(after.map((n: { status: string }) => n.status), ['resolved', 'firing'])
})

test('a firing alert whose condition cleared reads as resolving; states nobody evaluates any more are stale, not current', async (t) => {
  const reader = fakeReader(HEALTHY)
  const clock = fakeClock()
  const app = await alertsApp(t, reader, clock.now, 'instance-k')
  await flushRedisPrefix(app)
  const admin = await createUser(app, { role: 'admin' })
  assert.ok(await app.alerts.evaluate())
  reader.set('http_p95_ms', 420)
  await app.alerts.evaluate()
  clock.advance(60_000)
  await app.alerts.evaluate()
  let alert = (await getAlerts(app, admin.token)).active[0]
  assert.deepEqual([alert.id, alert.state, alert.resolving, alert.resolves_at, alert.stale], ['high_latency_p95', 'firing', false, null, false])

  // The condition clears: still firing for keep_firing_for_s (60 s), and it says so.
  reader.set('http_p95_ms', 30)
  clock.advance(20_000)
  await app.alerts.evaluate()
  const body = await getAlerts(app, admin.token)
  alert = body.active[0]
  assert.deepEqual([alert.state, alert.resolving, alert.stale], ['firing', true, false])
  assert.equal(alert.resolves_at, new Date(clock.now() + 40_000).toISOString())
  assert.equal(alert.summary, 'http_p95_ms is 30 (> 200 over 30s); condition cleared 20s ago, resolves in 40s unless it breaches again')
  assert.deepEqual([body.evaluation.instance, body.evaluation.leader, body.evaluation.stale_after_ms], ['instance-k', true, 30_000 + 3 * 60_000])

  // Another instance on the same database, which does not evaluate: it reads the same, from the store.
  const reader2 = fakeReader(HEALTHY)
  const other = await alertsApp(t, reader2, clock.now, 'instance-l')
  let seen = (await getAlerts(other, admin.token)).active[0]
  assert.deepEqual([seen.state, seen.resolving, seen.stale, seen.labels.instance], ['firing', true, false, 'instance-k'])

  // Nobody evaluates any more (the evaluating process is gone): past stale_after_ms the state is marked stale, listed last, not current.
  clock.advance(30_000 + 3 * 60_000 + 1)
  const later = await getAlerts(other, admin.token)
  seen = later.active[0]
  assert.deepEqual([seen.id, seen.state, seen.stale], ['high_latency_p95', 'firing', true])
  assert.equal((await other.alerts.service.alert('high_latency_p95'))?.stale, true)
  assert.equal(later.alerts.find((a: Alert) => a.id === 'postgres_down').stale, false, 'inactive alerts are never stale')
})

test('silences: create, validation, applied at the next evaluation, expire early, 404 and 409', async (t) => {
  const reader = fakeReader({ ...HEALTHY, db_up: 0 })
  const clock = fakeClock()
  const app = await alertsApp(t, reader, clock.now, 'instance-s')
  await flushRedisPrefix(app)
  const admin = await createUser(app, { role: 'admin' })
  const auth = { authorization: `Bearer ${admin.token}` }

  const bad = await app.inject({ method: 'POST', url: '/api/v1/monitoring/alerts/postgres_down/silence', headers: auth, payload: { duration_s: 5, comment: '' } })
  assert.equal(bad.statusCode, 400)
  assert.equal(bad.json().code, 'APP_VALIDATION_FAILED')
  assert.ok(bad.json().details.some((d: { field: string }) => d.field === 'body.duration_s'))
  const extra = await app.inject({ method: 'POST', url: '/api/v1/monitoring/alerts/postgres_down/silence', headers: auth, payload: { duration_s: 600, comment: 'x', forever: true } })
  assert.equal(extra.statusCode, 400)
  const unknown = await app.inject({ method: 'POST', url: '/api/v1/monitoring/alerts/no_such_rule/silence', headers: auth, payload: { duration_s: 600, comment: 'x' } })
  assert.equal(unknown.statusCode, 404)
  assert.equal(unknown.json().code, 'ALERTS_RULE_NOT_FOUND')
  assert.match(unknown.json().message, /no_such_rule/)

  const created = await app.inject({ method: 'POST', url: '/api/v1/monitoring/alerts/postgres_down/silence', headers: auth, payload: { duration_s: 600, comment: 'planned failover' } })
  assert.equal(created.statusCode, 201)
  const silence = created.json()
  assert.equal(silence.rule_id, 'postgres_down')
  assert.equal(silence.comment, 'planned failover')
  assert.equal(silence.created_by, admin.id)
  assert.equal(silence.active, true)
  assert.equal(Date.parse(silence.ends_at) - Date.parse(silence.created_at), 600_000)

  await app.alerts.evaluate()
  clock.advance(10_000) // postgres_down's for_s
  await app.alerts.evaluate()
  await app.alerts.drainNotifications()
  let body = await getAlerts(app, admin.token)
  const db = body.active.find((a: Alert) => a.id === 'postgres_down')
  assert.deepEqual([db.state, db.silenced, db.silenced_by], ['firing', true, silence.id])
  assert.deepEqual(body.silences.map((s: { id: number }) => s.id), [silence.id])
  assert.deepEqual(body.history.map((e: { to_state: string, silenced: boolean }) => [e.to_state, e.silenced]), [['firing', true], ['pending', true]])
  const none = (await app.inject({ method: 'GET', url: '/api/v1/monitoring/alerts/notifications', headers: auth })).json().notifications
  assert.equal(none.length, 0, 'a silenced alert is not notified')

  const expired = await app.inject({ method: 'DELETE', url: `/api/v1/monitoring/silences/${silence.id}`, headers: auth })
  assert.equal(expired.statusCode, 200)
  assert.equal(expired.json().active, false)
  assert.ok(expired.json().expired_at)
  const again = await app.inject({ method: 'DELETE', url: `/api/v1/monitoring/silences/${silence.id}`, headers: auth })
  assert.equal(again.statusCode, 409)
  assert.equal(again.json().code, 'ALERTS_SILENCE_ALREADY_ENDED')
  const missing = await app.inject({ method: 'DELETE', url: '/api/v1/monitoring/silences/999999', headers: auth })
  assert.equal(missing.statusCode, 404)
  assert.equal(missing.json().code, 'ALERTS_SILENCE_NOT_FOUND')
  const badId = await app.inject({ method: 'DELETE', url: '/api/v1/monitoring/silences/abc', headers: auth })
  assert.equal(badId.statusCode, 400)

  clock.advance(5000)
  await app.alerts.evaluate()
  await app.alerts.drainNotifications()
  body = await getAlerts(app, admin.token)
  assert.equal(body.active.find((a: Alert) => a.id === 'postgres_down').silenced, false)
  assert.equal(body.silences.length, 0)
  const sent = (await app.inject({ method: 'GET', url: '/api/v1/monitoring/alerts/notifications', headers: auth })).json().notifications
  assert.deepEqual(sent.map((n: { status: string, rule_ids: string[] }) => [n.status, n.rule_ids]), [['firing', ['postgres_down']]], 'notified once the silence ended')
})

test('two instances: only the lease holder evaluates, and a successor continues the episode without re-notifying', async (t) => {
  const reader = fakeReader({ ...HEALTHY, db_up: 0 })
  const clock = fakeClock()
  const a = await alertsApp(t, reader, clock.now, 'instance-a')
  const b = await alertsApp(t, reader, clock.now, 'instance-b')
  await flushRedisPrefix(b)
  const admin = await createUser(a, { role: 'admin' })

  assert.ok(await a.alerts.evaluate(), 'a takes the lease')
  assert.equal(await b.alerts.evaluate(), undefined, 'b does not evaluate while a holds the lease')
  clock.advance(10_000)
  assert.deepEqual((await a.alerts.evaluate())?.notices.map((n) => n.alert.id), ['postgres_down'])
  await a.alerts.drainNotifications()
  await a.close() // releases the lease

  clock.advance(5000)
  const tick = await b.alerts.evaluate()
  assert.ok(tick, 'b took over')
  assert.equal(tick.notices.length, 0, 'the firing was already notified by a')
  assert.equal(tick.transitions.length, 0)
  await b.alerts.drainNotifications()
  const res = await b.inject({ method: 'GET', url: '/api/v1/monitoring/alerts/notifications', headers: { authorization: `Bearer ${admin.token}` } })
  assert.equal(res.json().notifications.length, 1)
  const body = await getAlerts(b, admin.token)
  assert.equal(body.evaluation.leader, true)
  assert.equal(body.active.find((x: Alert) => x.id === 'postgres_down').labels.instance, 'instance-a')
})

test('PostgreSQL down: the leader still fires postgres_down, the API serves it from memory, history is written on recovery', async (t) => {
  const proxy = await startTcpProxy(5432)
  t.after(() => proxy.close())
  const reader = fakeReader(HEALTHY)
  const clock = fakeClock()
  const dbName = new URL(TEST_DATABASE_URL).pathname
  const app = await alertsApp(t, reader, clock.now, 'instance-d', { databaseUrl: proxy.url('postgres', dbName) })
  await flushRedisPrefix(app)
  const admin = await createUser(app, { role: 'admin' })
  await app.alerts.evaluate()
  await getAlerts(app, admin.token) // a successful read fills the fallback view

  proxy.cut()
  reader.set('db_up', 0)
  clock.advance(5000)
  await app.alerts.evaluate()
  clock.advance(10_000)
  const tick = await app.alerts.evaluate()
  assert.deepEqual(tick?.notices.map((n) => [n.alert.id, n.status]), [['postgres_down', 'firing']])
  const body = await getAlerts(app, admin.token)
  assert.equal(body.source, 'memory')
  assert.deepEqual(body.active.map((a: Alert) => [a.id, a.state]), [['postgres_down', 'firing']])

  proxy.restore()
  reader.set('db_up', 1)
  clock.advance(16_000) // past postgres_down's keep_firing_for_s
  await app.alerts.evaluate()
  await app.alerts.drainNotifications()
  const recovered = await getAlerts(app, admin.token)
  assert.equal(recovered.source, 'database')
  assert.deepEqual(recovered.history.map((e: { rule_id: string, to_state: string }) => `${e.rule_id}:${e.to_state}`), ['postgres_down:resolved', 'postgres_down:firing', 'postgres_down:pending'])
})

test('unchanged alerts are written every 30 s, changed ones at once', async (t) => {
  const reader = fakeReader(HEALTHY)
  const clock = fakeClock()
  const app = await alertsApp(t, reader, clock.now, 'instance-w')
  await flushRedisPrefix(app)
  const lastEvaluated = async (rule: string) => {
    const [row] = await app.db.sql<{ t: number }[]>`SELECT round(extract(epoch FROM last_evaluated_at) * 1000)::float8 AS t FROM alert_states WHERE rule_id = ${rule}`
    return row.t
  }
  const start = clock.now()
  await app.alerts.evaluate()
  assert.equal(await lastEvaluated('redis_down'), start)
  clock.advance(5000)
  reader.set('http_p95_ms', 900)
  await app.alerts.evaluate()
  assert.equal(await lastEvaluated('redis_down'), start, 'nothing changed: not rewritten')
  assert.equal(await lastEvaluated('high_latency_p95'), start + 5000, 'went pending: written at once')
  clock.advance(30_000)
  await app.alerts.evaluate()
  assert.equal(await lastEvaluated('redis_down'), start + 35_000, 'the periodic full write')
})
