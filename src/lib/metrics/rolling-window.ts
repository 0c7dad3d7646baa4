import type { Histogram } from 'hdr-histogram-js'
import { CounterRing, HISTORY_SECONDS } from './counter-ring.js'
import { acquireHistogram, maxMs, msToMicros, percentileMs, releaseHistogram } from './latency-histogram.js'

export { CounterRing, HISTORY_SECONDS }
export { maxMs, msToMicros, newLatencyHistogram, percentileMs, releaseHistogram, round3 } from './latency-histogram.js'

/**
 * In-process rolling windows for the live dashboard, alerts and profiling:
 * per-second counters over the last 15 minutes, and HDR latency histograms
 * in two tiers so memory stays bounded — one per second for the last minute
 * (windows up to 60 s are exact to the second) and one per minute for the
 * last 15 minutes (longer windows use the minutes overlapping the window, so
 * they cover between W and W + 59 seconds). Recording is O(1): two histogram
 * increments and a few counter additions. Time is passed in as epoch seconds
 * so tests drive it with a fake clock.
 */

/** Seconds covered by per-second histograms. */
export const FINE_SECONDS = 60
const MINUTE_SLOTS = 16
/** A ring of histograms, one per period of `periodS` seconds, allocated only for periods with data. */
class HistogramRing {
  private readonly hists: (Histogram | undefined)[]
  private readonly periods: Float64Array

  /** `onEvict` sees every histogram leaving the ring (reused for a new period, or freed). */
  constructor (private readonly size: number, private readonly periodS: number, private readonly onEvict?: (h: Histogram) => void) {
    this.hists = new Array(size).fill(undefined)
    this.periods = new Float64Array(size).fill(-1)
  }

  record (micros: number, nowS: number): void {
    const period = Math.floor(nowS / this.periodS)
    const idx = period % this.size
    if (this.periods[idx] !== period) {
      const old = this.hists[idx]
      if (old) {
        this.onEvict?.(old)
        old.reset()
      }
      this.periods[idx] = period
    }
    let h = this.hists[idx]
    if (!h) {
      h = acquireHistogram()
      this.hists[idx] = h
    }
    h.recordValue(micros)
  }

  /** Adds every period overlapping [fromS, toS] into `target`. */
  mergeInto (target: Histogram, fromS: number, toS: number): void {
    const first = Math.max(Math.floor(fromS / this.periodS), Math.floor(toS / this.periodS) - this.size + 1)
    for (let p = first; p <= Math.floor(toS / this.periodS); p++) {
      const idx = p % this.size
      const h = this.hists[idx]
      if (h && this.periods[idx] === p && h.totalCount > 0) target.add(h)
    }
  }

  /** The histogram of exactly one period, if any. */
  at (second: number): Histogram | undefined {
    const period = Math.floor(second / this.periodS)
    const idx = period % this.size
    return this.periods[idx] === period ? this.hists[idx] : undefined
  }

  /** Frees histograms of periods that fell out of the ring. */
  sweep (nowS: number): void {
    const oldest = Math.floor(nowS / this.periodS) - this.size + 1
    for (let i = 0; i < this.size; i++) {
      const h = this.hists[i]
      if (h && this.periods[i] < oldest) {
        this.onEvict?.(h)
        releaseHistogram(h)
        this.hists[i] = undefined
      }
    }
  }
}

// Counter fields of a LatencyWindow.
const F_COUNT = 0
const F_ERRORS = 1
const F_LIMITED = 2
const F_2XX = 3
const F_3XX = 4
const F_4XX = 5
const F_5XX = 6
const F_SUM_MS = 7
const F_DB_MS = 8
const F_CACHE_MS = 9
const FIELDS = 10

export interface WindowCounts {
  count: number
  /** 5xx (or failed, for queries). */
  errors: number
  /** 429. */
  limited: number
  status: { '2xx': number, '3xx': number, '4xx': number, '5xx': number }
  sumMs: number
  dbMs: number
  cacheMs: number
}

export interface WindowSummary extends WindowCounts {
  p50: number | null
  p95: number | null
  p99: number | null
  max: number | null
}

export interface LatencyWindowOptions {
  /** Keep per-second histograms (exact percentiles for windows ≤ 60 s). @default true */
  perSecondHistograms?: boolean
}

/**
 * Latency and outcome counts of one series (all requests, one route, or one
 * named query). `status` is an HTTP status, or 200/500 for ok/failed queries.
 */
export class LatencyWindow {
  private readonly counters = new CounterRing(FIELDS)
  private readonly seconds?: HistogramRing
  private readonly minutes = new HistogramRing(MINUTE_SLOTS, 60)
  /**
   * The sum of every per-second histogram in the ring, kept up to date
   * (recorded into, and each second subtracted when it leaves), so the
   * 60-second window — read every second for the dashboard and by alerts —
   * costs one percentile lookup instead of merging 60 histograms.
   */
  private lastMinute?: Histogram
  /** Epoch second of the latest record. */
  lastRecordS = -1

  constructor (opts: LatencyWindowOptions = {}) {
    if (opts.perSecondHistograms !== false) {
      this.seconds = new HistogramRing(FINE_SECONDS, 1, (h) => { if (h.totalCount > 0) this.lastMinute?.subtract(h) })
    }
  }

  record (ms: number, status: number, nowS: number, dbMs = 0, cacheMs = 0): void {
    // Hot path (every request, twice): one slot lookup, then plain array additions.
    const v = this.counters.values
    const b = this.counters.slot(nowS)
    v[b + F_COUNT]++
    v[b + F_SUM_MS] += ms
    v[b + F_DB_MS] += dbMs
    v[b + F_CACHE_MS] += cacheMs
    if (status >= 500) {
      v[b + F_ERRORS]++
      v[b + F_5XX]++
    } else if (status >= 400) {
      v[b + F_4XX]++
      if (status === 429) v[b + F_LIMITED]++
    } else {
      v[b + (status >= 300 ? F_3XX : F_2XX)]++
    }
    const micros = msToMicros(ms)
    if (this.seconds) {
      this.seconds.record(micros, nowS)
      ;(this.lastMinute ??= acquireHistogram()).recordValue(micros)
    }
    this.minutes.record(micros, nowS)
    this.lastRecordS = nowS
  }

  counts (windowS: number, nowS: number): WindowCounts {
    const s = (f: number) => this.counters.sum(f, windowS, nowS)
    return {
      count: s(F_COUNT),
      errors: s(F_ERRORS),
      limited: s(F_LIMITED),
      status: { '2xx': s(F_2XX), '3xx': s(F_3XX), '4xx': s(F_4XX), '5xx': s(F_5XX) },
      sumMs: s(F_SUM_MS),
      dbMs: s(F_DB_MS),
      cacheMs: s(F_CACHE_MS)
    }
  }

  /** Adds the latencies of the window into `target` (per second up to 60 s, else the overlapping minutes). */
  mergeInto (target: Histogram, windowS: number, nowS: number): void {
    const lastMinute = this.lastMinuteAt(windowS, nowS)
    if (lastMinute) {
      if (lastMinute.totalCount > 0) target.add(lastMinute)
      return
    }
    const fromS = nowS - windowS + 1
    if (this.seconds && windowS <= FINE_SECONDS) this.seconds.mergeInto(target, fromS, nowS)
    else this.minutes.mergeInto(target, fromS, nowS)
  }

  /** The running 60-second histogram when it answers this window exactly (not for a past `nowS`). */
  private lastMinuteAt (windowS: number, nowS: number): Histogram | undefined {
    if (!this.seconds || !this.lastMinute || windowS !== FINE_SECONDS || nowS < this.lastRecordS) return undefined
    this.seconds.sweep(nowS)
    return this.lastMinute
  }

  summary (windowS: number, nowS: number): WindowSummary {
    const counts = this.counts(windowS, nowS)
    if (counts.count === 0) return { ...counts, p50: null, p95: null, p99: null, max: null }
    const lastMinute = this.lastMinuteAt(windowS, nowS)
    if (lastMinute) return { ...counts, p50: percentileMs(lastMinute, 50), p95: percentileMs(lastMinute, 95), p99: percentileMs(lastMinute, 99), max: maxMs(lastMinute) }
    const h = acquireHistogram()
    try {
      this.mergeInto(h, windowS, nowS)
      return { ...counts, p50: percentileMs(h, 50), p95: percentileMs(h, 95), p99: percentileMs(h, 99), max: maxMs(h) }
    } finally {
      releaseHistogram(h)
    }
  }

  /** Counts and percentiles of exactly one (recent) second: one chart point. */
  second (second: number): WindowSummary {
    const counts = this.counts(1, second)
    const h = this.seconds?.at(second)
    if (!h || counts.count === 0) return { ...counts, p50: null, p95: null, p99: null, max: null }
    return { ...counts, p50: percentileMs(h, 50), p95: percentileMs(h, 95), p99: percentileMs(h, 99), max: maxMs(h) }
  }

  /** Counts and percentiles of the minute starting at `minuteStartS` (rollups). */
  minute (minuteStartS: number): WindowSummary {
    const counts = this.counts(60, minuteStartS + 59)
    const h = this.minutes.at(minuteStartS)
    if (!h || counts.count === 0) return { ...counts, p50: null, p95: null, p99: null, max: null }
    return { ...counts, p50: percentileMs(h, 50), p95: percentileMs(h, 95), p99: percentileMs(h, 99), max: maxMs(h) }
  }

  /** Releases histograms that left the window; call about once a second. */
  sweep (nowS: number): void {
    this.seconds?.sweep(nowS)
    this.minutes.sweep(nowS)
  }
}

/** A merged histogram of many windows; release it with `releaseHistogram` when done. */
export function mergedHistogram (windows: Iterable<LatencyWindow>, windowS: number, nowS: number): Histogram {
  const h = acquireHistogram()
  for (const w of windows) w.mergeInto(h, windowS, nowS)
  return h
}

/**
 * Windows keyed by a bounded label (route template, query name). Keys beyond
 * `maxKeys` share the `overflowKey` window, so a bug that produces unbounded
 * labels costs accuracy, not memory. Keys idle for 15 minutes are dropped.
 */
export class WindowSet {
  private readonly map = new Map<string, LatencyWindow>()

  constructor (private readonly maxKeys: number, private readonly overflowKey: string, private readonly opts: LatencyWindowOptions = {}) {}

  get (key: string): LatencyWindow {
    let w = this.map.get(key)
    if (w) return w
    if (this.map.size >= this.maxKeys && key !== this.overflowKey) return this.get(this.overflowKey)
    w = new LatencyWindow(this.opts)
    this.map.set(key, w)
    return w
  }

  find (key: string): LatencyWindow | undefined {
    return this.map.get(key)
  }

  entries (): IterableIterator<[string, LatencyWindow]> {
    return this.map.entries()
  }

  get size (): number {
    return this.map.size
  }

  sweep (nowS: number): void {
    for (const [key, w] of this.map) {
      if (nowS - w.lastRecordS >= HISTORY_SECONDS) this.map.delete(key)
      else w.sweep(nowS)
    }
  }
}
