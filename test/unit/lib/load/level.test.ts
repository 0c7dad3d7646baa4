import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  attributedReadings, CPU_THRESHOLDS, LatencyWindow, LEVEL_CALM_SAMPLES, LEVEL_RAISE_AFTER, LevelHysteresis, levelRank,
  MEMORY_THRESHOLDS, parseThresholds, RankHysteresis, type LevelPolicy, type LoadReadings
} from '../../../../src/lib/load/level.js'

const POLICY: LevelPolicy = { cpu: CPU_THRESHOLDS, memory: MEMORY_THRESHOLDS, eventLoopDelayMs: [100, 250, 500], eventLoopUtilization: [0.7, 0.85, 0.95] }
const IDLE: LoadReadings = { eventLoopDelayP99Ms: 10, elu: 0.1, cpu: 0.1, heapRatio: 0.2, rssRatio: 0.2 }
const rank = (over: Partial<LoadReadings>, criticalSlow = false) => levelRank({ ...IDLE, ...over }, POLICY, criticalSlow)

test('levelRank: the highest level any reading reaches, thresholds inclusive', () => {
  assert.equal(rank({}), 0)
  assert.equal(rank({ cpu: 0.6 }), 1)
  assert.equal(rank({ cpu: 0.5999 }), 0)
  assert.equal(rank({ cpu: 0.95 }), 3)
  assert.equal(rank({ heapRatio: 0.86 }), 2)
  assert.equal(rank({ rssRatio: 0.95 }), 3, 'memory is the larger of heap and RSS')
  assert.equal(rank({ eventLoopDelayP99Ms: 250 }), 2)
  assert.equal(rank({ cpu: 0.65, eventLoopDelayP99Ms: 600 }), 3)
})

test('levelRank: utilisation counts one level above the delay\'s until the critical routes are slow', () => {
  assert.equal(rank({ elu: 0.99 }), 1)
  assert.equal(rank({ elu: 0.99, eventLoopDelayP99Ms: 100 }), 2)
  assert.equal(rank({ elu: 0.99 }, true), 3)
})

test('attributedReadings leaves the unattributed share of delay, utilisation and CPU, memory whole', () => {
  const r: LoadReadings = { eventLoopDelayP99Ms: 400, elu: 0.9, cpu: 0.8, heapRatio: 0.5, rssRatio: 0.6 }
  assert.equal(attributedReadings(r, 0), r)
  const scaled = attributedReadings(r, 0.75)
  assert.deepEqual(scaled, { eventLoopDelayP99Ms: 100, elu: 0.225, cpu: 0.2, heapRatio: 0.5, rssRatio: 0.6 })
  assert.deepEqual(attributedReadings(r, 1.5), { ...r, eventLoopDelayP99Ms: 0, elu: 0, cpu: 0 })
})

test('parseThresholds: three increasing non-negative numbers, else an error naming the setting', () => {
  assert.deepEqual(parseThresholds('100, 250,500', 'X'), [100, 250, 500])
  for (const bad of ['100,250', '100,250,500,900', '300,200,100', '100,100,200', '-1,2,3', 'a,b,c', '1,2,Infinity']) {
    assert.throws(() => parseThresholds(bad, 'LOAD_EVENT_LOOP_DELAY_MS'),
      { message: `LOAD_EVENT_LOOP_DELAY_MS: '${bad}' must be three increasing non-negative numbers (medium,high,critical)` }, bad)
  }
})

test('RankHysteresis: up after raiseAfter samples, down after lowerAfter, to the mildest the run agreed on', () => {
  const h = new RankHysteresis(2, 3)
  assert.equal(h.update(3), 0)
  assert.equal(h.update(2), 2, 'the run asked for 3 then 2: it moves to 2')
  assert.equal(h.update(0), 2)
  assert.equal(h.update(2), 2, 'a sample at the level ends the run')
  assert.equal(h.update(0), 2)
  assert.equal(h.update(1), 2)
  assert.equal(h.update(0), 1, 'down to the highest the calm run asked for')
  h.force(3)
  assert.equal(h.current, 3)
})

test('LevelHysteresis: rises after LEVEL_RAISE_AFTER samples, falls one level at a time after the calm samples of the level it leaves', () => {
  const h = new LevelHysteresis(LEVEL_RAISE_AFTER, LEVEL_CALM_SAMPLES)
  assert.deepEqual([3, 3, 3].map((t) => h.update(t)), [0, 0, 3], 'it may skip levels on the way up')
  const steps: number[] = []
  for (let i = 0; i < 60; i++) steps.push(h.update(0))
  assert.equal(steps.indexOf(2), 29, 'critical → high after 30 calm samples')
  assert.equal(steps.indexOf(1), 49, 'high → medium after 20 more')
  assert.equal(steps.indexOf(0), 59, 'medium → low after 10 more')
  h.force(2)
  for (let i = 0; i < 19; i++) h.update(0)
  assert.equal(h.update(2), 2, 'a sample at the level resets the calm count')
  for (let i = 0; i < 19; i++) assert.equal(h.update(1), 2)
  assert.equal(h.update(1), 1)
  assert.deepEqual([3, 2, 3].map((t) => h.update(t)), [1, 1, 2], 'up to the mildest of the run')
})

test('the critical routes\' p95 covers the window only, and needs minCount requests', () => {
  const w = new LatencyWindow(100, 10_000, 20)
  for (let i = 1; i <= 19; i++) w.record(i, 1000)
  assert.equal(w.p95(1000), undefined, 'too few to judge')
  w.record(20, 1000)
  assert.equal(w.p95(1000), 19, 'p95 of 1…20 ms')
  assert.equal(w.p95(11_000), 19, 'still inside the window')
  assert.equal(w.p95(11_001), undefined, 'every request left the window')
  for (let i = 0; i < 100; i++) w.record(500, 12_000)
  assert.equal(w.p95(12_000), 500, 'the ring keeps the latest capacity entries')
})
