import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { READY_MAX_AGE_MS } from '../../../src/plugins/health.js'
import { buildTestApp, TEST_DATABASE_URL } from '../../support/helper.js'
import { startTcpProxy } from '../../support/tcp-proxy.js'

test('GET /health/live answers ok', async (t) => {
  const app = await buildTestApp(t)
  const res = await app.inject({ method: 'GET', url: '/health/live' })
  assert.equal(res.statusCode, 200)
  assert.deepEqual(res.json(), { status: 'ok' })
  assert.ok(res.headers['x-request-id'])
})

test('GET /health/ready reports database and redis up', async (t) => {
  const app = await buildTestApp(t)
  const res = await app.inject({ method: 'GET', url: '/health/ready' })
  assert.equal(res.statusCode, 200)
  const body = res.json()
  assert.equal(body.status, 'ready')
  assert.equal(body.checks.database.status, 'up')
  assert.equal(body.checks.redis.status, 'up')
  assert.ok(Number.isInteger(body.age_ms) && body.age_ms >= 0 && body.age_ms < 5000, `age ${body.age_ms}`)
  assert.ok(Math.abs(Date.parse(body.checked_at) - Date.now()) < 5000)
})

test('GET /health/ready: concurrent probes share one check, later ones within a second reuse it and say how old it is', async (t) => {
  const proxy = await startTcpProxy(6379)
  t.after(() => proxy.close())
  const app = await buildTestApp(t, { redisUrl: proxy.url('redis') })
  proxy.setLatency(100) // the check takes a while, so the probes below overlap it
  const pings = () => proxy.countSent('$4\r\nping\r\n') // ioredis sends command names in lower case
  const before = pings()
  const first = await Promise.all(Array.from({ length: 20 }, () => app.inject({ method: 'GET', url: '/health/ready' })))
  assert.equal(pings() - before, 1, 'one PING for twenty concurrent probes')
  assert.ok(first.every((r) => r.statusCode === 200 && r.json().checked_at === first[0].json().checked_at))
  const again = await app.inject({ method: 'GET', url: '/health/ready' })
  assert.equal(pings() - before, 1, 'a probe within the second reuses the check')
  assert.equal(again.json().checked_at, first[0].json().checked_at)
  assert.ok(again.json().age_ms >= 100, `age ${again.json().age_ms} ms covers the check's own time`)
  await sleep(READY_MAX_AGE_MS + 50)
  const later = await app.inject({ method: 'GET', url: '/health/ready' })
  assert.equal(pings() - before, 2, 'a second later the state is checked again')
  assert.notEqual(later.json().checked_at, first[0].json().checked_at)
})

test('GET /health/ready is 503 when PostgreSQL goes away and 200 again when it returns', async (t) => {
  const proxy = await startTcpProxy(5432)
  t.after(() => proxy.close())
  const app = await buildTestApp(t, { databaseUrl: proxy.url('postgres', new URL(TEST_DATABASE_URL).pathname), databaseConnectTimeoutS: 1 })
  proxy.cut()
  const down = await app.inject({ method: 'GET', url: '/health/ready' })
  assert.equal(down.statusCode, 503)
  assert.equal(down.json().status, 'unavailable')
  assert.equal(down.json().checks.database.status, 'down')
  proxy.restore()
  await sleep(READY_MAX_AGE_MS + 50) // the answer comes from a check at most a second old
  const up = await app.inject({ method: 'GET', url: '/health/ready' })
  assert.equal(up.statusCode, 200)
})

test('GET /health/ready is degraded (still 200) while Redis is down', async (t) => {
  const proxy = await startTcpProxy(6379)
  t.after(() => proxy.close())
  const app = await buildTestApp(t, { redisUrl: proxy.url('redis') })
  proxy.cut()
  const res = await app.inject({ method: 'GET', url: '/health/ready' })
  assert.equal(res.statusCode, 200)
  assert.equal(res.json().status, 'degraded')
  assert.equal(res.json().checks.redis.status, 'down')
})

test('boot fails with a message naming the PostgreSQL URL when it is unreachable', async () => {
  await assert.rejects(buildTestApp(undefined, { databaseUrl: 'postgres://postgres@127.0.0.1:1/techmart_test', databaseConnectTimeoutS: 1 }), /PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/techmart_test is not reachable/)
})

test('boot fails with a message naming the Redis URL when it is unreachable', async () => {
  await assert.rejects(buildTestApp(undefined, { redisUrl: 'redis://127.0.0.1:1' }), /Redis at redis:\/\/127\.0\.0\.1:1 is not reachable/)
})
