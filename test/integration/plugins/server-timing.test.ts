import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../../src/config.js'
import { recordCacheOp, timedQuery } from '../../../src/lib/observability/instrumentation.js'
import { buildTestApp, flushRedisPrefix } from '../../support/helper.js'

const SHOP = 'https://shop.example'

async function timedApp (t: Parameters<typeof buildTestApp>[0], overrides: Partial<Config> = {}): Promise<FastifyInstance> {
  const app = await buildTestApp(t, { loadSampleIntervalMs: 0, ...overrides }, {
    setup: (app) => {
      app.get('/api/v1/test/db', async (request) => {
        await timedQuery('test.sleep', app.db.sql`SELECT pg_sleep(0.03)`)
        recordCacheOp({ type: 'product_detail', layer: 'miss', hit: false, durationMs: 1.25 })
        request.timings.cacheStatus = 'miss'
        return { ok: true }
      })
    }
  })
  await flushRedisPrefix(app)
  return app
}

/** `{ db: {dur, desc?}, cache: … }` from a Server-Timing header. */
function parse (header: string): Record<string, { dur: number, desc?: string }> {
  const out: Record<string, { dur: number, desc?: string }> = {}
  for (const metric of header.split(',').map((s) => s.trim())) {
    const [name, ...params] = metric.split(';')
    const entry: { dur: number, desc?: string } = { dur: NaN }
    for (const p of params) {
      const [k, v] = p.split('=')
      if (k === 'dur') entry.dur = Number(v)
      if (k === 'desc') entry.desc = v
    }
    out[name] = entry
  }
  return out
}

test('Server-Timing reports database, cache, app and total time of the request', async (t) => {
  const app = await timedApp(t)
  const res = await app.inject({ method: 'GET', url: '/api/v1/test/db' })
  const header = String(res.headers['server-timing'])
  assert.match(header, /^db;dur=\d+\.\d, cache;desc=miss;dur=1\.3, app;dur=\d+\.\d, total;dur=\d+\.\d$/, 'milliseconds with one decimal')
  const timing = parse(header)
  assert.deepEqual(Object.keys(timing), ['db', 'cache', 'app', 'total'])
  assert.ok(timing.db.dur >= 25, `db ${timing.db.dur} covers the 30 ms pg_sleep`)
  assert.equal(timing.cache.dur, 1.3)
  assert.equal(timing.cache.desc, 'miss')
  assert.ok(timing.total.dur >= timing.db.dur, 'total includes the database time')
  assert.ok(Math.abs(timing.total.dur - timing.db.dur - timing.cache.dur - timing.app.dur) <= 0.2, 'app is the rest')
})

test('Server-Timing is on error responses too, with zero database time when none was spent', async (t) => {
  const app = await timedApp(t)
  const res = await app.inject({ method: 'GET', url: '/nothing/here' })
  assert.equal(res.statusCode, 404)
  const timing = parse(String(res.headers['server-timing']))
  assert.equal(timing.db.dur, 0)
  assert.equal(timing.cache.desc, undefined)
})

test('Timing-Allow-Origin only for an origin CORS allows', async (t) => {
  const app = await timedApp(t, { corsOrigins: `${SHOP}, https://admin.example` })
  const allowed = await app.inject({ method: 'GET', url: '/api/v1/test/db', headers: { origin: SHOP } })
  assert.equal(allowed.headers['timing-allow-origin'], SHOP)
  const other = await app.inject({ method: 'GET', url: '/api/v1/test/db', headers: { origin: 'https://evil.example' } })
  assert.equal(other.headers['timing-allow-origin'], undefined)
  assert.ok(other.headers['server-timing'], 'same-origin tools still see it')
  const noCors = await timedApp(t)
  assert.equal((await noCors.inject({ method: 'GET', url: '/api/v1/test/db', headers: { origin: SHOP } })).headers['timing-allow-origin'], undefined)
})

test('SERVER_TIMING_ENABLED=false sends no Server-Timing', async (t) => {
  const app = await timedApp(t, { serverTimingEnabled: false })
  assert.equal((await app.inject({ method: 'GET', url: '/api/v1/test/db' })).headers['server-timing'], undefined)
})
