import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../../support/helper.js'
import { createUser, type FixtureUser } from '../../support/fixtures.js'
import { freePort } from '../../support/ports.js'
import { readStreamCookie } from '../../../src/modules/monitoring/metrics/stream-token.js'
import { MAX_STREAMS_PER_USER } from '../../../src/modules/monitoring/metrics/stream-hub.js'

/**
 * One stream cookie opened 30 concurrent streams, and one admin could hold
 * all 100 stream slots of an instance. A stream token now opens one stream,
 * and each user holds at most MAX_STREAMS_PER_USER streams per instance.
 */

const NO_SHAPING = { rateLimitEnabled: false, loadSheddingEnabled: false }

interface Opened { status: number, body: string, close: () => void, closed: Promise<void> }

/** Opens GET /monitoring/stream over real HTTP; answers once the status (and, for a refusal, the body) is known. */
function openStream (port: number, headers: Record<string, string>): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/api/v1/monitoring/stream', headers }, (res) => {
      res.setEncoding('utf8')
      const closed = new Promise<void>((resolve) => res.on('close', resolve))
      const close = () => req.destroy()
      if (res.statusCode === 200) {
        resolve({ status: 200, body: '', close, closed })
        return
      }
      let body = ''
      res.on('data', (c: string) => { body += c })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, close, closed }))
    })
    req.on('error', reject)
  })
}

async function listen (app: FastifyInstance): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  return (app.server.address() as { port: number }).port
}

/** A fresh stream cookie for `admin` from POST /monitoring/stream-token. */
async function streamCookie (app: FastifyInstance, admin: FixtureUser): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/monitoring/stream-token', headers: { authorization: `Bearer ${admin.token}` } })
  assert.equal(res.statusCode, 200, res.body)
  return `techmart_stream=${readStreamCookie(String(res.headers['set-cookie']).split(';')[0])}`
}

function assertRefused (opened: Opened, status: number, code: string): void {
  assert.equal(opened.status, status, opened.body)
  assert.equal(JSON.parse(opened.body).code, code)
}

test('a stream cookie opens one stream: a second use, at once or later, is 401', async (t) => {
  const app = await buildTestApp(t, NO_SHAPING)
  const port = await listen(app)
  const admin = await createUser(app, { role: 'admin' })
  const cookie = await streamCookie(app, admin)
  const attempts = await Promise.all(Array.from({ length: 10 }, () => openStream(port, { cookie })))
  assert.deepEqual(attempts.map((a) => a.status).sort(), [200, 401, 401, 401, 401, 401, 401, 401, 401, 401])
  for (const a of attempts.filter((a) => a.status !== 200)) assertRefused(a, 401, 'MONITORING_STREAM_TOKEN_INVALID')
  const open = attempts.find((a) => a.status === 200)!
  open.close()
  await open.closed
  assertRefused(await openStream(port, { cookie }), 401, 'MONITORING_STREAM_TOKEN_INVALID')
  // A new token opens a new stream.
  const again = await openStream(port, { cookie: await streamCookie(app, admin) })
  assert.equal(again.status, 200)
  again.close()
  await app.close()
})

test('a token used on one instance is refused on another (the used nonce is kept in Redis)', async (t) => {
  const a = await buildTestApp(t, NO_SHAPING)
  const b = await buildTestApp(t, NO_SHAPING)
  const [portA, portB] = [await listen(a), await listen(b)]
  const admin = await createUser(a, { role: 'admin' })
  const cookie = await streamCookie(a, admin)
  const first = await openStream(portA, { cookie })
  assert.equal(first.status, 200)
  assertRefused(await openStream(portB, { cookie }), 401, 'MONITORING_STREAM_TOKEN_INVALID')
  first.close()
  await a.close()
  await b.close()
})

test(`one user holds at most ${MAX_STREAMS_PER_USER} streams per instance (429); other admins are not affected; a closed stream frees its slot`, async (t) => {
  const app = await buildTestApp(t, NO_SHAPING)
  const port = await listen(app)
  const [greedy, other] = [await createUser(app, { role: 'admin' }), await createUser(app, { role: 'admin' })]
  const streams: Opened[] = []
  for (let i = 0; i < MAX_STREAMS_PER_USER; i++) {
    const s = await openStream(port, { cookie: await streamCookie(app, greedy) })
    assert.equal(s.status, 200)
    streams.push(s)
  }
  const refused = await openStream(port, { cookie: await streamCookie(app, greedy) })
  assertRefused(refused, 429, 'MONITORING_STREAM_USER_LIMIT')
  assert.match(JSON.parse(refused.body).message, new RegExp(`User '${greedy.id}' already has ${MAX_STREAMS_PER_USER} monitoring streams open`))
  // The bearer-token way in counts against the same share.
  assertRefused(await openStream(port, { authorization: `Bearer ${greedy.token}` }), 429, 'MONITORING_STREAM_USER_LIMIT')

  const others = await openStream(port, { authorization: `Bearer ${other.token}` })
  assert.equal(others.status, 200, 'another admin still gets a stream')

  streams[0].close()
  await streams[0].closed
  let reopened: Opened | undefined
  for (let i = 0; i < 20 && reopened?.status !== 200; i++) {
    if (i > 0) await sleep(50)
    reopened = await openStream(port, { cookie: await streamCookie(app, greedy) })
  }
  assert.equal(reopened?.status, 200, 'the closed stream\'s slot is free again')
  await app.close()
})

test('without Redis (embedded mode) a token still opens one stream on its instance', async (t) => {
  const app = await buildTestApp(t, { ...NO_SHAPING, redisEmbedded: true, redisUrl: `redis://127.0.0.1:${await freePort(47000, 47999)}` })
  const port = await listen(app)
  const admin = await createUser(app, { role: 'admin' })
  const cookie = await streamCookie(app, admin)
  const first = await openStream(port, { cookie })
  assert.equal(first.status, 200)
  assertRefused(await openStream(port, { cookie }), 401, 'MONITORING_STREAM_TOKEN_INVALID')
  first.close()
  await app.close()
})
