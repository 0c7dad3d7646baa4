import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildTestApp } from '../../support/helper.js'
import { dbQueryChannel } from '../../../src/lib/observability/channels.js'
import { currentTimings, recordCacheOp, timedQuery, type DbQueryEvent } from '../../../src/lib/observability/instrumentation.js'

test('queries and cache reads made in a handler add to that request\'s timings only', async (t) => {
  const seen: DbQueryEvent[] = []
  const listener = (msg: unknown) => { seen.push(msg as DbQueryEvent) }
  dbQueryChannel.subscribe(listener)
  t.after(() => dbQueryChannel.unsubscribe(listener))

  const app = await buildTestApp(t, {}, {
    setup: (app) => {
      app.get('/test/timed', async (request) => {
        await sleep(5)
        await timedQuery('test.sleep', app.db.sql`SELECT pg_sleep(0.02), ${'x'}::text AS v`)
        recordCacheOp({ type: 'test', layer: 'l1', hit: true, durationMs: 1.5 })
        return { sameObject: currentTimings() === request.timings, ...request.timings }
      })
    }
  })
  const [a, b] = await Promise.all([
    app.inject({ method: 'GET', url: '/test/timed' }),
    app.inject({ method: 'GET', url: '/test/timed' })
  ])
  for (const res of [a, b]) {
    const body = res.json()
    assert.equal(body.sameObject, true)
    assert.equal(body.dbQueries, 1)
    assert.ok(body.dbMs >= 15, `dbMs ${body.dbMs}`)
    assert.equal(body.cacheOps, 1)
    assert.equal(body.cacheMs, 1.5)
  }
  const ev = seen.find((e) => e.name === 'test.sleep')
  assert.ok(ev && ev.ok)
  assert.deepEqual(ev.sql?.(), { sql: 'SELECT pg_sleep(0.02), $1::text AS v', params: ['x'] })
})
