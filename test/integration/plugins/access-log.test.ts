import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import net from 'node:net'
import zlib from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../../../src/config.js'
import { recordCacheOp, timedQuery } from '../../../src/lib/observability/instrumentation.js'
import { buildTestApp, flushRedisPrefix } from '../../support/helper.js'

type LogLine = Record<string, unknown> & { level: number, msg: string }

const BIG = { items: Array.from({ length: 100 }, (_, i) => ({ id: i, name: `product ${i}`, price: 19.99 })) }

/** An app whose log lines are captured as parsed JSON objects. */
async function loggedApp (t: Parameters<typeof buildTestApp>[0], overrides: Partial<Config> = {}, level = 'info'): Promise<{ app: FastifyInstance, lines: LogLine[] }> {
  const lines: LogLine[] = []
  const stream = { write: (line: string) => { lines.push(JSON.parse(line) as LogLine) } }
  const app = await buildTestApp(t, { loadSampleIntervalMs: 0, ...overrides }, {
    logger: { level, stream },
    setup: (app) => {
      app.get('/api/v1/test/products/:id', async (request) => {
        await timedQuery('test.product', app.db.sql`SELECT 1 AS one`)
        recordCacheOp({ type: 'product_detail', layer: 'l1', hit: true, durationMs: 0.2 })
        request.timings.cacheStatus = 'hit'
        return BIG
      })
      app.get('/api/v1/test/slow', async () => {
        await sleep(40)
        return { ok: true }
      })
      app.get('/api/v1/test/boom', async () => { throw new Error('kaput') })
      app.get('/api/v1/test/hang', async () => {
        await sleep(300)
        return { ok: true }
      })
    }
  })
  await flushRedisPrefix(app)
  return { app, lines }
}

/** Access-log lines: the only ones with a duration. */
const accessLines = (lines: LogLine[]) => lines.filter((l) => 'duration_ms' in l)

test('request id, Server-Timing and compression headers are present, and the access log line has route template, status and duration', async (t) => {
  const { app, lines } = await loggedApp(t)
  const res = await app.inject({ method: 'GET', url: '/api/v1/test/products/42?q=secret', headers: { 'x-request-id': 'abc-123', 'accept-encoding': 'br' } })
  assert.equal(res.statusCode, 200)
  assert.equal(res.headers['x-request-id'], 'abc-123')
  assert.match(String(res.headers['server-timing']), /^db;dur=\d+\.\d, cache;desc=hit;dur=0\.2, app;dur=\d+\.\d, total;dur=\d+\.\d$/)
  assert.equal(res.headers['content-encoding'], 'br')
  assert.deepEqual(JSON.parse(zlib.brotliDecompressSync(res.rawPayload).toString()), BIG)

  const [line, ...more] = accessLines(lines)
  assert.equal(more.length, 0, 'one line per request')
  assert.equal(line.level, 30)
  assert.equal(line.reqId, 'abc-123')
  assert.equal(line.method, 'GET')
  assert.equal(line.route, '/api/v1/test/products/:id')
  assert.equal(line.path, '/api/v1/test/products/42', 'no query string: it may carry personal search terms')
  assert.equal(line.status, 200)
  assert.equal(typeof line.duration_ms, 'number')
  assert.equal(line.client, '127.0.0.1')
  assert.equal(line.cache, 'hit')
  assert.equal(typeof line.db_ms, 'number')
  assert.ok(typeof line.db_wait_ms === 'number' && line.db_wait_ms <= Number(line.db_ms), 'pool wait is part of db time')
  assert.equal(line.bytes, res.rawPayload.length)
  assert.equal(lines.filter((l) => l.msg === 'incoming request').length, 0, 'Fastify\'s own per-request lines are replaced')
})

test('without X-Request-Id a UUID is generated, echoed and logged', async (t) => {
  const { app, lines } = await loggedApp(t)
  const res = await app.inject({ method: 'GET', url: '/api/v1/test/products/1' })
  const id = String(res.headers['x-request-id'])
  assert.match(id, /^[0-9a-f-]{36}$/)
  assert.equal(accessLines(lines)[0].reqId, id)
  const forged = await app.inject({ method: 'GET', url: '/api/v1/test/products/1', headers: { 'x-request-id': 'bad id\nwith newline' } })
  assert.match(String(forged.headers['x-request-id']), /^[0-9a-f-]{36}$/, 'an unsafe id is replaced, so logs cannot be forged')
})

test('slow requests are logged at warn', async (t) => {
  const { app, lines } = await loggedApp(t, { slowRequestMs: 20 })
  await app.inject({ method: 'GET', url: '/api/v1/test/slow' })
  const [line] = accessLines(lines)
  assert.equal(line.msg, 'slow request')
  assert.equal(line.level, 40)
  assert.ok((line.duration_ms as number) >= 20)
})

test('5xx at warn, 404 with no route template, authenticated user id, health at debug', async (t) => {
  const { app, lines } = await loggedApp(t)
  await app.inject({ method: 'GET', url: '/api/v1/test/boom' })
  await app.inject({ method: 'GET', url: '/no/such/thing' })
  const token = app.signAccessToken({ id: 77, role: 'customer' })
  await app.inject({ method: 'GET', url: '/api/v1/test/products/9', headers: { authorization: `Bearer ${token}` } })
  await app.inject({ method: 'GET', url: '/health/live' })
  const [boom, missing, authed, ...rest] = accessLines(lines)
  assert.equal(boom.level, 40)
  assert.equal(lines.filter((l) => l.msg === 'request failed' && l.level === 50).length, 1, 'the error handler logs the error once')
  assert.equal(boom.status, 500)
  assert.equal(missing.route, null)
  assert.equal(missing.path, '/no/such/thing')
  assert.equal(missing.status, 404)
  assert.equal(authed.user_id, 77)
  assert.equal(rest.length, 0, 'health checks are logged at debug, below info')
})

test('ACCESS_LOG_ENABLED=false writes no per-request line at all', async (t) => {
  const { app, lines } = await loggedApp(t, { accessLogEnabled: false })
  await app.inject({ method: 'GET', url: '/api/v1/test/products/1' })
  assert.equal(accessLines(lines).length, 0)
  assert.equal(lines.filter((l) => l.msg === 'incoming request').length, 0)
})

test('sampling drops routine lines only: errors, slow requests and the other 4xx are always written', async (t) => {
  const { app, lines } = await loggedApp(t, { accessLogSampleRate: 0, slowRequestMs: 20 })
  await app.inject({ method: 'GET', url: '/api/v1/test/products/1' }) // 200: routine
  await app.inject({ method: 'GET', url: '/no/such/thing' }) // 404: routine
  await app.inject({ method: 'GET', url: '/api/v1/test/boom' }) // 500: kept
  await app.inject({ method: 'GET', url: '/api/v1/test/slow' }) // slow 200: kept
  await app.inject({ method: 'GET', url: '/api/v1/users/profile' }) // 401: kept
  await app.inject({ method: 'GET', url: '/api/v1/products/search?limit=0' }) // 400: kept
  const kept = accessLines(lines)
  // On a busy machine any request may pass the slow bound: those lines are kept too, and say so.
  assert.ok(kept.every((l) => l.msg === 'slow request' || ![200, 404].includes(l.status as number)), JSON.stringify(kept))
  assert.ok(kept.every((l) => !('sample_rate' in l)), 'lines that are always written carry no sample rate')
  assert.deepEqual(kept.map((l) => l.status).filter((s) => s !== 200 && s !== 404), [500, 401, 400])
  assert.ok(kept.some((l) => l.path === '/api/v1/test/slow' && l.msg === 'slow request'))
  assert.equal(lines.filter((l) => l.msg === 'request failed').length, 1, 'the error line itself is not sampled')
})

test('a sample rate keeps about that share of routine lines, each saying the rate it was kept at', async (t) => {
  const { app, lines } = await loggedApp(t, { accessLogSampleRate: 0.25 })
  for (let i = 0; i < 400; i++) await app.inject({ method: 'GET', url: '/api/v1/test/products/1' })
  const kept = accessLines(lines)
  // Binomial(400, 0.25): mean 100, standard deviation 8.7; 55..145 is more than five deviations either side.
  assert.ok(kept.length > 55 && kept.length < 145, `${kept.length} of 400 kept`)
  assert.ok(kept.every((l) => l.sample_rate === 0.25))
  await app.inject({ method: 'GET', url: '/api/v1/test/boom' })
  assert.equal(accessLines(lines).at(-1)?.sample_rate, undefined, 'a line that is always written carries no rate')
})

test('a sample rate outside 0..1 stops the boot', async () => {
  await assert.rejects(buildTestApp(undefined, { accessLogSampleRate: 1.5 }), /ACCESS_LOG_SAMPLE_RATE/)
})

/** Sends GET /api/v1/test/hang on a real socket, hangs up after `afterMs`, and returns the request's access-log lines once the handler is done. */
async function hangUp (app: FastifyInstance, lines: LogLine[], requestId: string, afterMs: number): Promise<LogLine[]> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as net.AddressInfo
  const socket = net.connect(port, '127.0.0.1', () => { socket.write(`GET /api/v1/test/hang?q=secret HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: ${requestId}\r\n\r\n`) })
  await sleep(afterMs)
  socket.destroy()
  // The handler still finishes (at 300 ms); its answer has nowhere to go.
  await sleep(400)
  return accessLines(lines).filter((l) => l.reqId === requestId)
}

test('a client that hangs up before the answer still leaves one line: aborted, no status, its age, at info below the slow bound', async (t) => {
  const { app, lines } = await loggedApp(t)
  const mine = await hangUp(app, lines, 'gone-1', 60)
  assert.equal(mine.length, 1, 'one line, and no "request completed" after it')
  const [line] = mine
  assert.equal(line.msg, 'request aborted by the client')
  assert.equal(line.aborted, true)
  assert.equal(line.level, 30)
  assert.equal(line.route, '/api/v1/test/hang')
  assert.equal(line.path, '/api/v1/test/hang')
  assert.equal('status' in line, false, 'nothing was sent')
  assert.ok(Number(line.duration_ms) >= 40 && Number(line.duration_ms) < 300, `duration ${String(line.duration_ms)} ms: the time until the client left`)
})

test('an aborted request past the slow bound is logged at warn, whatever the sampling', async (t) => {
  const { app, lines } = await loggedApp(t, { slowRequestMs: 30, accessLogSampleRate: 0 })
  const mine = await hangUp(app, lines, 'gone-2', 80)
  assert.equal(mine.length, 1)
  assert.equal(mine[0].level, 40)
  assert.equal(mine[0].aborted, true)
})
