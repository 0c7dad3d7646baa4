import { test } from 'node:test'
import assert from 'node:assert/strict'
import { rateLimitHeaders, toHeaderSeconds, type LimitOutcome } from '../../../../src/lib/rate-limit/headers.js'

const NOW_MS = 1_700_000_000_250

test('seconds for a header: whole, rounded up, at least 1 while anything is pending, 0 when nothing is', () => {
  assert.equal(toHeaderSeconds(-5), 0)
  assert.equal(toHeaderSeconds(0), 0)
  assert.equal(toHeaderSeconds(1), 1)
  assert.equal(toHeaderSeconds(999), 1)
  assert.equal(toHeaderSeconds(1000), 1)
  assert.equal(toHeaderSeconds(1001), 2)
  assert.equal(toHeaderSeconds(59_999), 60)
})

test('an allowed request: both dialects agree, no Retry-After, none of the draft\'s superseded fields', () => {
  const outcome: LimitOutcome = { allowed: true, limit: 100, remaining: 42, windowS: 60, resetMs: 30_500 }
  assert.deepEqual(rateLimitHeaders(outcome, 'low', NOW_MS), {
    'ratelimit-policy': '"default";q=100;w=60',
    ratelimit: '"default";r=42;t=31',
    'x-ratelimit-limit': '100',
    'x-ratelimit-remaining': '42',
    // now + 31 s = 1_700_000_031.25 s, rounded up to the epoch second
    'x-ratelimit-reset': '1700000032',
    'x-system-load': 'low'
  })
  for (const superseded of ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']) assert.equal(superseded in rateLimitHeaders(outcome, 'low', NOW_MS), false, superseded)
})

test('a limited request: remaining 0 whatever the store said, Retry-After equal to the reset', () => {
  const outcome: LimitOutcome = { allowed: false, limit: 70, remaining: 3, windowS: 60, resetMs: 1_200 }
  const h = rateLimitHeaders(outcome, 'medium', NOW_MS)
  assert.equal(h['retry-after'], '2')
  assert.equal(h.ratelimit, '"default";r=0;t=2')
  assert.equal(h['x-ratelimit-remaining'], '0')
  assert.equal(h['x-ratelimit-limit'], '70', 'the limit enforced after load scaling')
  assert.equal(h['ratelimit-policy'], '"default";q=70;w=60')
  assert.equal(h['x-ratelimit-reset'], '1700000003')
  assert.equal(h['x-system-load'], 'medium')
})

test('reset 0: an allowed request says 0, a limited one still asks to wait a second', () => {
  const allowed = rateLimitHeaders({ allowed: true, limit: 10, remaining: 10, windowS: 1, resetMs: 0 }, 'low', NOW_MS)
  assert.equal(allowed.ratelimit, '"default";r=10;t=0')
  assert.equal(allowed['x-ratelimit-reset'], '1700000001', 'now (…000.25 s) rounded up')
  assert.equal('retry-after' in allowed, false)
  const limited = rateLimitHeaders({ allowed: false, limit: 10, remaining: 0, windowS: 1, resetMs: 0 }, 'critical', NOW_MS)
  assert.equal(limited['retry-after'], '1')
  assert.equal(limited.ratelimit, '"default";r=0;t=1')
})
