import { test } from 'node:test'
import assert from 'node:assert/strict'
import diagnosticsChannel from 'node:diagnostics_channel'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../../src/config.js'
import { DOMINANT_MIN_REQUESTS, LoadAccounts } from '../../../src/lib/load/attribution.js'
import {
  LatencyWindow, LEVEL_CALM_SAMPLES, LEVEL_MULTIPLIER_PERMILLE, LEVEL_RAISE_AFTER, LevelHysteresis, LOAD_LEVELS, levelRank,
  parseThresholds, RankHysteresis, CPU_THRESHOLDS, MEMORY_THRESHOLDS, type LoadReadings
} from '../../../src/lib/load/level.js'
import type { LoadState } from '../../../src/plugins/load-sampler.js'
import { buildTestApp, flushRedisPrefix } from '../../support/helper.js'

/** Readings of an idle process: tests patch one value at a time over these, so nothing real leaks in. */
const CALM: LoadReadings = { eventLoopDelayP99Ms: 1, elu: 0.05, cpu: 0.05, heapRatio: 0.1, rssRatio: 0.1 }

async function manualApp (t: Parameters<typeof buildTestApp>[0], overrides: Partial<Config> = {}): Promise<FastifyInstance> {
  return buildTestApp(t, { loadSampleIntervalMs: 0, ...overrides }, {
    setup: (app) => {
      app.post('/api/v1/test/checkout', { config: { rateLimit: { points: 10, duration: 60 }, criticality: 'critical' } }, async () => ({ ok: true }))
      app.get('/api/v1/test/browse', { config: { criticality: 'browse' } }, async () => ({ ok: true }))
      app.get('/api/v1/test/flood', { config: { rateLimit: false } }, async () => {
        await sleep(5)
        return { ok: true }
      })
    }
  })
}

function steps (app: FastifyInstance, n: number): LoadState {
  let state = app.load.current()
  for (let i = 0; i < n; i++) state = app.load.sampleNow()
  return state
}

test('a sample reads event-loop delay and utilisation, CPU and memory of this process', async (t) => {
  const app = await manualApp(t)
  const s = app.load.sampleNow()
  assert.ok(s.eventLoopDelayP99Ms >= 0)
  assert.ok(s.elu >= 0 && s.elu <= 1, `elu ${s.elu}`)
  assert.ok(s.cpu >= 0, `cpu ${s.cpu}`)
  assert.ok(s.heapRatio > 0 && s.heapRatio < 1, `heap ${s.heapRatio}`)
  assert.ok(s.rssRatio > 0 && s.rssRatio < 1, `rss ${s.rssRatio}`)
  assert.ok(Math.abs(s.sampledAt - Date.now()) < 5000)
  assert.equal(s.overridden, false)
})

test('the level follows the CPU and memory thresholds and the event-loop bounds', () => {
  const policy = { cpu: CPU_THRESHOLDS, memory: MEMORY_THRESHOLDS, eventLoopDelayMs: parseThresholds('100,250,500', 'X'), eventLoopUtilization: parseThresholds('0.9,0.97,0.99', 'Y') }
  const rank = (patch: Partial<LoadReadings>, criticalSlow = false) => levelRank({ ...CALM, ...patch }, policy, criticalSlow)
  assert.deepEqual([0.59, 0.6, 0.8, 0.95].map((cpu) => rank({ cpu })), [0, 1, 2, 3])
  assert.deepEqual([0.69, 0.7, 0.85, 0.95].map((heapRatio) => rank({ heapRatio })), [0, 1, 2, 3])
  assert.deepEqual([0.69, 0.7, 0.85, 0.95].map((rssRatio) => rank({ rssRatio })), [0, 1, 2, 3])
  assert.deepEqual([99, 100, 250, 500].map((eventLoopDelayP99Ms) => rank({ eventLoopDelayP99Ms })), [0, 1, 2, 3])
  assert.deepEqual([0.89, 0.9, 0.97, 0.99].map((elu) => rank({ elu })), [0, 1, 1, 1], 'a busy loop on time is at capacity: medium at most')
  assert.deepEqual([0.89, 0.9, 0.97, 0.99].map((elu) => rank({ elu, eventLoopDelayP99Ms: 100 })), [1, 1, 2, 2], 'one level above the delay\'s')
  assert.equal(rank({ elu: 0.99, eventLoopDelayP99Ms: 250 }), 3)
  assert.deepEqual([0.89, 0.9, 0.97, 0.99].map((elu) => rank({ elu }, true)), [0, 1, 2, 3], 'in full while the critical routes are slow')
  assert.equal(rank({ cpu: 0.65, heapRatio: 0.9 }), 2, 'the worst reading decides')
  assert.throws(() => parseThresholds('500,250,100', 'LOAD_EVENT_LOOP_DELAY_MS'), /LOAD_EVENT_LOOP_DELAY_MS: '500,250,100' must be three increasing/)
})

test('a busy loop on time is medium at most while checkout is within its target; critical once checkout is slow too', async (t) => {
  const app = await manualApp(t)
  app.load.override({ ...CALM, elu: 1, criticalP95Ms: 100 })
  assert.equal(steps(app, 3).level, 'medium', 'at capacity: every limit stays at 70 %, not 10 %')
  app.load.override({ ...CALM, elu: 1, criticalP95Ms: 900 })
  assert.equal(steps(app, 3).level, 'critical', 'overloaded: checkout is slow and the loop never idles')
})

test('the level rises after 3 loaded samples and falls one level at a time: 20 calm samples from high, 10 from medium', async (t) => {
  const app = await manualApp(t)
  app.load.override({ ...CALM, cpu: 0.85 }) // sample 1
  assert.equal(steps(app, 1).level, 'low', 'two samples are not load yet')
  const raised = steps(app, 1)
  assert.equal(raised.level, 'high')
  assert.equal(raised.multiplier, 0.4)
  assert.equal(raised.limitFactorPermille, 400)
  app.load.override({ ...CALM }) // calm sample 1
  assert.equal(steps(app, 18).level, 'high', 'nineteen calm samples keep it')
  const stepped = steps(app, 1)
  assert.equal(stepped.level, 'medium', 'one level down, not straight to low')
  assert.equal(stepped.limitFactorPermille, 700)
  assert.equal(steps(app, 9).level, 'medium')
  assert.equal(steps(app, 1).level, 'low')
})

/** Feeds target ranks to a state machine; returns the ranks after each sample and the number of level changes. */
function drive (h: { update: (target: number) => number }, targets: readonly number[]) {
  let rank = 0
  let changes = 0
  const ranks: number[] = []
  for (const target of targets) {
    const next = h.update(target)
    if (next !== rank) changes++
    rank = next
    ranks.push(rank)
  }
  return { ranks, changes }
}

const newPolicy = () => new LevelHysteresis(LEVEL_RAISE_AFTER, LEVEL_CALM_SAMPLES)
/** The baseline these tests compare against: straight back to the calm level after 10 calm samples. */
const previousPolicy = () => new RankHysteresis(3, 10)

test('the level state machine: calm periods of 10/20/30 samples by level, one step each; a sample at the level restarts the count', () => {
  assert.deepEqual(LEVEL_CALM_SAMPLES, [10, 20, 30])
  const h = newPolicy()
  assert.deepEqual(drive(h, [3, 3, 3]).ranks, [0, 0, 3], 'rises after 3 samples, skipping levels')
  assert.equal(drive(h, Array(29).fill(0)).ranks.at(-1), 3)
  assert.equal(h.update(0), 2, '30th calm sample: critical → high, not → low')
  assert.equal(drive(h, Array(19).fill(0)).ranks.at(-1), 2)
  assert.equal(h.update(2), 2, 'a sample at the level ends the calm run')
  assert.equal(drive(h, Array(19).fill(1)).ranks.at(-1), 2, 'the count starts again')
  assert.equal(h.update(1), 1)
  assert.equal(drive(h, Array(9).fill(0)).ranks.at(-1), 1)
  assert.equal(h.update(0), 0)
  assert.deepEqual(drive(h, [3, 1, 3]).ranks, [0, 0, 1], 'a mixed run rises only as far as it agreed')
  h.force(3)
  assert.equal(h.current, 3)
})

test('a periodic overload (5 loaded samples, 15 calm, three times a minute) changes the level at most twice in 60 samples', () => {
  const pattern = Array.from({ length: 60 }, (_, i) => (i % 20 < 5 ? 3 : 0))
  const calmer = drive(newPolicy(), pattern)
  assert.ok(calmer.changes <= 2, `${calmer.changes} level changes`)
  assert.ok(calmer.ranks.slice(3).every((r) => r === 3), 'it stays at critical between the bursts')
  // The previous policy on the same samples: up and down in every cycle.
  assert.equal(drive(previousPolicy(), pattern).changes, 6)
})

test('closed loop: with twice the traffic the process can take, the level settles instead of cycling', () => {
  // A synthetic process: CPU is the admitted share of the offered traffic (offered × the level's multiplier),
  // capped at 100 %; the level comes from the CPU thresholds (60/80/95 %). No timers, no real load.
  const policy = { cpu: CPU_THRESHOLDS, memory: MEMORY_THRESHOLDS, eventLoopDelayMs: parseThresholds('100,250,500', 'X'), eventLoopUtilization: parseThresholds('0.9,0.97,0.99', 'Y') }
  const simulate = (h: { update: (target: number) => number }, offered: number, samples: number) => {
    let rank = 0
    let changes = 0
    const ranks: number[] = []
    for (let i = 0; i < samples; i++) {
      const cpu = Math.min(1, offered * LEVEL_MULTIPLIER_PERMILLE[LOAD_LEVELS[rank]] / 1000)
      const next = h.update(levelRank({ ...CALM, cpu }, policy, false))
      if (next !== rank) changes++
      rank = next
      ranks.push(rank)
    }
    return { ranks, changes }
  }
  const calmer = simulate(newPolicy(), 2, 120)
  assert.ok(calmer.changes <= 3, `${calmer.changes} level changes`)
  assert.ok(calmer.ranks.slice(60).every((r) => r === 2), 'settled at high (× 0.4 admits 80 % of capacity)')
  const previous = simulate(previousPolicy(), 2, 120)
  assert.ok(previous.changes >= 15, `the previous policy cycled low ↔ critical: ${previous.changes} changes`)
})

test('override(level) pins the level at once; override(undefined) returns to measurements', async (t) => {
  const app = await manualApp(t)
  app.load.override('critical')
  assert.equal(app.load.current().level, 'critical')
  assert.equal(app.load.current().multiplier, 0.1)
  assert.equal(app.load.current().overridden, true)
  assert.equal(steps(app, 5).level, 'critical')
  app.load.override(undefined)
  assert.equal(app.load.current().overridden, false)
  assert.notEqual(app.load.current().level, 'critical')
})

test('a critical p95 over target for 3 samples halves every per-client limit; 10 samples under 80 % restore it', async (t) => {
  const app = await manualApp(t)
  await flushRedisPrefix(app)
  const limit = async () => (await app.inject({ method: 'POST', url: '/api/v1/test/checkout' })).headers['x-ratelimit-limit']
  app.load.override({ ...CALM, criticalP95Ms: 450 })
  assert.equal(steps(app, 1).tightened, false)
  const tightened = steps(app, 1)
  assert.equal(tightened.tightened, true)
  assert.equal(tightened.criticalP95Ms, 450)
  assert.equal(tightened.limitFactorPermille, 500)
  assert.equal(await limit(), '5')
  app.load.override({ ...CALM, criticalP95Ms: 180 }) // between 80 % and 100 % of the target: no change either way
  assert.equal(steps(app, 20).tightened, true)
  app.load.override({ ...CALM, criticalP95Ms: 120 })
  assert.equal(steps(app, 8).tightened, true)
  assert.equal(steps(app, 1).tightened, false)
  assert.equal(await limit(), '10')
})

test('tightening combines with the load level: high (0.4) × tightened (0.5) = 0.2', async (t) => {
  const app = await manualApp(t)
  await flushRedisPrefix(app)
  app.load.override({ ...CALM, cpu: 0.85, criticalP95Ms: 900 })
  const state = steps(app, 2)
  assert.equal(state.level, 'high')
  assert.equal(state.limitFactorPermille, 200)
  assert.equal((await app.inject({ method: 'POST', url: '/api/v1/test/checkout' })).headers['x-ratelimit-limit'], '2')
})

test('the p95 comes from the critical routes\' own responses, not from other routes', async (t) => {
  const app = await manualApp(t)
  await flushRedisPrefix(app)
  for (let i = 0; i < 30; i++) await app.inject({ method: 'GET', url: '/api/v1/test/browse' })
  assert.equal(app.load.sampleNow().criticalP95Ms, undefined, 'browse routes do not count')
  for (let i = 0; i < 9; i++) await app.inject({ method: 'POST', url: '/api/v1/test/checkout' })
  assert.equal(app.load.sampleNow().criticalP95Ms, undefined, 'too few requests to judge')
  const limited = await Promise.all(Array.from({ length: 11 }, () => app.inject({ method: 'POST', url: '/api/v1/test/checkout' })))
  assert.ok(limited.some((r) => r.statusCode === 429), 'refused requests are answered too and count as responses')
  const p95 = app.load.sampleNow().criticalP95Ms
  assert.equal(typeof p95, 'number')
  assert.ok((p95 as number) >= 0)
})

test('the latency window computes p95 over its time window only', () => {
  const window = new LatencyWindow(1000, 10_000, 20)
  for (let i = 1; i <= 100; i++) window.record(i, 50_000)
  assert.equal(window.p95(50_000), 95)
  window.record(10_000, 30_000) // older than the window
  assert.equal(window.p95(50_000), 95)
  assert.equal(window.p95(70_000), undefined, 'nothing left inside the window')
  const small = new LatencyWindow(4, 10_000, 1)
  for (const v of [1, 2, 3, 4, 500]) small.record(v, 0)
  assert.equal(small.p95(0), 500, 'the ring keeps the latest entries')
})

test('a run of mixed readings moves the level only as far as the whole run agreed', () => {
  const h = new RankHysteresis(3, 3)
  h.update(3)
  h.update(1)
  assert.equal(h.update(2), 1)
  h.update(0)
  h.update(0)
  assert.equal(h.update(0), 0)
})

test('every sample is published on techmart:load:sample and to onSample listeners', async (t) => {
  const published: LoadState[] = []
  const listener = (s: unknown) => { published.push(s as LoadState) }
  diagnosticsChannel.subscribe('techmart:load:sample', listener)
  t.after(() => diagnosticsChannel.unsubscribe('techmart:load:sample', listener))
  const app = await manualApp(t)
  const heard: LoadState[] = []
  const off = app.load.onSample((s) => heard.push(s))
  const state = app.load.sampleNow()
  off()
  app.load.sampleNow()
  assert.equal(heard.length, 1)
  assert.equal(heard[0], state)
  assert.ok(published.includes(state))
})

test('the background timer samples without any request and stops when the app closes', async (t) => {
  let samples = 0
  const listener = () => { samples++ }
  diagnosticsChannel.subscribe('techmart:load:sample', listener)
  t.after(() => diagnosticsChannel.unsubscribe('techmart:load:sample', listener))
  const app = await buildTestApp(undefined, { loadSampleIntervalMs: 50 })
  const deadline = Date.now() + 5000
  while (Date.now() < deadline) {
    if (samples >= 2) break
    await sleep(25)
  }
  assert.ok(samples >= 2, `${samples} samples`)
  await app.close()
  const atClose = samples
  await sleep(250)
  assert.equal(samples, atClose, 'no sample after close: the timer is cleared')
})

test('bad thresholds stop the boot with the variable\'s name', async () => {
  await assert.rejects(buildTestApp(undefined, { loadEventLoopDelayMs: '300,200,100' }), /LOAD_EVENT_LOOP_DELAY_MS/)
})

test('route accounts: shares of the smoothed requests, a flood dominates only with others to protect, probes are never load', () => {
  const accounts = new LoadAccounts()
  const flood = accounts.open('GET /openapi.json', false)
  const browse = accounts.open('GET /api/v1/products/:id', false)
  const probe = accounts.open('GET /health/ready', true)
  const add = (a: typeof flood, n: number, ms: number) => { a.count += n; a.busyMs += n * ms }

  assert.deepEqual(accounts.close(), { dominant: undefined, attributedShare: 0, top: [] }, 'no traffic, nobody\'s load')
  add(flood, 1000, 0.9)
  const alone = accounts.close()
  assert.equal(alone.dominant, undefined, 'one route and nobody else: nothing to protect')
  assert.equal(alone.top[0].share, 1)
  add(flood, 1000, 0.9)
  add(browse, 10, 5)
  add(probe, 10, 0.5)
  const flooded = accounts.close()
  assert.equal(flooded.dominant?.route, 'GET /openapi.json')
  assert.equal(flooded.dominant?.requests, 1000)
  assert.equal(flooded.attributedShare, flooded.dominant?.share)
  assert.ok(flooded.attributedShare > 0.95 && flooded.attributedShare < 1, `${flooded.attributedShare}`)
  assert.deepEqual(flooded.top.map((r) => r.route), ['GET /openapi.json', 'GET /api/v1/products/:id', 'GET /health/ready'])

  // The flood stops: its smoothed work halves each second, and it stops dominating once it is not the most work.
  add(browse, 10, 5)
  assert.equal(accounts.close().dominant?.route, 'GET /openapi.json', 'smoothed: one quiet second does not end it')
  for (let i = 0; i < 4; i++) {
    add(browse, 10, 5)
    accounts.close()
  }
  add(browse, 10, 5)
  assert.equal(accounts.close().dominant, undefined)

  // One second of traffic on fresh accounts: [route, probe, requests, busy ms] each.
  const window = (...routes: Array<[string, boolean, number, number]>) => {
    const fresh = new LoadAccounts()
    for (const [route, isProbe, count, busyMs] of routes) Object.assign(fresh.open(route, isProbe), { count, busyMs })
    return fresh.close()
  }

  // A handful of requests is not a flood, whatever their share.
  const once = window(['GET /api/v1/monitoring/report', false, 30, 2000], ['GET /api/v1/products/:id', false, 2, 4])
  assert.ok(once.top[0].share > 0.9)
  assert.equal(once.dominant, undefined, `fewer than ${DOMINANT_MIN_REQUESTS} requests a second (smoothed: 15)`)

  // Probes flooding: attributed (not the others' load) though never shed.
  const r = window(['GET /health/ready', true, 5000, 900], ['GET /api/v1/products/:id', false, 10, 100])
  assert.equal(r.dominant?.route, 'GET /health/ready')
  assert.ok(Math.abs(r.attributedShare - 5000 / 5010) < 1e-9, `${r.attributedShare}`)

  // A cheap flood holds few milliseconds but most requests; slow pages the reverse, and they are not the flood.
  const c = window(['GET /openapi.json', false, 3000, 150], ['GET /api/v1/categories/:id/products', false, 100, 12_000])
  assert.equal(c.dominant?.route, 'GET /openapi.json')
  assert.ok(c.dominant.share > 0.96 && c.dominant.timeShare < 0.02, JSON.stringify(c.dominant))
  assert.ok(c.top[1].timeShare > 0.98, 'the slow pages hold the time in flight, yet are not the flood')
})

/** One second of traffic: 60 requests of a 5 ms route (the flood) and two ordinary ones. */
async function floodSecond (app: FastifyInstance): Promise<void> {
  await Promise.all(Array.from({ length: 60 }, () => app.inject({ method: 'GET', url: '/api/v1/test/flood' })))
  await app.inject({ method: 'GET', url: '/api/v1/test/browse' })
  await app.inject({ method: 'GET', url: '/api/v1/test/browse' })
}

test('a flood of one route raises neither the level nor the tightening for everybody else; the same readings without it do', async (t) => {
  const app = await manualApp(t)
  await flushRedisPrefix(app)
  const saturated = { ...CALM, elu: 1, cpu: 0.97, eventLoopDelayP99Ms: 600, criticalP95Ms: 900 }
  for (let i = 0; i < 6; i++) {
    await floodSecond(app)
    app.load.override(saturated)
    const s = app.load.current()
    assert.equal(s.attribution.dominant?.route, 'GET /api/v1/test/flood')
    assert.equal(s.level, 'low', `sample ${i}: ${JSON.stringify(s.attribution)}`)
    assert.equal(s.tightened, false)
    assert.equal(s.limitFactorPermille, 1000)
  }
  assert.equal((await app.inject({ method: 'POST', url: '/api/v1/test/checkout' })).headers['x-ratelimit-limit'], '10', 'limits untouched')

  const broad = await manualApp(t)
  await flushRedisPrefix(broad)
  broad.load.override(saturated)
  const s = steps(broad, 3)
  assert.equal(s.attribution.dominant, undefined)
  assert.equal(s.level, 'critical')
  assert.equal(s.tightened, true)
})
