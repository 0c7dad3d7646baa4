import * as hdr from 'hdr-histogram-js'

/**
 * Latency and outcome recording: one HDR histogram per endpoint (route
 * template) for the whole run, plus an overall per-second histogram for the
 * live line and the timeline. Values are microseconds, 3 significant digits.
 */

/**
 * - `ok`: 2xx.
 * - `expected`: a non-2xx the journey asked for (the 409 of a sold-out flash-sale item).
 * - `limited`: 429, counted apart from errors.
 * - `error`: everything else, including timeouts, socket errors and requests dropped for being too late.
 */
export type Outcome = 'ok' | 'expected' | 'limited' | 'error'

export interface EndpointCounts {
  total: number
  ok: number
  expected: number
  limited: number
  errors: number
  /** Responses per status code, plus `TIMEOUT`, `DROPPED` and socket error codes. */
  statuses: Record<string, number>
}

export interface LatencySummary {
  p50: number
  p95: number
  p99: number
  max: number
  mean: number
}

export interface SecondStats {
  /** Seconds since the measured window began. */
  t: number
  responses: number
  errors: number
  limited: number
  p95Ms: number
  p99Ms: number
}

function newHistogram (): hdr.Histogram {
  return hdr.build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3, autoResize: true })
}

function newCounts (): EndpointCounts {
  return { total: 0, ok: 0, expected: 0, limited: 0, errors: 0, statuses: {} }
}

const toMs = (us: number): number => Math.round(us / 10) / 100

export function summarize (h: hdr.Histogram): LatencySummary {
  if (h.totalCount === 0) return { p50: 0, p95: 0, p99: 0, max: 0, mean: 0 }
  return {
    p50: toMs(h.getValueAtPercentile(50)),
    p95: toMs(h.getValueAtPercentile(95)),
    p99: toMs(h.getValueAtPercentile(99)),
    max: toMs(h.maxValue),
    mean: toMs(h.mean)
  }
}

export class Recorder {
  private readonly histograms = new Map<string, hdr.Histogram>()
  private readonly counts = new Map<string, EndpointCounts>()
  private readonly overall = newHistogram()
  private second = newHistogram()
  private secondCounts = { responses: 0, errors: 0, limited: 0 }
  private readonly timeline: SecondStats[] = []

  /**
   * Records one request. `latencyMs` runs from the request's intended start
   * (open model) so queueing in the generator or the server counts. 429s are
   * counted but kept out of the latency histograms: a fast rejection must not
   * make the percentiles look better.
   */
  record (endpoint: string, latencyMs: number, status: string, outcome: Outcome): void {
    let counts = this.counts.get(endpoint)
    if (!counts) {
      counts = newCounts()
      this.counts.set(endpoint, counts)
    }
    counts.total++
    counts.statuses[status] = (counts.statuses[status] ?? 0) + 1
    if (outcome === 'ok') counts.ok++
    else if (outcome === 'expected') counts.expected++
    else if (outcome === 'limited') counts.limited++
    else counts.errors++

    this.secondCounts.responses++
    if (outcome === 'error') this.secondCounts.errors++
    if (outcome === 'limited') {
      this.secondCounts.limited++
      return
    }
    // A dropped request never reached the server: it has a count, not a latency.
    if (status === 'DROPPED') return
    const us = Math.max(1, Math.round(latencyMs * 1000))
    let h = this.histograms.get(endpoint)
    if (!h) {
      h = newHistogram()
      this.histograms.set(endpoint, h)
    }
    h.recordValue(us)
    this.overall.recordValue(us)
    this.second.recordValue(us)
  }

  /** Closes the current second (called once a second) and returns its figures. */
  tick (t: number): SecondStats {
    const s: SecondStats = {
      t,
      responses: this.secondCounts.responses,
      errors: this.secondCounts.errors,
      limited: this.secondCounts.limited,
      p95Ms: this.second.totalCount > 0 ? toMs(this.second.getValueAtPercentile(95)) : 0,
      p99Ms: this.second.totalCount > 0 ? toMs(this.second.getValueAtPercentile(99)) : 0
    }
    this.timeline.push(s)
    this.second.reset()
    this.secondCounts = { responses: 0, errors: 0, limited: 0 }
    return s
  }

  endpoints (): { endpoint: string, counts: EndpointCounts, latency: LatencySummary }[] {
    return [...this.counts.entries()]
      .map(([endpoint, counts]) => {
        const h = this.histograms.get(endpoint)
        return { endpoint, counts, latency: h ? summarize(h) : summarize(newHistogram()) }
      })
      .sort((a, b) => b.counts.total - a.counts.total)
  }

  overallLatency (): LatencySummary {
    return summarize(this.overall)
  }

  totals (): EndpointCounts {
    const out = newCounts()
    for (const c of this.counts.values()) {
      out.total += c.total
      out.ok += c.ok
      out.expected += c.expected
      out.limited += c.limited
      out.errors += c.errors
      for (const [k, v] of Object.entries(c.statuses)) out.statuses[k] = (out.statuses[k] ?? 0) + v
    }
    return out
  }

  seconds (): SecondStats[] {
    return this.timeline.slice()
  }

  /** Releases the histograms' memory (the WebAssembly build needs it; the JS one is harmless). */
  destroy (): void {
    for (const h of this.histograms.values()) h.destroy()
    this.overall.destroy()
    this.second.destroy()
  }
}
