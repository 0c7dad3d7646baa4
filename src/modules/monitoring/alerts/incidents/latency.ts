/**
 * Which routes got slower during an alert episode: each route's p95 over
 * the episode against its own p95 before it, from the metrics the app
 * already keeps — this instance's live windows (per second for the last
 * minute, per minute for 15 minutes) while the episode is that recent, and
 * the minute rollups of every instance for older ones.
 */

/** Seconds before the episode that make a route's baseline. */
export const BASELINE_S = 600
/** A route is slower when its p95 is at least this multiple of its baseline... */
export const SLOWER_FACTOR = 1.5
/** ...and at least this many milliseconds above it (a 1 → 2 ms route is not an incident). */
export const SLOWER_MIN_MS = 5
/** Routes with fewer requests in the episode are left out: their p95 means little. */
export const MIN_ROUTE_REQUESTS = 5
/** A baseline needs this many requests. */
const MIN_BASELINE_REQUESTS = 10
/** Live minute histograms kept (16 slots); older periods come from the rollups. */
const LIVE_HISTORY_S = 14 * 60
const FINE_S = 60

/** The part of a route's live window this needs (LatencyWindow implements it). */
export interface LiveWindow {
  summary: (windowS: number, nowS: number) => { count: number, p95: number | null }
}

/** This instance's live per-route windows (the metrics collector). */
export interface LiveRoutes {
  nowS: () => number
  entries: () => Iterable<[string, LiveWindow]>
}

/** One route's minute of one instance, from metric_rollups. */
export interface RouteMinute { route: string, instanceId: string, minuteS: number, requests: number, p95Ms: number | null }

export interface RouteMinutesSource {
  /** Per-route rows (never the all-routes row) with a minute in [fromS, toS). */
  routeMinutes: (fromS: number, toS: number) => Promise<RouteMinute[]>
}

export interface RouteLatency {
  route: string
  /** Requests in the episode window. */
  requests: number
  p95Ms: number | null
  baselineP95Ms: number | null
  /** p95 / baseline, when both exist. */
  ratio: number | null
  /** Where the figures come from. */
  source: 'live' | 'rollups'
}

interface Figures { requests: number, p95: number | null }

const round2 = (v: number) => Math.round(v * 100) / 100

/**
 * A route over [fromS, toS]: exact per second within the last minute;
 * otherwise from the minute histograms overlapping the range (a range of a
 * minute or less that is no longer in the per-second ring is read as 61 s).
 */
function liveWindow (w: LiveWindow, fromS: number, toS: number, nowS: number): Figures {
  let windowS = Math.max(1, toS - fromS + 1)
  if (windowS <= FINE_S && fromS <= nowS - FINE_S) windowS = FINE_S + 1
  const s = w.summary(windowS, toS)
  return { requests: s.count, p95: s.p95 }
}

/**
 * A route's live baseline before `fromS`: the whole minutes before the
 * episode's first minute (minute histograms, nothing of the episode in
 * them), or, just after start, the seconds before it (exact).
 */
function liveBaseline (w: LiveWindow, fromS: number, nowS: number): Figures | undefined {
  const minutesTo = Math.floor(fromS / 60) * 60 - 1
  const minutesFrom = Math.max(minutesTo - BASELINE_S + 1, nowS - LIVE_HISTORY_S)
  // A window over 60 s is read from minute histograms; two minutes at least, so it never falls back to seconds.
  if (minutesTo - minutesFrom + 1 >= 2 * FINE_S) {
    const b = liveWindow(w, minutesFrom, minutesTo, nowS)
    if (b.requests >= MIN_BASELINE_REQUESTS) return b
  }
  const secondsFrom = Math.max(fromS - FINE_S, nowS - FINE_S + 1)
  if (fromS - 1 >= secondsFrom) {
    const b = liveWindow(w, secondsFrom, fromS - 1, nowS)
    if (b.requests >= MIN_BASELINE_REQUESTS) return b
  }
  return undefined
}

function median (values: number[]): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Per route from rollup rows: summed requests, and the worst minute's p95 (episode) or the median minute (baseline). */
function fromRollups (rows: RouteMinute[], pick: 'worst' | 'median'): Map<string, Figures> {
  const byRoute = new Map<string, { requests: number, p95s: number[] }>()
  for (const r of rows) {
    const e = byRoute.get(r.route) ?? { requests: 0, p95s: [] }
    e.requests += r.requests
    if (r.p95Ms !== null && r.requests >= MIN_ROUTE_REQUESTS) e.p95s.push(r.p95Ms)
    byRoute.set(r.route, e)
  }
  const out = new Map<string, Figures>()
  for (const [route, e] of byRoute) {
    out.set(route, { requests: e.requests, p95: pick === 'worst' ? (e.p95s.length > 0 ? Math.max(...e.p95s) : null) : median(e.p95s) })
  }
  return out
}

export function isSlower (r: Pick<RouteLatency, 'p95Ms' | 'baselineP95Ms' | 'requests'>): boolean {
  if (r.requests < MIN_ROUTE_REQUESTS || r.p95Ms === null) return false
  if (r.baselineP95Ms === null) return r.p95Ms >= SLOWER_MIN_MS
  return r.p95Ms >= r.baselineP95Ms * SLOWER_FACTOR && r.p95Ms - r.baselineP95Ms >= SLOWER_MIN_MS
}

/** Extra time the route's slowdown cost in the episode ((p95 − baseline) × requests; a route without a baseline counts all of it). */
function impact (r: RouteLatency): number {
  return ((r.p95Ms ?? 0) - (r.baselineP95Ms ?? 0)) * r.requests
}

/**
 * Every route with requests in [fromS, toS], with its p95 over that window
 * and its baseline over the BASELINE_S before `fromS`; the slower ones
 * (isSlower) first, by the extra time their slowdown cost.
 */
export async function routeLatencies (live: LiveRoutes | undefined, rollups: RouteMinutesSource, fromS: number, toS: number): Promise<RouteLatency[]> {
  const out = new Map<string, RouteLatency>()
  const nowS = live?.nowS() ?? Math.floor(Date.now() / 1000)
  const end = Math.min(toS, nowS)
  const liveCovers = live !== undefined && fromS >= nowS - LIVE_HISTORY_S
  const needRollupBaseline: string[] = []
  if (liveCovers) {
    for (const [route, w] of live.entries()) {
      const now = liveWindow(w, fromS, end, nowS)
      if (now.requests === 0) continue
      const base = liveBaseline(w, fromS, nowS)
      if (!base) needRollupBaseline.push(route)
      out.set(route, { route, requests: now.requests, p95Ms: now.p95, baselineP95Ms: base?.p95 ?? null, ratio: null, source: 'live' })
    }
  }
  if (!liveCovers || needRollupBaseline.length > 0) {
    const [episode, before] = await Promise.all([
      liveCovers ? Promise.resolve([]) : rollups.routeMinutes(Math.floor(fromS / 60) * 60, end + 1),
      rollups.routeMinutes(fromS - BASELINE_S, Math.floor(fromS / 60) * 60)
    ])
    const baselines = fromRollups(before, 'median')
    for (const [route, f] of fromRollups(episode, 'worst')) {
      out.set(route, { route, requests: f.requests, p95Ms: f.p95, baselineP95Ms: baselines.get(route)?.p95 ?? null, ratio: null, source: 'rollups' })
    }
    for (const route of needRollupBaseline) {
      const r = out.get(route)
      if (r && r.baselineP95Ms === null) r.baselineP95Ms = baselines.get(route)?.p95 ?? null
    }
  }
  const all = [...out.values()].map((r) => ({
    ...r,
    p95Ms: r.p95Ms === null ? null : round2(r.p95Ms),
    baselineP95Ms: r.baselineP95Ms === null ? null : round2(r.baselineP95Ms),
    ratio: r.p95Ms !== null && r.baselineP95Ms !== null && r.baselineP95Ms > 0 ? round2(r.p95Ms / r.baselineP95Ms) : null
  }))
  return all.sort((a, b) => Number(isSlower(b)) - Number(isSlower(a)) || impact(b) - impact(a))
}
