import { test } from 'node:test'
import assert from 'node:assert/strict'
import { buildTestApp } from '../helper.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'

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
})

test('GET /health/ready is 503 when PostgreSQL goes away and 200 again when it returns', async (t) => {
  const proxy = await startTcpProxy(5432)
  t.after(() => proxy.close())
  const app = await buildTestApp(t, { databaseUrl: proxy.url('postgres', '/techmart_test'), databaseConnectTimeoutS: 1 })
  proxy.cut()
  const down = await app.inject({ method: 'GET', url: '/health/ready' })
  assert.equal(down.statusCode, 503)
  assert.equal(down.json().status, 'unavailable')
  assert.equal(down.json().checks.database.status, 'down')
  proxy.restore()
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
