import { test, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import alertsPlugin from '../../../../../src/modules/monitoring/alerts/plugin.js'
import { alertsRoutes } from '../../../../../src/modules/monitoring/alerts/routes.js'
import { buildPayload, deliverWebhook, type AlertmanagerPayload, type DeliveryAttempt } from '../../../../../src/modules/monitoring/alerts/webhook.js'
import type { AlertNotice } from '../../../../../src/modules/monitoring/alerts/engine.js'
import type { Alert } from '../../../../../src/modules/monitoring/alerts/schemas.js'
import { flushRedisPrefix, resetDb } from '../../../../support/helper.js'
import { createUser } from '../../../../support/fixtures.js'
import { buildMonitoringTestApp, fakeClock, fakeReader, underMonitoring, type FakeReader } from '../../../../support/monitoring-app.js'

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void

interface Received { n: number, headers: IncomingMessage['headers'], body: AlertmanagerPayload }

/** A local webhook receiver; `handle` decides each answer (the n-th request is 1-based). */
async function startReceiver (t: { after: (fn: () => unknown) => void }, handle: Handler) {
  const received: Received[] = []
  let waiting: (() => void) | undefined
  const server = createServer((req, res) => {
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (c: string) => { raw += c })
    req.on('end', () => {
      received.push({ n: received.length + 1, headers: req.headers, body: JSON.parse(raw) })
      waiting?.()
      handle(req, res, received.length)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks/SECRET-TOKEN?key=SECRET-KEY`,
    origin: `http://127.0.0.1:${port}`,
    received,
    /** Resolves once `count` requests have arrived. */
    waitFor: (count: number) => new Promise<void>((resolve) => {
      const check = () => { if (received.length >= count) resolve(); else waiting = check }
      check()
    })
  }
}

const reply = (status: number) => (_req: IncomingMessage, res: ServerResponse) => { res.writeHead(status).end() }

async function webhookApp (t: Parameters<typeof buildMonitoringTestApp>[0], reader: FakeReader, clock: () => number, urls: string[], extra: { timeoutMs?: number, attempts?: number } = {}) {
  const app = await buildMonitoringTestApp(t, async (app) => {
    await app.register(alertsPlugin, {
      rulesFile: '',
      evalIntervalMs: 60_000,
      repeatIntervalS: 3600,
      groupWaitMs: 0,
      webhookUrls: urls,
      webhookTimeoutMs: extra.timeoutMs ?? 2000,
      webhookAttempts: extra.attempts ?? 3,
      webhookBackoffMs: 5,
      externalUrl: 'http://dashboard.example:3500/',
      historyRetentionDays: 30,
      autoStart: false,
      reader,
      clock,
      instanceId: 'webhook-test'
    })
    await underMonitoring(app, (api) => api.register(alertsRoutes, { alerts: app.alerts.service }))
  })
  await flushRedisPrefix(app)
  return app
}

/** Makes postgres_down fire (for_s 10) and returns when the evaluation has run. */
async function firePostgresDown (app: FastifyInstance, reader: FakeReader, clock: ReturnType<typeof fakeClock>) {
  reader.set('db_up', 0)
  await app.alerts.evaluate()
  clock.advance(10_000)
  return app.alerts.evaluate()
}

async function notificationLog (app: FastifyInstance, token: string) {
  const res = await app.inject({ method: 'GET', url: '/api/v1/monitoring/alerts/notifications', headers: { authorization: `Bearer ${token}` } })
  assert.equal(res.statusCode, 200)
  return res.json().notifications as { receiver: string, target: string, status: string, attempt: number, outcome: string, http_status: number | null, error: string | null, rule_ids: string[] }[]
}

beforeEach(async () => { await resetDb() })

test('Alertmanager body: version 4, group key and labels, common labels and annotations, zero endsAt while firing', () => {
  const alert = (id: string, severity: Alert['severity'], state: Alert['state']): Alert => ({
    id,
    fingerprint: `fp-${id}`,
    state,
    severity,
    group: 'dependencies',
    description: `${id} description`,
    summary: `${id} summary`,
    metric: 'db_up',
    value: 0,
    threshold: 1,
    labels: { alertname: id, severity, alertgroup: 'dependencies', service: 'techmart', instance: 'host:1' },
    active_since: '2026-01-01T10:00:00.000Z',
    firing_since: '2026-01-01T10:00:10.000Z',
    resolved_at: state === 'resolved' ? '2026-01-01T10:05:00.000Z' : null,
    last_evaluated_at: null,
    last_notified_at: null,
    silenced: false,
    silenced_by: null,
    inhibited: false,
    inhibited_by: null,
    resolving: false,
    resolves_at: null,
    stale: false
  })
  const notice = (a: Alert, status: 'firing' | 'resolved'): AlertNotice => ({ status, repeat: false, alert: a, rule: undefined as never })
  const body = buildPayload('dependencies', [notice(alert('postgres_down', 'critical', 'firing'), 'firing'), notice(alert('redis_down', 'critical', 'resolved'), 'resolved')], 'http://dash.example/')
  assert.equal(body.version, '4')
  assert.equal(body.groupKey, '{}:{alertgroup="dependencies"}')
  assert.equal(body.status, 'firing', 'firing when any alert of the group fires')
  assert.equal(body.receiver, 'techmart-webhook')
  assert.equal(body.truncatedAlerts, 0)
  assert.deepEqual(body.groupLabels, { alertgroup: 'dependencies' })
  assert.deepEqual(body.commonLabels, { severity: 'critical', alertgroup: 'dependencies', service: 'techmart', instance: 'host:1' })
  assert.deepEqual(body.commonAnnotations, {})
  assert.equal(body.externalURL, 'http://dash.example')
  assert.deepEqual(body.alerts[0], {
    status: 'firing',
    labels: { alertname: 'postgres_down', severity: 'critical', alertgroup: 'dependencies', service: 'techmart', instance: 'host:1' },
    annotations: { summary: 'postgres_down summary', description: 'postgres_down description' },
    startsAt: '2026-01-01T10:00:10.000Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://dash.example/dashboard#alert=postgres_down',
    fingerprint: 'fp-postgres_down'
  })
  assert.equal(body.alerts[1].status, 'resolved')
  assert.equal(body.alerts[1].endsAt, '2026-01-01T10:05:00.000Z')
})

test('a firing alert is POSTed to the webhook; the failed first attempt is retried and every attempt is logged', async (t) => {
  const receiver = await startReceiver(t, (req, res, n) => reply(n === 1 ? 500 : 200)(req, res))
  const reader = fakeReader({ db_up: 1, redis_up: 1 })
  const clock = fakeClock()
  const app = await webhookApp(t, reader, clock.now, [receiver.url])
  const admin = await createUser(app, { role: 'admin' })

  const tick = await firePostgresDown(app, reader, clock)
  assert.deepEqual(tick?.notices.map((n) => n.alert.id), ['postgres_down'])
  await app.alerts.drainNotifications()

  assert.equal(receiver.received.length, 2, 'one failure, one success')
  const [first, second] = receiver.received
  assert.deepEqual(second.body, first.body, 'the retry sends the same body')
  assert.equal(first.headers['content-type'], 'application/json')
  const body = first.body
  assert.equal(body.status, 'firing')
  assert.equal(body.groupKey, '{}:{alertgroup="dependencies"}')
  assert.equal(body.alerts.length, 1)
  const a = body.alerts[0]
  assert.deepEqual(a.labels, { alertname: 'postgres_down', severity: 'critical', alertgroup: 'dependencies', service: 'techmart', instance: 'webhook-test' })
  assert.equal(a.startsAt, new Date(clock.now()).toISOString())
  assert.equal(a.endsAt, '0001-01-01T00:00:00Z')
  assert.match(a.annotations.summary, /db_up is 0/)
  assert.equal(a.generatorURL, 'http://dashboard.example:3500/dashboard#alert=postgres_down')

  const log = await notificationLog(app, admin.token)
  const webhook = log.filter((n) => n.receiver === 'webhook').sort((x, y) => x.attempt - y.attempt)
  assert.deepEqual(webhook.map((n) => [n.attempt, n.outcome, n.http_status]), [[1, 'retrying', 500], [2, 'sent', 200]])
  assert.ok(webhook.every((n) => n.target === receiver.origin), 'only the origin is stored')
  assert.ok(log.every((n) => !JSON.stringify(n).includes('SECRET')), 'the secret path and query never reach the log table')
  assert.equal(log.filter((n) => n.receiver === 'log').length, 1)

  // Resolution: one more body, status resolved, endsAt set.
  reader.set('db_up', 1)
  clock.advance(16_000)
  await app.alerts.evaluate()
  await app.alerts.drainNotifications()
  assert.equal(receiver.received.length, 3)
  const resolved = receiver.received[2].body
  assert.equal(resolved.status, 'resolved')
  assert.equal(resolved.alerts[0].endsAt, new Date(clock.now()).toISOString())
})

test('alerts of one group firing together go out as one webhook call', async (t) => {
  const receiver = await startReceiver(t, reply(200))
  const reader = fakeReader({ db_up: 1, redis_up: 1 })
  const clock = fakeClock()
  const app = await webhookApp(t, reader, clock.now, [receiver.url])
  reader.set('redis_up', 0)
  await firePostgresDown(app, reader, clock)
  clock.advance(5000) // redis_down's for_s is 15
  await app.alerts.evaluate()
  await app.alerts.drainNotifications()
  // postgres_down fired at +10 s, redis_down at +15 s: two ticks, two calls; now both fire together in one call after a reset.
  assert.deepEqual(receiver.received.map((r) => r.body.alerts.map((a) => a.labels.alertname)), [['postgres_down'], ['redis_down']])

  await resetDb()
  await flushRedisPrefix(app)
  const reader2 = fakeReader({ db_up: 0, redis_up: 0 })
  const clock2 = fakeClock()
  const app2 = await webhookApp(t, reader2, clock2.now, [receiver.url])
  await app2.alerts.evaluate()
  clock2.advance(15_000)
  await app2.alerts.evaluate()
  await app2.alerts.drainNotifications()
  const last = receiver.received.at(-1)!.body
  assert.deepEqual(last.alerts.map((a) => a.labels.alertname).sort(), ['postgres_down', 'redis_down'])
  assert.deepEqual(last.commonLabels, { severity: 'critical', alertgroup: 'dependencies', service: 'techmart', instance: 'webhook-test' })
})

test('a slow receiver never holds up evaluation', async (t) => {
  let release: (() => void) | undefined
  const receiver = await startReceiver(t, (_req, res) => { release = () => res.writeHead(200).end() })
  const reader = fakeReader({ db_up: 1, redis_up: 1 })
  const clock = fakeClock()
  const app = await webhookApp(t, reader, clock.now, [receiver.url], { timeoutMs: 30_000 })
  await firePostgresDown(app, reader, clock)
  await receiver.waitFor(1) // the receiver holds this request unanswered...
  clock.advance(5000)
  assert.ok(await app.alerts.evaluate(), '...while the next evaluations complete')
  clock.advance(5000)
  assert.ok(await app.alerts.evaluate())
  release!()
  await app.alerts.drainNotifications()
  assert.equal(receiver.received.length, 1)
})

test('a 4xx answer is not retried; a timeout is', async (t) => {
  const rejecting = await startReceiver(t, reply(400))
  const attempts: DeliveryAttempt[] = []
  const payload = { version: '4', groupKey: 'g', truncatedAlerts: 0, status: 'firing', receiver: 'r', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'x', alerts: [] } as AlertmanagerPayload
  assert.equal(await deliverWebhook(rejecting.url, payload, { timeoutMs: 1000, attempts: 3, backoffMs: 1, onAttempt: (a) => attempts.push(a) }), false)
  assert.deepEqual(attempts.map((a) => [a.attempt, a.outcome, a.httpStatus]), [[1, 'failed', 400]])

  const slowFirst = await startReceiver(t, (req, res, n) => { if (n > 1) reply(200)(req, res) })
  attempts.length = 0
  assert.equal(await deliverWebhook(slowFirst.url, payload, { timeoutMs: 300, attempts: 3, backoffMs: 1, random: () => 0, onAttempt: (a) => attempts.push(a) }), true)
  assert.deepEqual(attempts.map((a) => [a.attempt, a.outcome]), [[1, 'retrying'], [2, 'sent']])
  assert.match(attempts[0].error ?? '', /timed out after 300 ms/)

  const closed = createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  const closedPort = (closed.address() as AddressInfo).port
  await new Promise<void>((resolve) => closed.close(() => resolve()))
  attempts.length = 0
  assert.equal(await deliverWebhook(`http://127.0.0.1:${closedPort}/hook`, payload, { timeoutMs: 500, attempts: 2, backoffMs: 1, onAttempt: (a) => attempts.push(a) }), false)
  assert.deepEqual(attempts.map((a) => [a.attempt, a.outcome, a.error]), [[1, 'retrying', 'ECONNREFUSED'], [2, 'failed', 'ECONNREFUSED']])
})

test('retries waiting at shutdown are abandoned and logged as failed', async (t) => {
  const down = await startReceiver(t, reply(503))
  const attempts: DeliveryAttempt[] = []
  const shutdown = new AbortController()
  const payload = { version: '4', groupKey: 'g', truncatedAlerts: 0, status: 'firing', receiver: 'r', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'x', alerts: [] } as AlertmanagerPayload
  const delivery = deliverWebhook(down.url, payload, { timeoutMs: 1000, attempts: 5, backoffMs: 60_000, signal: shutdown.signal, onAttempt: (a) => attempts.push(a) })
  await down.waitFor(1)
  while (attempts.length === 0) await new Promise((resolve) => setImmediate(resolve))
  shutdown.abort()
  assert.equal(await delivery, false)
  assert.deepEqual(attempts.map((a) => [a.attempt, a.outcome]), [[1, 'retrying'], [1, 'failed']])
  assert.equal(attempts[1].error, 'retries abandoned at shutdown')
})

test('ALERT_WEBHOOK_URLS that are not http(s) URLs stop the boot', async (t) => {
  await assert.rejects(webhookApp(t, fakeReader(), Date.now, ['ftp://example.com/x']), /ALERT_WEBHOOK_URLS: 'ftp:\/\/example.com\/x' is not an http\(s\) URL/)
})
