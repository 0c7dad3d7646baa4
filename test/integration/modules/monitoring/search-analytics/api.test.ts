import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { Value } from 'typebox/value'
import { buildTestApp, flushRedisPrefix } from '../../../../support/helper.js'
import { createUser } from '../../../../support/fixtures.js'
import { SearchAnalyticsSchema, type SearchAnalytics } from '../../../../../src/modules/monitoring/search-analytics/schemas.js'
import { SEARCH_FLUSH_MS, SEARCH_SUMMARY_MAX_AGE_MS } from '../../../../../src/modules/monitoring/search-analytics/service.js'

const URL = '/api/v1/monitoring/search-analytics'
// Scheduling on a busy shared machine: timers and requests may run this much late.
const SLACK_MS = 1500

test('search analytics say when they were computed, and a search shows in them within the flush plus the summary age', async (t) => {
  const app = await buildTestApp(t, { rateLimitEnabled: false, loadSheddingEnabled: false })
  await flushRedisPrefix(app)
  const admin = await createUser(app, { role: 'admin' })
  const read = async (): Promise<{ body: SearchAnalytics, receivedAt: number }> => {
    const res = await app.inject({ url: URL, headers: { authorization: `Bearer ${admin.token}` } })
    assert.equal(res.statusCode, 200, res.body)
    const body = res.json() as SearchAnalytics
    assert.ok(Value.Check(SearchAnalyticsSchema, body), res.body)
    return { body, receivedAt: Date.now() }
  }

  // computed_at is an ISO time, recent, and shared by readers within the summary's age.
  const first = await read()
  const computed = Date.parse(first.body.computed_at)
  assert.equal(new Date(computed).toISOString(), first.body.computed_at)
  assert.ok(first.receivedAt - computed <= SEARCH_SUMMARY_MAX_AGE_MS + SLACK_MS, `computed ${first.receivedAt - computed} ms before it was read`)
  const again = await read()
  if (again.receivedAt - computed < SEARCH_SUMMARY_MAX_AGE_MS) assert.equal(again.body.computed_at, first.body.computed_at)
  await sleep(SEARCH_SUMMARY_MAX_AGE_MS + 50)
  assert.ok(Date.parse((await read()).body.computed_at) > computed, 'recomputed once the summary is older than its age')

  // A real search that finds nothing shows as a zero-result query within the flush interval plus the summary's age.
  const query = `nothingmatches${process.pid}`
  const searchedAt = Date.now()
  const res = await app.inject(`/api/v1/products/search?q=${query}`)
  assert.equal(res.statusCode, 200, res.body)
  let seen: { body: SearchAnalytics, receivedAt: number } | undefined
  while (seen === undefined && Date.now() - searchedAt < 10_000) {
    const r = await read()
    // Every answer is fresh, whenever it is read.
    assert.ok(r.receivedAt - Date.parse(r.body.computed_at) <= SEARCH_SUMMARY_MAX_AGE_MS + SLACK_MS)
    if (r.body.zero_result_queries.some((q) => q.query === query)) seen = r
    else await sleep(50)
  }
  assert.ok(seen, 'the zero-result search shows in the analytics')
  const lag = seen.receivedAt - searchedAt
  assert.ok(lag <= SEARCH_FLUSH_MS + SEARCH_SUMMARY_MAX_AGE_MS + SLACK_MS, `shown ${lag} ms after the search`)
  assert.ok(seen.body.total_searches >= 1)
  assert.ok(seen.body.top_queries.some((q) => q.query === query))
})
