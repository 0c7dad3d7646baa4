/**
 * REDIS_EMBEDDED: the whole app without a Redis server. Every consumer of
 * app.redis runs its in-process path — the cache L1-only with local
 * invalidation, rate limits in memory, alerts evaluated by this process —
 * and nothing ever dials the Redis URL (a listener there counts attempts).
 */
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:net'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../../src/app.js'
import { buildTestApp, testConfig } from '../../support/helper.js'
import { freePort } from '../../support/ports.js'

describe('the app with REDIS_EMBEDDED', () => {
  let app: FastifyInstance
  let listener: Server
  let dialled = 0

  before(async () => {
    // Something does listen at the configured URL: any connection attempt would be counted.
    listener = createServer((socket) => { dialled++; socket.destroy() })
    const port = await freePort(55400, 55499)
    await new Promise<void>((resolve) => listener.listen(port, '127.0.0.1', resolve))
    app = await buildTestApp(undefined, { redisEmbedded: true, redisUrl: `redis://127.0.0.1:${port}`, loadSampleIntervalMs: 0, alertEvalIntervalMs: 100 }, {
      setup: (a) => {
        a.get('/test/limited', { config: { rateLimit: { points: 2, duration: 60 } } }, async () => ({ ok: true }))
      }
    })
  })

  after(async () => {
    await app?.close()
    await new Promise((resolve) => listener.close(resolve))
    // Last, so it covers every request, timer and shutdown step of the app above.
    assert.equal(dialled, 0, 'nothing connected to the Redis URL')
  })

  test('/health/ready: Redis is embedded and up, so the service is ready (not degraded)', async () => {
    const res = await app.inject({ method: 'GET', url: '/health/ready' })
    assert.equal(res.statusCode, 200)
    const body = res.json()
    assert.equal(body.status, 'ready')
    assert.deepEqual({ status: body.checks.redis.status, mode: body.checks.redis.mode }, { status: 'up', mode: 'embedded' })
    assert.equal(body.checks.database.mode, 'external')
    assert.equal(app.redis.embedded, true)
    assert.equal(app.redis.isReady(), false)
  })

  test('the cache serves from L1 and invalidation is local and final (nothing queued for Redis)', async () => {
    let loads = 0
    const read = () => app.cache.getOrLoad({ type: 'product_detail', key: 'embedded-1', tags: ['product:embedded-1'], load: async () => ({ body: JSON.stringify({ n: ++loads }) }) })
    assert.equal((await read()).status, 'miss')
    const hit = await read()
    assert.deepEqual([hit.status, hit.body], ['hit', '{"n":1}'])
    await app.cache.invalidate(['product:embedded-1'])
    const fresh = await read()
    assert.deepEqual([fresh.status, fresh.body], ['miss', '{"n":2}'])
    const layers = app.cache.layers()
    assert.equal(layers.pendingInvalidations, 0)
    assert.equal(layers.l2.errors + layers.l2.timeouts, 0, 'no Redis command was even tried')
  })

  test('rate limits are counted in memory: the third request of a 2-per-minute route is a 429', async () => {
    const statuses = []
    for (let i = 0; i < 3; i++) statuses.push(await app.inject({ method: 'GET', url: '/test/limited' }))
    assert.deepEqual(statuses.map((r) => r.statusCode), [200, 200, 429])
    assert.equal(statuses[0].headers['x-ratelimit-limit'], '2')
    assert.equal(statuses[2].json().code, 'RATE_LIMIT_EXCEEDED')
    assert.ok(Number(statuses[2].headers['retry-after']) > 0)
  })

  test('this process leads alert evaluation (no Redis lease) and redis_down never fires', async () => {
    // The 100 ms background tick may be running: a call that overlaps it is skipped
    // (undefined), so ask until one evaluation of this call's own comes back.
    let tick = await app.alerts.evaluate()
    for (let i = 0; i < 10 && tick === undefined; i++) tick = await app.alerts.evaluate()
    assert.ok(tick, 'evaluated here')
    const redisDown = tick.records.find((r) => r.ruleId === 'redis_down')
    assert.ok(redisDown)
    assert.equal(redisDown.state, 'inactive')
    assert.equal(app.metrics.value('redis_up', 60), undefined, 'no Redis probe value at all')
  })

  test('duplicate() hands out a client that fails at once instead of connecting', async () => {
    const dup = app.redis.duplicate()
    assert.equal(dup.status, 'end')
    await assert.rejects(dup.ping(), /Connection is closed/)
    await assert.rejects(app.redis.client.get(app.redis.key('x')), /Connection is closed/)
  })
})

test('DATABASE_EMBEDDED with a pool of more than one connection fails at boot, naming DATABASE_POOL_MAX', async () => {
  await assert.rejects(buildApp(testConfig({ databaseEmbedded: true, databasePoolMax: 4 }), { logger: false }),
    /embedded database serves one session: DATABASE_POOL_MAX must be 1, got 4/)
})
