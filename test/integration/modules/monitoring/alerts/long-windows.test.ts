import { test } from 'node:test'
import assert from 'node:assert/strict'
import diagnosticsChannel from 'node:diagnostics_channel'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { dbQueryChannel } from '../../../../../src/lib/observability/channels.js'
import type { DbQueryEvent } from '../../../../../src/lib/observability/instrumentation.js'
import { MetricsCollector } from '../../../../../src/lib/metrics/collector.js'
import { createAlertEngine, type AlertRecord } from '../../../../../src/modules/monitoring/alerts/engine.js'
import { checkRuleWindows, createLongWindows } from '../../../../../src/modules/monitoring/alerts/long-windows.js'
import { DEFAULT_ALERT_RULES } from '../../../../../src/modules/monitoring/alerts/rules.js'
import type { AlertRule, BurnRateRule } from '../../../../../src/modules/monitoring/alerts/schemas.js'
import { createRollupsRepository, createRollupsService } from '../../../../../src/modules/monitoring/rollups/index.js'
import { buildTestApp, flushRedisPrefix, resetDb, TEST_DATABASE_URL } from '../../../../support/helper.js'
import { buildMonitoringTestApp } from '../../../../support/monitoring-app.js'
import { startTcpProxy } from '../../../../support/tcp-proxy.js'

/** The default SLO rule: 99.9 %, burn rate > 14.4× over 300 s and 3600 s, i.e. more than 1.44 % errors in both. */
const BURN = DEFAULT_ALERT_RULES.find((r) => r.id === 'slo_error_budget_burn') as BurnRateRule
const MINUTE = 60_000
const REQUESTS_PER_MINUTE = 120

/** Two requests a second; `errorsPerMinute` of each minute's 120 answer 500 (on the minute's first seconds). */
function recordSecond (collector: MetricsCollector, second: number, errorsPerMinute: number): void {
  for (let i = 0; i < 2; i++) {
    const failed = (second % 60) * 2 + i < errorsPerMinute
    collector.recordHttp('GET /api/v1/products/:id', 5, failed ? 500 : 200, 1, 0)
  }
}

/** Another instance's all-routes row, as its rollups job writes it. */
async function insertRollup (app: FastifyInstance, instanceId: string, minuteMs: number, requests: number, errors: number): Promise<void> {
  await app.db.sql`INSERT INTO metric_rollups (minute, instance_id, route, requests, errors, client_errors, rate_limited)
    VALUES (${new Date(minuteMs).toISOString()}, ${instanceId}, '*', ${requests}, ${errors}, 0, 0)`
}

/** A leader instance on a fake clock: its collector, its rollups job, the long windows and the engine over `rules`. */
function leader (app: FastifyInstance, clock: { now: number }, startedAtMs: number, rules: AlertRule[] = [BURN]) {
  const repo = createRollupsRepository(app.db.db)
  const collector = new MetricsCollector({ now: () => clock.now, poolSize: 10 })
  const rollups = createRollupsService({ repo, collector, redis: app.redis, instanceId: 'leader', retentionDays: 7, log: app.log })
  const windows = createLongWindows({ rules, reader: collector, repo, live: collector.http, instanceId: 'leader', startedAtMs, log: app.log })
  const engine = createAlertEngine({ rules, reader: windows.reader, repeatIntervalS: 3600, instance: 'leader' })
  /** One evaluation tick: the rollup read, then the engine. */
  const evaluate = async () => {
    await windows.refresh(clock.now)
    return engine.evaluate(clock.now)
  }
  return { collector, rollups, windows, engine, evaluate }
}

const burnRecord = (records: AlertRecord[]) => records.find((r) => r.ruleId === BURN.id)!

async function rollupsApp (t: Parameters<typeof buildMonitoringTestApp>[0], overrides = {}) {
  const app = await buildMonitoringTestApp(t, async () => {}, overrides)
  await app.db.sql`DELETE FROM metric_rollups`
  await flushRedisPrefix(app)
  return app
}

test('a slow burn over 1 h fires only once both windows burn: the long window is read from the rollups of every instance, not the 15 live minutes', async (t) => {
  const app = await rollupsApp(t)
  // Three days ago, so nothing written in real time falls into these windows.
  const t0 = Math.floor(Date.now() / MINUTE) * MINUTE - 3 * 86_400_000
  const clock = { now: t0 - 60 * MINUTE }
  const { collector, rollups, windows, evaluate } = leader(app, clock, t0 - 2 * 3_600_000)

  // An hour of clean traffic, then 2.5 % errors (25× the budget) on the leader and on node-b: a slow burn.
  // Stopped after 40 minutes. Evaluated at the end of every minute, as the evaluator's ticks would.
  const fired: number[] = []
  const resolved: number[] = []
  let liveOnlyBurnedAt: number | undefined
  for (let minute = -60; minute < 50; minute++) {
    const errors = minute >= 0 && minute < 40 ? 3 : 0
    const start = t0 + minute * MINUTE
    clock.now = start + 3000
    await rollups.run() // the leader's rollups job writes the minute that ended
    if (minute > -60) await insertRollup(app, 'node-b', start - MINUTE, REQUESTS_PER_MINUTE, minute - 1 >= 0 && minute - 1 < 40 ? 3 : 0)
    for (let s = 0; s < 60; s++) {
      clock.now = start + s * 1000 + 500
      recordSecond(collector, Math.floor(clock.now / 1000), errors)
    }
    if (minute < 0) continue
    const result = await evaluate()
    for (const tr of result.transitions) (tr.to === 'firing' ? fired : resolved).push(minute + 1)
    // The live window alone, for comparison: it answers a 3600 s question with its 900 s.
    if (liveOnlyBurnedAt === undefined && collector.value('http_error_rate', 3600)! / 0.001 > BURN.factor) liveOnlyBurnedAt = minute + 1
  }

  // The 5-minute window burns from the 3rd minute (3k errors in 600 requests > 1.44 %). The hour holds
  // 60 live minutes of the leader's and 59 written minutes of node-b's: (3k + 3(k − 1)) / 14,280 > 1.44 %
  // from k = 35. Read from the live window alone it "burned" from minute 9.
  assert.deepEqual(fired, [35], 'fires once, when the hour burns too')
  assert.equal(liveOnlyBurnedAt, 9)
  // Errors stop after 40 minutes: the short window last burns at 42 (3 burning minutes of 5), keep_firing_for (300 s) resolves at 47.
  assert.deepEqual(resolved, [47])

  // The long window's value comes from the rollups plus the live minutes: exact counts, no history note.
  const ratio = windows.reader.value('http_error_rate', 3600)!
  // The last window is minutes −10…49: 40 burning minutes of each instance, 60 of the leader's and 59 of node-b's.
  assert.ok(Math.abs(ratio - (3 * 40 + 3 * 40) / (60 * 120 + 59 * 120)) < 1e-12, `ratio ${ratio}`)
  assert.equal(windows.reader.coverage?.('http_error_rate', 3600), undefined)
})

test('a fresh start has less history than the window: the rest counts as error-free, the summary says so, and the rule fires only once the history proves the burn', async (t) => {
  const app = await rollupsApp(t)
  const nowMs = Math.floor(Date.now() / MINUTE) * MINUTE - 2 * 86_400_000 + 59_500
  const nowS = Math.floor(nowMs / 1000)

  for (const [errorsPerMinute, burning] of [[6, false], [12, true]] as const) {
    const clock = { now: nowMs }
    // Started 10 minutes ago, nothing in the rollups yet: 600 of the 3600 s have measurements.
    const { collector, evaluate, windows } = leader(app, clock, (nowS - 599) * 1000)
    for (let s = nowS - 599; s <= nowS; s++) recordSecond(collector, s, errorsPerMinute)
    const result = await evaluate()
    const rec = burnRecord(result.records)
    const ratio = errorsPerMinute / REQUESTS_PER_MINUTE
    // 5 % over 600 s → 50× short, 50 × 600 / 3600 = 8.3× long; 10 % → 100× and 16.7×.
    assert.ok(Math.abs(windows.reader.value('http_error_rate', 3600)! - ratio * 600 / 3600) < 1e-12)
    assert.deepEqual(windows.reader.coverage?.('http_error_rate', 3600), { coveredS: 600, rollups: true })
    assert.equal(rec.state, burning ? 'firing' : 'inactive', `${errorsPerMinute} errors a minute`)
    assert.match(rec.summary!, /history covers 600 of 3600s, the rest counted as error-free/)
    assert.match(rec.summary!, new RegExp(`${ratio * 1000}x over 300s and ${Math.round(ratio * 1000 / 6 * 1000) / 1000}x over 3600s`))
  }

  // Another instance's rollups are history too: with its hour written, the window is covered.
  for (let m = 1; m <= 60; m++) await insertRollup(app, 'node-b', Math.floor(nowMs / MINUTE) * MINUTE - m * MINUTE, REQUESTS_PER_MINUTE, 0)
  const clock = { now: nowMs }
  const { collector, evaluate, windows } = leader(app, clock, (nowS - 599) * 1000)
  for (let s = nowS - 599; s <= nowS; s++) recordSecond(collector, s, 6)
  const rec = burnRecord((await evaluate()).records)
  assert.equal(windows.reader.coverage?.('http_error_rate', 3600), undefined)
  assert.doesNotMatch(rec.summary!, /history covers/)
  assert.equal(rec.state, 'inactive')
})

test('the rollups are read once per evaluation tick and window length, never when the engine reads a value', async (t) => {
  const app = await rollupsApp(t)
  const rules: AlertRule[] = [
    BURN,
    { type: 'threshold', id: 'errors_hour', metric: 'http_error_rate', window_s: 3600, operator: '>', threshold: 0.01, for_s: 0, keep_firing_for_s: 0, severity: 'warning', description: 'd' },
    { type: 'threshold', id: 'limited_2h', metric: 'http_rate_limited_ratio', window_s: 7200, operator: '>', threshold: 0.1, for_s: 0, keep_firing_for_s: 0, severity: 'info', description: 'd' }
  ]
  const clock = { now: Date.now() }
  const { collector, evaluate, windows } = leader(app, clock, clock.now - 3_600_000, rules)
  const reads: string[] = []
  const listener = (msg: unknown) => { if ((msg as DbQueryEvent).name === 'monitoring.rollups_window') reads.push((msg as DbQueryEvent).name) }
  diagnosticsChannel.subscribe(dbQueryChannel.name, listener)
  t.after(() => diagnosticsChannel.unsubscribe(dbQueryChannel.name, listener))

  collector.recordHttp('GET /x', 5, 429, 0, 0)
  await evaluate()
  assert.equal(reads.length, 2, 'one read for 3600 s (two rules), one for 7200 s')
  for (let i = 0; i < 100; i++) windows.reader.value('http_error_rate', 3600)
  assert.equal(windows.reader.value('http_rate_limited_ratio', 7200)! > 0, true)
  assert.equal(reads.length, 2, 'values come from the tick\'s cache')
  await evaluate()
  assert.equal(reads.length, 4)
})

test('rollups unreadable: the long window falls back to the live window, says so, and reads the rollups again once PostgreSQL answers', async (t) => {
  const proxy = await startTcpProxy(5432)
  t.after(() => proxy.close())
  const dbName = new URL(TEST_DATABASE_URL).pathname
  const app = await rollupsApp(t, { databaseUrl: `postgres://postgres@127.0.0.1:${proxy.port}${dbName}` })
  const nowMs = Math.floor(Date.now() / MINUTE) * MINUTE - 86_400_000 + 59_500
  const nowS = Math.floor(nowMs / 1000)
  for (let m = 1; m <= 60; m++) await insertRollup(app, 'node-b', Math.floor(nowMs / MINUTE) * MINUTE - m * MINUTE, REQUESTS_PER_MINUTE, 0)
  const clock = { now: nowMs }
  const { collector, evaluate, windows } = leader(app, clock, nowMs - 3_600_000)
  for (let s = nowS - 899; s <= nowS; s++) recordSecond(collector, s, 6)

  proxy.cut()
  const rec = burnRecord((await evaluate()).records)
  assert.deepEqual(windows.reader.coverage?.('http_error_rate', 3600), { coveredS: 900, rollups: false })
  assert.match(rec.summary!, /history covers 900 of 3600s \(minute rollups unreadable\)/)
  assert.ok(Math.abs(windows.reader.value('http_error_rate', 3600)! - 0.05 * 900 / 3600) < 1e-12)

  proxy.restore()
  let covered = windows.reader.coverage?.('http_error_rate', 3600)
  for (let i = 0; i < 20 && covered; i++) { // the pool reconnects on its own
    await evaluate()
    covered = windows.reader.coverage?.('http_error_rate', 3600)
  }
  assert.equal(covered, undefined, 'node-b\'s hour is read again')
})

test('rule windows the metrics cannot serve stop the boot: longer than the rollups are kept, or past 15 minutes for a metric without rollups', async (t) => {
  assert.doesNotThrow(() => checkRuleWindows(DEFAULT_ALERT_RULES, 7, 'defaults'))
  assert.throws(() => checkRuleWindows([{ ...BURN, long_window_s: 8 * 86_400 }], 7, 'rules.json'),
    /Invalid alert rules in rules\.json:\n {2}- rule 'slo_error_budget_burn': long_window_s 691200 s is longer than the 7 days of minute rollups kept \(METRICS_RETENTION_DAYS\)/)
  const p95Hour: AlertRule = { type: 'threshold', id: 'p95_hour', metric: 'http_p95_ms', window_s: 3600, operator: '>', threshold: 200, for_s: 0, keep_firing_for_s: 0, severity: 'warning', description: 'd' }
  assert.throws(() => checkRuleWindows([p95Hour], 7, 'rules.json'),
    /rule 'p95_hour': window_s 3600 s is longer than the 900 s the in-process windows hold; beyond that only http_error_rate and http_rate_limited_ratio are read \(from minute rollups\), not http_p95_ms/)
  assert.doesNotThrow(() => checkRuleWindows([{ ...p95Hour, window_s: 900 }], 7, 'rules.json'))

  // Through the app: METRICS_RETENTION_DAYS reaches the check.
  const dir = mkdtempSync(join(tmpdir(), 'alert-windows-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'rules.json')
  writeFileSync(file, JSON.stringify({ rules: [{ ...BURN, inhibited_by: [], long_window_s: 2 * 86_400 }] }))
  await assert.rejects(buildTestApp(undefined, { alertRulesFile: file, metricsRetentionDays: 1 }), /long_window_s 172800 s is longer than the 1 days of minute rollups kept/)
  const app = await buildTestApp(t, { alertRulesFile: file, metricsRetentionDays: 2 })
  assert.deepEqual(app.alerts.rules.map((r) => r.id), ['slo_error_budget_burn'])
})

test('the app wires it: app.metrics\' live window plus other instances\' rollups, read by the evaluation tick', async (t) => {
  await resetDb() // no alert state persisted by an earlier run
  const app = await buildTestApp(t, { alertEvalIntervalMs: 300_000, rateLimitEnabled: false, loadSheddingEnabled: false }, {
    setup: (app) => {
      app.get('/test/ok', async () => ({ ok: true }))
      app.get('/test/fail', async () => { throw new Error('boom') })
    }
  })
  await flushRedisPrefix(app)
  for (let i = 0; i < 38; i++) await app.inject('/test/ok')
  for (let i = 0; i < 2; i++) await app.inject('/test/fail')

  // Seconds of history: 5 % errors burn 50× over both windows' measurements, a tiny share of the hour.
  const first = burnRecord((await app.alerts.evaluate())!.records)
  assert.equal(first.state, 'inactive')
  assert.match(first.summary!, /50x over 300s and [\d.]+x over 3600s .*history covers \d+ of 3600s/)

  // Another instance has written an hour at 5 % errors.
  const minute = Math.floor(Date.now() / MINUTE) * MINUTE
  for (let m = 1; m <= 61; m++) await insertRollup(app, 'other-node', minute - m * MINUTE, 100, 5)
  const second = burnRecord((await app.alerts.evaluate())!.records)
  assert.equal(second.state, 'firing')
  assert.match(second.summary!, /^error budget burn rate 50x over 300s and 50x over 3600s \(> 14\.4x, SLO 99\.9%\)$/)
})
