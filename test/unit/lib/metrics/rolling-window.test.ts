import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FINE_SECONDS, HISTORY_SECONDS, LatencyWindow, mergedHistogram, percentileMs, releaseHistogram, WindowSet } from '../../../../src/lib/metrics/rolling-window.js'

// Time is epoch seconds passed to every call: the tests are the clock.
const T0 = 1_700_000_040 // a minute boundary (divisible by 60)
assert.equal(T0 % 60, 0)

/** Within the histogram's precision: two significant digits, at most 1 % above the value. */
function near (actual: number | null, expected: number, what: string): void {
  assert.ok(actual !== null, `${what}: null`)
  assert.ok(Math.abs(actual - expected) <= expected * 0.01 + 0.001, `${what}: ${actual} is not within 1 % of ${expected}`)
}

test('counts by outcome: 5xx are errors, 429 is limited and a 4xx, sums of the timings', () => {
  const w = new LatencyWindow()
  const statuses = [200, 201, 304, 404, 429, 500, 503]
  for (const status of statuses) w.record(10, status, T0, 4, 1)
  const c = w.counts(1, T0)
  assert.equal(c.count, 7)
  assert.equal(c.errors, 2)
  assert.equal(c.limited, 1)
  assert.deepEqual(c.status, { '2xx': 2, '3xx': 1, '4xx': 2, '5xx': 2 })
  assert.equal(c.sumMs, 70)
  assert.equal(c.dbMs, 28)
  assert.equal(c.cacheMs, 7)
})

test('counts per second over a window; seconds older than the window drop out', () => {
  const w = new LatencyWindow()
  for (let s = 0; s < 10; s++) {
    for (let i = 0; i <= s; i++) w.record(1, 200, T0 + s) // s + 1 requests in second T0 + s
  }
  assert.equal(w.counts(1, T0 + 9).count, 10)
  assert.equal(w.counts(3, T0 + 9).count, 8 + 9 + 10)
  assert.equal(w.counts(60, T0 + 9).count, 55)
  assert.equal(w.counts(60, T0 + 68).count, 10, 'the window T0+9 … T0+68 keeps only the last second')
  assert.equal(w.counts(60, T0 + 69).count, 0)
  assert.equal(w.counts(HISTORY_SECONDS, T0 + HISTORY_SECONDS).count, 55 - 1, 'T0 itself left the 15-minute history')
  assert.equal(w.counts(HISTORY_SECONDS * 2, T0 + 9).count, 55, 'a window longer than the history is cut to it')
})

test('percentiles of a known distribution, within the histogram precision', () => {
  const w = new LatencyWindow()
  for (let ms = 1; ms <= 1000; ms++) w.record(ms, 200, T0 + (ms % 10))
  for (const windowS of [10, FINE_SECONDS, 300]) {
    const s = w.summary(windowS, T0 + 9)
    assert.equal(s.count, 1000, `${windowS} s`)
    near(s.p50, 500, `p50 over ${windowS} s`)
    near(s.p95, 950, `p95 over ${windowS} s`)
    near(s.p99, 990, `p99 over ${windowS} s`)
    near(s.max, 1000, `max over ${windowS} s`)
    assert.ok(s.p99! <= s.max!, 'p99 never reads above max')
  }
  assert.deepEqual([w.summary(60, T0 - 1).p50, w.summary(60, T0 - 1).count], [null, 0], 'an empty window has no percentiles')
})

test('the 60-second window forgets a second once it is older than 60 s', () => {
  const w = new LatencyWindow()
  for (let i = 0; i < 10; i++) w.record(1000, 200, T0)
  for (let i = 0; i < 10; i++) w.record(10, 200, T0 + 30)
  const both = w.summary(60, T0 + 30)
  assert.equal(both.count, 20)
  near(both.max, 1000, 'max with the slow second')
  near(both.p99, 1000, 'p99 with the slow second')
  const later = w.summary(60, T0 + 60) // T0+1 … T0+60
  assert.equal(later.count, 10)
  near(later.max, 10, 'max once the slow second left')
  near(later.p99, 10, 'p99 once the slow second left')
  // A second recorded after the slow one's slot was reused does not bring it back.
  w.record(20, 200, T0 + 61)
  const after = w.summary(60, T0 + 61)
  assert.equal(after.count, 11)
  near(after.max, 20, 'max after a new second')
})

test('windows over 60 s read the minutes overlapping the window', () => {
  const w = new LatencyWindow()
  w.record(500, 200, T0 + 5) // minute T0
  w.record(50, 200, T0 + 65) // minute T0+60
  const at = T0 + 179 // a 120 s window: T0+60 … T0+179
  const s = w.summary(120, at)
  assert.equal(s.count, 1, 'counts are exact to the second')
  near(s.max, 50, 'the minute T0 is outside the window')
  const wide = w.summary(180, at) // T0 … T0+179
  assert.equal(wide.count, 2)
  near(wide.max, 500, 'max over both minutes')
})

test('one second and one minute, as chart points and rollups', () => {
  const w = new LatencyWindow()
  w.record(100, 200, T0 + 1)
  w.record(300, 500, T0 + 1)
  w.record(7, 200, T0 + 2)
  const second = w.second(T0 + 1)
  assert.equal(second.count, 2)
  assert.equal(second.errors, 1)
  near(second.max, 300, 'max of the second')
  assert.equal(w.second(T0 + 3).p50, null)
  const minute = w.minute(T0)
  assert.equal(minute.count, 3)
  near(minute.max, 300, 'max of the minute')
  assert.equal(w.minute(T0 + 60).count, 0)
  assert.equal(w.minute(T0 + 60).p99, null)
})

test('without per-second histograms the counts stay exact and windows use minutes', () => {
  const w = new LatencyWindow({ perSecondHistograms: false })
  w.record(40, 200, T0 + 10)
  assert.equal(w.second(T0 + 10).count, 1)
  assert.equal(w.second(T0 + 10).p50, null, 'no histogram of a single second')
  near(w.summary(60, T0 + 20).p50, 40, 'p50 from the minute')
})

test('mergedHistogram adds several windows', () => {
  const a = new LatencyWindow()
  const b = new LatencyWindow()
  for (let i = 0; i < 99; i++) a.record(10, 200, T0)
  b.record(900, 200, T0)
  const h = mergedHistogram([a, b], 60, T0)
  try {
    assert.equal(h.totalCount, 100)
    near(percentileMs(h, 50), 10, 'p50 of the merge')
    near(percentileMs(h, 100), 900, 'p100 of the merge')
  } finally {
    releaseHistogram(h)
  }
})

test('a WindowSet shares one overflow window past maxKeys and drops windows idle for 15 minutes', () => {
  const set = new WindowSet(3, 'other')
  set.get('GET /a').record(1, 200, T0)
  set.get('GET /b').record(1, 200, T0)
  set.get('GET /c').record(1, 200, T0)
  const overflow = set.get('GET /d')
  assert.equal(set.get('GET /e'), overflow)
  assert.equal(set.find('GET /d'), undefined)
  assert.equal(set.find('other'), overflow)
  assert.equal(set.size, 4, 'the overflow window is the only one past maxKeys')
  overflow.record(1, 200, T0 + 10)
  set.get('GET /a').record(1, 200, T0 + 100)
  set.sweep(T0 + HISTORY_SECONDS)
  assert.deepEqual([...set.entries()].map(([k]) => k).sort(), ['GET /a', 'other'])
})
