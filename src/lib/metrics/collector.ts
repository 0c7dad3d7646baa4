import type { MetricName, MetricsReader } from './reader.js'
import { CounterRing, HISTORY_SECONDS, LatencyWindow, WindowSet, round3 } from './rolling-window.js'

/**
 * The in-process measurements behind `app.metrics`: HTTP requests (overall
 * and per route template), named database queries, cache reads, rate-limit
 * decisions, pool acquisitions and once-a-second process samples, each kept
 * per second for 15 minutes. Implements the MetricsReader contract that
 * alerts and profiling read. Time comes from `now` so tests control it.
 */

/** Label of requests that matched no route (404s for unknown paths). */
export const UNMATCHED_ROUTE = 'UNMATCHED'
const MAX_ROUTES = 200
const MAX_QUERIES = 200
const MAX_CACHE_TYPES = 50

// Cache counter fields.
export const C_HITS = 0
export const C_L1_HITS = 1
export const C_L2_HITS = 2
export const C_MISSES = 3
const CACHE_FIELDS = 4

// Rate-limit decision fields.
export const D_ALLOWED = 0
export const D_LIMITED = 1
export const D_SHED = 2

// Per-second process samples (one per tick).
export const G_SAMPLES = 0
export const G_EL_P50 = 1
export const G_EL_P99 = 2
export const G_EL_MAX = 3
export const G_ELU = 4
export const G_CPU = 5
export const G_POOL_IN_USE = 6
export const G_POOL_WAITING = 7
export const G_GC_COUNT = 8
export const G_GC_PAUSE_MS = 9
const GAUGE_FIELDS = 10

/** What the process sampler measured over one second. */
export interface ProcessSample {
  eventLoopP50Ms: number
  eventLoopP99Ms: number
  eventLoopMaxMs: number
  elu: number
  cpuRatio: number
  /** Highest pool in-use / waiting counts seen during the second. */
  poolInUse: number
  poolWaiting: number
}

export interface SeriesPointData {
  t: number
  requests: number
  /** 5xx responses. */
  errors: number
  errorRate: number | null
  p50: number | null
  p95: number | null
  p99: number | null
  cacheHits: number
  cacheLookups: number
  cacheHitRate: number | null
  eventLoopP99: number | null
  poolInUse: number | null
  poolWaiting: number | null
}

interface Probe { up: boolean, atS: number }

export interface MetricsCollectorOptions {
  /** Epoch milliseconds. @default Date.now */
  now?: () => number
  /** Pool size, for `db_pool_utilization`. */
  poolSize: number
}

export class MetricsCollector implements MetricsReader {
  readonly http = new LatencyWindow()
  readonly routes = new WindowSet(MAX_ROUTES, 'OTHER')
  readonly queries = new WindowSet(MAX_QUERIES, 'other', { perSecondHistograms: false })
  readonly acquire = new LatencyWindow()
  readonly cache = new CounterRing(CACHE_FIELDS)
  readonly cacheByType = new Map<string, CounterRing>()
  readonly decisions = new CounterRing(3)
  readonly samples = new CounterRing(GAUGE_FIELDS)
  readonly probes: { db?: Probe, redis?: Probe } = {}
  readonly external = new Map<MetricName, number>()
  loadLevel: string | null = null
  inFlight = 0
  readonly now: () => number
  readonly poolSize: number
  private readonly points: (SeriesPointData | undefined)[] = new Array(HISTORY_SECONDS).fill(undefined)
  private lastClosedS = -1

  constructor (opts: MetricsCollectorOptions) {
    this.now = opts.now ?? Date.now
    this.poolSize = opts.poolSize
  }

  nowS (): number {
    return Math.floor(this.now() / 1000)
  }

  recordHttp (routeKey: string, ms: number, status: number, dbMs: number, cacheMs: number): void {
    const s = this.nowS()
    this.http.record(ms, status, s, dbMs, cacheMs)
    this.routes.get(routeKey).record(ms, status, s, dbMs, cacheMs)
  }

  recordQuery (name: string, ms: number, ok: boolean): void {
    this.queries.get(name).record(ms, ok ? 200 : 500, this.nowS())
  }

  recordCache (type: string, layer: 'l1' | 'l2' | 'miss', hit: boolean): void {
    const s = this.nowS()
    let byType = this.cacheByType.get(type)
    if (!byType && this.cacheByType.size < MAX_CACHE_TYPES) {
      byType = new CounterRing(CACHE_FIELDS)
      this.cacheByType.set(type, byType)
    }
    for (const ring of byType ? [this.cache, byType] : [this.cache]) {
      if (!hit) ring.add(C_MISSES, 1, s)
      else {
        ring.add(C_HITS, 1, s)
        ring.add(layer === 'l2' ? C_L2_HITS : C_L1_HITS, 1, s)
      }
    }
  }

  recordDecision (decision: 'allowed' | 'limited' | 'shed'): void {
    this.decisions.add(decision === 'allowed' ? D_ALLOWED : decision === 'limited' ? D_LIMITED : D_SHED, 1, this.nowS())
  }

  recordAcquire (ms: number, ok: boolean): void {
    this.acquire.record(ms, ok ? 200 : 500, this.nowS())
  }

  recordGc (pauseMs: number): void {
    const s = this.nowS()
    this.samples.add(G_GC_COUNT, 1, s)
    this.samples.add(G_GC_PAUSE_MS, pauseMs, s)
  }

  /** Stores the process sample of `second` (the second that just ended). */
  recordSample (second: number, p: ProcessSample): void {
    const g = this.samples
    g.add(G_SAMPLES, 1, second)
    g.add(G_EL_P50, p.eventLoopP50Ms, second)
    g.add(G_EL_P99, p.eventLoopP99Ms, second)
    g.max(G_EL_MAX, p.eventLoopMaxMs, second)
    g.add(G_ELU, p.elu, second)
    g.add(G_CPU, p.cpuRatio, second)
    g.max(G_POOL_IN_USE, p.poolInUse, second)
    g.max(G_POOL_WAITING, p.poolWaiting, second)
  }

  setProbe (dependency: 'db' | 'redis', up: boolean): void {
    this.probes[dependency] = { up, atS: this.nowS() }
  }

  /** Values measured elsewhere (business metrics' low-stock count). */
  setExternal (metric: MetricName, value: number): void {
    this.external.set(metric, value)
  }

  /**
   * Closes every second up to the one before now: computes its chart point
   * (percentiles need the per-second histogram, kept 60 s) and frees
   * expired histograms. Called once a second by the plugin's timer.
   */
  tick (): void {
    const last = this.nowS() - 1
    const from = Math.max(this.lastClosedS + 1, last - 59)
    for (let s = from; s <= last; s++) this.points[s % HISTORY_SECONDS] = this.pointOf(s)
    this.lastClosedS = last
    const now = this.nowS()
    this.http.sweep(now)
    this.acquire.sweep(now)
    this.routes.sweep(now)
    this.queries.sweep(now)
  }

  private pointOf (s: number): SeriesPointData {
    const h = this.http.second(s)
    const hits = this.cache.get(C_HITS, s) ?? 0
    const lookups = hits + (this.cache.get(C_MISSES, s) ?? 0)
    return {
      t: s,
      requests: h.count,
      errors: h.errors,
      errorRate: h.count > 0 ? h.errors / h.count : null,
      p50: h.p50,
      p95: h.p95,
      p99: h.p99,
      cacheHits: hits,
      cacheLookups: lookups,
      cacheHitRate: lookups > 0 ? hits / lookups : null,
      eventLoopP99: this.samples.get(G_EL_P99, s) ?? null,
      poolInUse: this.samples.get(G_POOL_IN_USE, s) ?? null,
      poolWaiting: this.samples.get(G_POOL_WAITING, s) ?? null
    }
  }

  /** Closed per-second points in [fromS, toS], oldest first. */
  series (fromS: number, toS: number): SeriesPointData[] {
    const out: SeriesPointData[] = []
    for (let s = Math.max(fromS, toS - HISTORY_SECONDS + 1); s <= toS; s++) {
      const p = this.points[s % HISTORY_SECONDS]
      if (p && p.t === s) out.push(p)
    }
    return out
  }

  /** Mean of a per-second sample over the window, or undefined without samples. */
  sampleMean (field: number, windowS: number, nowS = this.nowS()): number | undefined {
    // Samples land on the second before the tick: look one second further back.
    const n = this.samples.sum(G_SAMPLES, windowS, nowS - 1)
    return n === 0 ? undefined : this.samples.sum(field, windowS, nowS - 1) / n
  }

  cacheTotals (ring: CounterRing, windowS: number, nowS = this.nowS()) {
    const hits = ring.sum(C_HITS, windowS, nowS)
    const misses = ring.sum(C_MISSES, windowS, nowS)
    return { hits, misses, l1Hits: ring.sum(C_L1_HITS, windowS, nowS), l2Hits: ring.sum(C_L2_HITS, windowS, nowS), hitRate: hits + misses > 0 ? hits / (hits + misses) : null }
  }

  // MetricsReader (the contract of alerts and profiling).

  value (metric: MetricName, windowS: number): number | undefined {
    const nowS = this.nowS()
    switch (metric) {
      case 'http_p50_ms': return this.http.summary(windowS, nowS).p50 ?? undefined
      case 'http_p95_ms': return this.http.summary(windowS, nowS).p95 ?? undefined
      case 'http_p99_ms': return this.http.summary(windowS, nowS).p99 ?? undefined
      case 'http_rps': return round3(this.http.counts(windowS, nowS).count / windowS)
      case 'http_error_rate':
      case 'http_rate_limited_ratio': {
        const c = this.http.counts(windowS, nowS)
        if (c.count === 0) return undefined
        return (metric === 'http_error_rate' ? c.errors : c.limited) / c.count
      }
      case 'cache_hit_rate': return this.cacheTotals(this.cache, windowS, nowS).hitRate ?? undefined
      case 'event_loop_delay_p99_ms': return this.sampleMean(G_EL_P99, windowS, nowS)
      case 'event_loop_utilization': return this.sampleMean(G_ELU, windowS, nowS)
      case 'db_pool_utilization': {
        const inUse = this.sampleMean(G_POOL_IN_USE, windowS, nowS)
        return inUse === undefined ? undefined : inUse / this.poolSize
      }
      case 'db_pool_waiting': return this.sampleMean(G_POOL_WAITING, windowS, nowS)
      case 'db_up':
      case 'redis_up': {
        const probe = this.probes[metric === 'db_up' ? 'db' : 'redis']
        return probe ? (probe.up ? 1 : 0) : undefined
      }
      default: return this.external.get(metric)
    }
  }

  routeP95 (routeKey: string, windowS: number): number | undefined {
    return this.routes.find(routeKey)?.summary(windowS, this.nowS()).p95 ?? undefined
  }

  routeCount (routeKey: string, windowS: number): number {
    return this.routes.find(routeKey)?.counts(windowS, this.nowS()).count ?? 0
  }
}
