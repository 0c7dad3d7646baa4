import { build, type Histogram } from 'hdr-histogram-js'

/**
 * The latency histograms of the rolling windows: one layout for all, so any
 * two can be added or subtracted, and a pool so expired ones are reused.
 */

// Latencies are recorded in microseconds, 2 significant digits (≤ 1% error), clamped at 2 minutes.
const HIGHEST_US = 120_000_000
const HISTOGRAM_POOL_MAX = 512

/** A histogram with the layout every window uses, so any two can be added. Pure JS (no WASM to load at start). */
export function newLatencyHistogram (): Histogram {
  return build({
    bitBucketSize: 32,
    autoResize: false,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: 2,
    useWebAssembly: false
  })
}

// Histograms of expired slots are reused instead of reallocated (~11 KB each).
const pool: Histogram[] = []
/** A reset histogram from the pool (or a new one). */
export function acquireHistogram (): Histogram {
  return pool.pop() ?? newLatencyHistogram()
}
/** Returns a histogram obtained from `mergedHistogram` (or a window) for reuse. */
export function releaseHistogram (h: Histogram): void {
  if (pool.length < HISTOGRAM_POOL_MAX) {
    h.reset()
    pool.push(h)
  }
}

export function msToMicros (ms: number): number {
  return Math.min(HIGHEST_US, Math.max(1, Math.round(ms * 1000)))
}

/**
 * A percentile of a histogram in milliseconds, or null when it is empty.
 * HDR reports the top of the value's bucket (≤ 1% above); capping at the
 * recorded maximum keeps p99 from reading above max.
 */
export function percentileMs (h: Histogram, p: number): number | null {
  return h.totalCount === 0 ? null : round3(Math.min(h.getValueAtPercentile(p), h.maxValue) / 1000)
}

export function maxMs (h: Histogram): number | null {
  return h.totalCount === 0 ? null : round3(h.maxValue / 1000)
}

export function round3 (n: number): number {
  return Math.round(n * 1000) / 1000
}
