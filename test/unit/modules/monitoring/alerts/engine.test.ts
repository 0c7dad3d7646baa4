import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { MetricName, MetricsReader } from '../../../../../src/lib/metrics/reader.js'
import { createAlertEngine, type ActiveSilence } from '../../../../../src/modules/monitoring/alerts/engine.js'
import { AlertRulesError, DEFAULT_ALERT_RULES, loadAlertRules, validateRules } from '../../../../../src/modules/monitoring/alerts/rules.js'
import type { AlertRule, ThresholdRule } from '../../../../../src/modules/monitoring/alerts/schemas.js'
import { AlertsErrors } from '../../../../../src/modules/monitoring/alerts/errors.js'
import { ProfilesErrors } from '../../../../../src/modules/monitoring/profiling/errors.js'
import { StoreTimeoutError } from '../../../../../src/modules/monitoring/shared/index.js'

/** A reader whose values the test sets; `byWindow` gives a value per window length. */
function fakeReader () {
  const values = new Map<string, number | undefined>()
  const reader: MetricsReader & { set: (m: MetricName, v: number | undefined, windowS?: number) => void } = {
    value: (metric, windowS) => values.has(`${metric}@${windowS}`) ? values.get(`${metric}@${windowS}`) : values.get(metric),
    routeP95: () => undefined,
    routeCount: () => 0,
    set: (metric, v, windowS) => { values.set(windowS === undefined ? metric : `${metric}@${windowS}`, v) }
  }
  return reader
}

const latency: ThresholdRule = {
  type: 'threshold',
  id: 'high_latency_p95',
  metric: 'http_p95_ms',
  window_s: 60,
  operator: '>',
  threshold: 200,
  for_s: 60,
  keep_firing_for_s: 30,
  severity: 'critical',
  group: 'latency',
  inhibited_by: ['postgres_down'],
  description: 'p95 too high'
}
const dbDown: ThresholdRule = {
  type: 'threshold',
  id: 'postgres_down',
  metric: 'db_up',
  window_s: 15,
  operator: '<',
  threshold: 1,
  for_s: 0,
  keep_firing_for_s: 0,
  severity: 'critical',
  group: 'dependencies',
  description: 'db down'
}

function setup (rules: AlertRule[] = [latency, dbDown], repeatIntervalS = 600) {
  const reader = fakeReader()
  const engine = createAlertEngine({ rules, reader, repeatIntervalS, instance: 'test:1' })
  let now = Date.UTC(2026, 0, 1, 12, 0, 0)
  const tick = (advanceS: number, silences: ActiveSilence[] = []) => {
    now += advanceS * 1000
    return engine.evaluate(now, silences)
  }
  return { reader, engine, tick, now: () => now }
}

const stateOf = (engine: ReturnType<typeof createAlertEngine>, id: string) => engine.alerts().find((a) => a.id === id)!

test('inactive → pending → firing after for_s → resolved after keep_firing_for_s, one notification each way', () => {
  const { reader, engine, tick } = setup()
  reader.set('db_up', 1)
  reader.set('http_p95_ms', 120)
  assert.equal(tick(0).transitions.length, 0)
  assert.equal(stateOf(engine, 'high_latency_p95').state, 'inactive')

  reader.set('http_p95_ms', 350)
  const t1 = tick(5)
  assert.deepEqual(t1.transitions.map((t) => [t.ruleId, t.from, t.to]), [['high_latency_p95', 'inactive', 'pending']])
  assert.equal(t1.notices.length, 0, 'pending never notifies')
  assert.equal(tick(30).notices.length, 0)
  const beforeFor = tick(29.999)
  assert.equal(stateOf(engine, 'high_latency_p95').state, 'pending', 'for_s not yet elapsed')
  assert.equal(beforeFor.notices.length, 0)

  const fired = tick(0.001) // exactly 60 s after the breach started
  assert.deepEqual(fired.transitions.map((t) => [t.from, t.to]), [['pending', 'firing']])
  assert.equal(fired.notices.length, 1)
  assert.equal(fired.notices[0].status, 'firing')
  assert.equal(fired.notices[0].repeat, false)
  assert.equal(fired.notices[0].alert.value, 350)
  assert.match(fired.notices[0].alert.summary, /http_p95_ms is 350 \(> 200 over 60s\)/)
  assert.equal(fired.changed.length, 1)

  // Still firing: no duplicate notification.
  for (let i = 0; i < 10; i++) assert.equal(tick(5).notices.length, 0)

  reader.set('http_p95_ms', 90)
  assert.equal(tick(5).notices.length, 0)
  assert.equal(stateOf(engine, 'high_latency_p95').state, 'firing', 'keep_firing_for_s holds it')
  tick(20)
  assert.equal(stateOf(engine, 'high_latency_p95').state, 'firing')
  const resolved = tick(10) // 35 s after the last breach ≥ keep_firing_for_s (30)
  assert.deepEqual(resolved.transitions.map((t) => [t.from, t.to]), [['firing', 'resolved']])
  assert.deepEqual(resolved.notices.map((n) => n.status), ['resolved'])
  assert.ok(stateOf(engine, 'high_latency_p95').resolved_at)
})

test('a pending alert whose condition clears goes back to inactive without notifying', () => {
  const { reader, engine, tick } = setup()
  reader.set('db_up', 1)
  reader.set('http_p95_ms', 500)
  tick(0)
  reader.set('http_p95_ms', 100)
  const r = tick(10)
  assert.deepEqual(r.transitions.map((t) => [t.from, t.to]), [['pending', 'inactive']])
  assert.equal(r.notices.length, 0)
  assert.equal(stateOf(engine, 'high_latency_p95').active_since, null)
  // A new breach starts a new pending period from scratch.
  reader.set('http_p95_ms', 500)
  tick(5)
  tick(59)
  assert.equal(stateOf(engine, 'high_latency_p95').state, 'pending')
})

test('keep_firing_for_s stops a flapping metric from resolving and re-firing', () => {
  const { reader, engine, tick } = setup()
  reader.set('db_up', 1)
  reader.set('http_p95_ms', 500)
  tick(0)
  tick(60)
  assert.equal(stateOf(engine, 'high_latency_p95').state, 'firing')
  let notices = 0
  for (let i = 0; i < 20; i++) {
    reader.set('http_p95_ms', i % 2 === 0 ? 150 : 500) // dips below the threshold every other tick
    notices += tick(5).notices.length
  }
  assert.equal(stateOf(engine, 'high_latency_p95').state, 'firing')
  assert.equal(notices, 0)
})

test('the repeat interval re-notifies a still-firing alert, marked as a repeat', () => {
  const { reader, tick } = setup([dbDown], 300)
  reader.set('db_up', 0)
  const first = tick(0)
  assert.deepEqual(first.notices.map((n) => [n.status, n.repeat]), [['firing', false]], 'for_s 0 fires at once')
  assert.deepEqual(first.transitions.map((t) => [t.from, t.to]), [['inactive', 'firing']])
  let repeats = 0
  for (let i = 0; i < 59; i++) repeats += tick(5).notices.length // 295 s
  assert.equal(repeats, 0)
  const again = tick(5) // 300 s
  assert.deepEqual(again.notices.map((n) => [n.status, n.repeat]), [['firing', true]])
})

test('no data is never a breach: undefined, NaN and a throwing reader keep the alert inactive', () => {
  const rule: ThresholdRule = { ...latency, id: 'p95', inhibited_by: [], for_s: 0 }
  const { reader, engine, tick } = setup([rule])
  reader.set('http_p95_ms', undefined)
  tick(0)
  assert.equal(stateOf(engine, 'p95').state, 'inactive')
  assert.match(stateOf(engine, 'p95').summary, /no data/)
  assert.equal(stateOf(engine, 'p95').value, null)
  reader.set('http_p95_ms', Number.NaN)
  tick(5)
  assert.equal(stateOf(engine, 'p95').state, 'inactive')
  reader.value = () => { throw new Error('reader broke') }
  tick(5)
  assert.equal(stateOf(engine, 'p95').state, 'inactive')
})

test('a silence holds notifications back while the state is still tracked, and the alert notifies once it ends', () => {
  const { reader, engine, tick, now } = setup([dbDown])
  const silence: ActiveSilence = { id: 7, ruleId: 'postgres_down', matchers: {}, endsAt: now() + 60_000 }
  reader.set('db_up', 0)
  const r = tick(0, [silence])
  assert.equal(r.notices.length, 0)
  assert.equal(r.transitions.length, 1, 'the transition is still recorded')
  const alert = stateOf(engine, 'postgres_down')
  assert.equal(alert.state, 'firing')
  assert.equal(alert.silenced, true)
  assert.equal(alert.silenced_by, 7)
  assert.equal(tick(30, [silence]).notices.length, 0)
  const after = tick(31, [silence]) // the silence has ended
  assert.deepEqual(after.notices.map((n) => n.status), ['firing'])
  assert.equal(stateOf(engine, 'postgres_down').silenced, false)
  assert.equal(after.changed.length, 1, 'the silence ending is published')
})

test('a silence whose matchers do not match the labels does not silence', () => {
  const { reader, engine, tick, now } = setup([dbDown])
  reader.set('db_up', 0)
  const r = tick(0, [{ id: 1, ruleId: 'postgres_down', matchers: { instance: 'other:2' }, endsAt: now() + 60_000 }])
  assert.equal(r.notices.length, 1)
  assert.equal(stateOf(engine, 'postgres_down').silenced, false)
  const r2 = tick(0, [{ id: 2, ruleId: 'postgres_down', matchers: { instance: 'test:1' }, endsAt: now() + 60_000 }])
  assert.equal(r2.notices.length, 0)
  assert.equal(stateOf(engine, 'postgres_down').silenced_by, 2)
})

test('an episode silenced from start to end sends neither firing nor resolved', () => {
  const { reader, tick, now } = setup([dbDown])
  const silence: ActiveSilence = { id: 1, ruleId: 'postgres_down', matchers: {}, endsAt: now() + 600_000 }
  reader.set('db_up', 0)
  assert.equal(tick(0, [silence]).notices.length, 0)
  reader.set('db_up', 1)
  const r = tick(5, [silence])
  assert.deepEqual(r.transitions.map((t) => t.to), ['resolved'])
  assert.equal(r.notices.length, 0)
})

test('a resolution is sent even when silenced after the firing notification went out', () => {
  const { reader, tick, now } = setup([dbDown])
  reader.set('db_up', 0)
  assert.equal(tick(0).notices.length, 1)
  reader.set('db_up', 1)
  const r = tick(5, [{ id: 1, ruleId: 'postgres_down', matchers: {}, endsAt: now() + 600_000 }])
  assert.deepEqual(r.notices.map((n) => n.status), ['resolved'])
})

test('inhibition: PostgreSQL down mutes the latency alert it causes; the latency alert notifies if it outlives the outage', () => {
  const { reader, engine, tick } = setup()
  reader.set('db_up', 0)
  reader.set('http_p95_ms', 900)
  const first = tick(0)
  assert.deepEqual(first.notices.map((n) => n.alert.id), ['postgres_down'])
  tick(60)
  const latencyAlert = stateOf(engine, 'high_latency_p95')
  assert.equal(latencyAlert.state, 'firing')
  assert.equal(latencyAlert.inhibited, true)
  assert.equal(latencyAlert.inhibited_by, 'postgres_down')
  assert.equal(tick(5).notices.length, 0)

  reader.set('db_up', 1)
  const recovered = tick(5)
  assert.deepEqual(recovered.notices.map((n) => [n.alert.id, n.status]).sort(), [['high_latency_p95', 'firing'], ['postgres_down', 'resolved']])
  assert.equal(stateOf(engine, 'high_latency_p95').inhibited, false)
})

test('burn-rate rule fires only when both windows burn faster than the factor', () => {
  const burn: AlertRule = {
    type: 'burn_rate',
    id: 'slo_burn',
    metric: 'http_error_rate',
    slo: 0.999,
    short_window_s: 300,
    long_window_s: 3600,
    factor: 14.4,
    for_s: 0,
    keep_firing_for_s: 0,
    severity: 'critical',
    description: 'burn'
  }
  const { reader, engine, tick } = setup([burn])
  reader.set('http_error_rate', 0.05, 300) // 50x
  reader.set('http_error_rate', 0.01, 3600) // 10x: long window below the factor
  tick(0)
  assert.equal(stateOf(engine, 'slo_burn').state, 'inactive')
  reader.set('http_error_rate', 0.02, 3600) // 20x
  const r = tick(5)
  assert.equal(stateOf(engine, 'slo_burn').state, 'firing')
  assert.equal(r.notices.length, 1)
  assert.ok(Math.abs(stateOf(engine, 'slo_burn').value! - 20) < 1e-9, 'the binding (smaller) burn rate is the value')
  assert.match(stateOf(engine, 'slo_burn').summary, /50x over 300s and 20x over 3600s/)
  reader.set('http_error_rate', undefined, 3600)
  tick(5)
  assert.equal(stateOf(engine, 'slo_burn').state, 'resolved', 'a window without data is not a breach')
})

test('a window with less history than its length says so in the summary; a reader that cannot tell is ignored', () => {
  const hourly: ThresholdRule = { ...latency, id: 'errors_hour', metric: 'http_error_rate', window_s: 3600, threshold: 0.01, for_s: 0, inhibited_by: [] }
  const { reader, engine, tick } = setup([hourly])
  reader.set('http_error_rate', 0.02)
  reader.coverage = (metric, windowS) => metric === 'http_error_rate' && windowS === 3600 ? { coveredS: 600, rollups: false } : undefined
  tick(0)
  assert.equal(stateOf(engine, 'errors_hour').state, 'firing')
  assert.equal(stateOf(engine, 'errors_hour').summary,
    'http_error_rate is 0.02 (> 0.01 over 3600s; history covers 600 of 3600s (minute rollups unreadable), the rest counted as error-free)')
  reader.coverage = () => { throw new Error('broken') }
  tick(5)
  assert.equal(stateOf(engine, 'errors_hour').summary, 'http_error_rate is 0.02 (> 0.01 over 3600s)')
})

test('a new engine loading saved records continues the episode without re-notifying', () => {
  const a = setup([dbDown])
  a.reader.set('db_up', 0)
  assert.equal(a.tick(0).notices.length, 1)
  const saved = a.engine.records()

  const reader = fakeReader()
  reader.set('db_up', 0)
  const b = createAlertEngine({ rules: [dbDown], reader, repeatIntervalS: 600, instance: 'test:2' })
  b.load(saved)
  const r = b.evaluate(a.now() + 5000)
  assert.equal(r.notices.length, 0, 'the firing was already notified by the previous evaluator')
  assert.equal(r.transitions.length, 0)
  assert.equal(b.alerts()[0].labels.instance, 'test:1', 'labels stay those of the episode')
  reader.set('db_up', 1)
  assert.deepEqual(b.evaluate(a.now() + 10_000).notices.map((n) => n.status), ['resolved'])
})

test('records saved under a different rule definition are ignored', () => {
  const a = setup([dbDown])
  a.reader.set('db_up', 0)
  a.tick(0)
  const reader = fakeReader()
  const b = createAlertEngine({ rules: [{ ...dbDown, severity: 'warning' }], reader, repeatIntervalS: 600, instance: 'x' })
  b.load(a.engine.records())
  assert.equal(b.alerts()[0].state, 'inactive')
})

test('the default rules are valid and cover the service targets', () => {
  const rules = validateRules([...DEFAULT_ALERT_RULES], 'defaults')
  const ids = rules.map((r) => r.id)
  for (const id of ['high_latency_p95', 'high_error_rate', 'low_cache_hit_rate', 'event_loop_delay_high', 'db_pool_saturated', 'db_pool_waiting', 'redis_down', 'postgres_down', 'low_stock_products', 'rate_limited_spike', 'slo_error_budget_burn']) {
    assert.ok(ids.includes(id), id)
  }
  const p95 = rules.find((r) => r.id === 'high_latency_p95') as ThresholdRule
  assert.deepEqual([p95.metric, p95.operator, p95.threshold], ['http_p95_ms', '>', 200])
  const errors = rules.find((r) => r.id === 'high_error_rate') as ThresholdRule
  assert.deepEqual([errors.metric, errors.threshold], ['http_error_rate', 0.001])
  assert.ok(p95.inhibited_by?.includes('postgres_down'))
})

test('rule validation names the bad rule and the problem', () => {
  assert.throws(() => validateRules([{ ...latency, metric: 'not_a_metric' }], 'x.json'), (err: Error) => {
    assert.ok(err instanceof AlertRulesError)
    assert.match(err.message, /rule 'high_latency_p95' \(#1\): \/metric/)
    return true
  })
  assert.throws(() => validateRules([dbDown, dbDown], 'x.json'), /rule 'postgres_down': duplicate id/)
  assert.throws(() => validateRules([latency], 'x.json'), /rule 'high_latency_p95': inhibited_by names unknown rule 'postgres_down'/)
  assert.throws(() => validateRules([{ ...dbDown, for_s: -1 }], 'x.json'), /rule 'postgres_down' \(#1\): \/for_s must be >= 0/)
  assert.throws(() => validateRules([{ ...dbDown, type: 'ratio' }], 'x.json'), /rule 'postgres_down' \(#1\): \/type must be 'threshold' or 'burn_rate'/)
  assert.throws(() => validateRules([{ type: 'burn_rate', id: 'burn', metric: 'http_error_rate', slo: 0.99, short_window_s: 600, long_window_s: 300, factor: 2, for_s: 0, keep_firing_for_s: 0, severity: 'info', description: 'd' }], 'x.json'), /short_window_s must be shorter/)
})

test('ALERT_RULES_FILE replaces the defaults; a bad file fails naming the file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'alert-rules-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const good = join(dir, 'rules.json')
  writeFileSync(good, JSON.stringify({ rules: [dbDown] }))
  assert.deepEqual(loadAlertRules(good).map((r) => r.id), ['postgres_down'])
  assert.equal(loadAlertRules('').length, DEFAULT_ALERT_RULES.length)

  const broken = join(dir, 'broken.json')
  writeFileSync(broken, '{ "rules": [')
  assert.throws(() => loadAlertRules(broken), new RegExp(`Invalid alert rules in ${broken.replaceAll('/', '\\/')}:\\n  - cannot read JSON`))
  const wrongShape = join(dir, 'shape.json')
  writeFileSync(wrongShape, JSON.stringify([dbDown]))
  assert.throws(() => loadAlertRules(wrongShape), /expected an object \{ "rules": \[ \.\.\. \] \}/)
  assert.throws(() => loadAlertRules(join(dir, 'missing.json')), /cannot read JSON: ENOENT/)
})

test('alert and profile error codes are unique, prefixed and documented in docs/errors.md with their status', () => {
  const documented = new Map([...readFileSync(new URL('../../../../../docs/errors.md', import.meta.url), 'utf8')
    .matchAll(/^\| `([A-Z0-9_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], m[2]]))
  const errors = [...Object.values(AlertsErrors), ...Object.values(ProfilesErrors), StoreTimeoutError]
    .map((E) => new (E as unknown as new () => { code: string, statusCode: number })())
  assert.equal(new Set(errors.map((e) => e.code)).size, errors.length)
  for (const e of errors) {
    assert.match(e.code, /^(ALERTS|PROFILES)_[A-Z_]+$/)
    assert.equal(documented.get(e.code), String(e.statusCode), `${e.code} (${e.statusCode}) is in docs/errors.md`)
  }
})
