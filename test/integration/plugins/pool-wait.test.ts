import { test } from 'node:test'
import assert from 'node:assert/strict'
import { sql as dsql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { timedQuery, type RequestTimings } from '../../../src/lib/observability/instrumentation.js'
import { buildTestApp } from '../../support/helper.js'

const SLEEP_MS = 60

/** An app with a pool of two connections and routes that return their own request timings. */
async function poolApp (t: Parameters<typeof buildTestApp>[0]): Promise<FastifyInstance> {
  return buildTestApp(t, { databasePoolMax: 2 }, {
    setup: (app) => {
      app.get('/test/pool/alone', async (request) => {
        await timedQuery('test.alone', app.db.sql`SELECT pg_sleep(${SLEEP_MS / 1000})`)
        return request.timings
      })
      // Three sleeps for two connections: whichever way postgres.js queues or pipelines
      // them, one cannot start before another has ended.
      app.get('/test/pool/queued', async (request) => {
        const [, , , one] = await Promise.all([
          timedQuery('test.sleep', app.db.sql`SELECT pg_sleep(${SLEEP_MS / 1000})`),
          timedQuery('test.sleep', app.db.sql`SELECT pg_sleep(${SLEEP_MS / 1000})`),
          timedQuery('test.sleep_drizzle', app.db.db.execute(dsql`SELECT pg_sleep(${SLEEP_MS / 1000})`)),
          timedQuery('test.one', app.db.sql<{ one: number }[]>`SELECT 1 AS one`)
        ])
        return { ...request.timings, one: [...one] }
      })
      app.get('/test/pool/failing', async (request) => {
        await timedQuery('test.failing', app.db.sql`SELECT 1 / 0`).catch(() => {})
        return request.timings
      })
    }
  })
}

test('a query that waits for a busy pool adds its wait to dbWaitMs; the query\'s own run does not count', async (t) => {
  const app = await poolApp(t)
  const alone = (await app.inject({ method: 'GET', url: '/test/pool/alone' })).json<RequestTimings>()
  assert.equal(alone.dbQueries, 1)
  assert.ok(alone.dbMs >= SLEEP_MS - 5, `dbMs ${alone.dbMs}`)
  assert.ok(alone.dbWaitMs >= 0 && alone.dbWaitMs < alone.dbMs - (SLEEP_MS - 15), `a free connection: waited ${alone.dbWaitMs} of ${alone.dbMs} ms`)

  const queued = await app.inject({ method: 'GET', url: '/test/pool/queued' })
  assert.equal(queued.statusCode, 200)
  const body = queued.json<RequestTimings & { one: { one: number }[] }>()
  assert.deepEqual(body.one, [{ one: 1 }], 'a watched query still answers its rows')
  assert.equal(body.dbQueries, 4)
  assert.ok(body.dbWaitMs >= SLEEP_MS - 10, `a sleep waited for another to end: ${body.dbWaitMs} ms`)
  assert.ok(body.dbWaitMs <= body.dbMs, `the wait is part of the database time (${body.dbWaitMs} <= ${body.dbMs})`)
})

test('a failing query still settles its wait; queries outside a request are not watched', async (t) => {
  const app = await poolApp(t)
  const failing = (await app.inject({ method: 'GET', url: '/test/pool/failing' })).json<RequestTimings>()
  assert.equal(failing.dbQueries, 1)
  assert.ok(Number.isFinite(failing.dbWaitMs) && failing.dbWaitMs >= 0 && failing.dbWaitMs <= failing.dbMs, `waited ${failing.dbWaitMs} of ${failing.dbMs} ms`)
  const query = app.db.sql<{ one: number }[]>`SELECT 1 AS one`
  assert.deepEqual([...await query], [{ one: 1 }])
  assert.equal(Object.getOwnPropertyDescriptor(query, 'active')?.get, undefined, 'no accessor without a request to report to')
})
