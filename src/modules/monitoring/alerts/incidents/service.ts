import type { FastifyBaseLogger } from 'fastify'
import { AlertsErrors } from '../errors.js'
import type { Alert, AlertRule } from '../schemas.js'
import { BASELINE_S, isSlower, routeLatencies, type LiveRoutes, type RouteLatency, type RouteMinutesSource } from './latency.js'
import type { Incident, IncidentCapture, IncidentQuery, IncidentRoute } from './schemas.js'
import type { Profile, QueryShare } from '../../profiling/index.js'
import type { QueryBaseline, SlowQuery } from '../../slow-queries/index.js'

/** Routes listed per incident, and in the summary line. */
const MAX_ROUTES = 5
const SUMMARY_ROUTES = 3
const MAX_CAPTURES = 10
/** Captures and profiles shortly before the window still belong to it (a relative capture can lead the alert). */
const LEAD_MS = 60_000
/** Phase timings cover the last five minutes: route queries come from there only for episodes that recent. */
const PHASES_MS = 300_000
/** Alert metrics whose notifications carry the incident summary. */
export const LATENCY_METRICS: ReadonlySet<string> = new Set(['http_p50_ms', 'http_p95_ms', 'http_p99_ms'])

/** What the profiler offers an incident (app.profiler). */
export interface IncidentProfiles {
  startedBetween: (from: Date, to: Date, limit?: number) => Promise<Profile[]>
  /** A route's heaviest named queries over the last five minutes. */
  routeQueries: (route: string) => QueryShare[]
}

/** What slow-query capture offers an incident (app.slowQueries). */
export interface IncidentSlowQueries {
  recentRelative: (query: { since?: Date, limit?: number }) => Promise<SlowQuery[]>
  list: (limit: number, filter?: { reason?: 'absolute' | 'relative' }) => Promise<{ queries: SlowQuery[] }>
  degraded: () => QueryBaseline[]
}

export interface IncidentSources {
  live?: LiveRoutes
  profiles?: IncidentProfiles
  slowQueries?: IncidentSlowQueries
}

export interface IncidentsServiceOptions {
  rules: readonly AlertRule[]
  /** The alert of a rule as known now (the evaluating engine, the store, or memory). */
  alertOf: (ruleId: string) => Promise<Alert | undefined>
  rollups: RouteMinutesSource
  /** Resolved at each call: the profiler and slow-query plugins register after alerting. */
  sources: () => IncidentSources
  clock: () => number
  log: FastifyBaseLogger
}

export type IncidentsService = ReturnType<typeof createIncidentsService>

const windowS = (rule: AlertRule) => rule.type === 'burn_rate' ? rule.short_window_s : rule.window_s

/** 450 ms, 45.2 ms, 3.14 ms. */
export function fmtMs (v: number | null): string {
  if (v === null) return '–'
  return v >= 100 ? `${Math.round(v)} ms` : v >= 10 ? `${Math.round(v * 10) / 10} ms` : `${Math.round(v * 100) / 100} ms`
}

function routeLine (r: IncidentRoute): string {
  return r.baseline_p95_ms === null
    ? `${r.route} p95 ${fmtMs(r.p95_ms)} (no traffic before)`
    : `${r.route} p95 ${fmtMs(r.p95_ms)} (normally ${fmtMs(r.baseline_p95_ms)}, ${r.ratio}x)`
}

/** How much a capture explains the slower routes: one of their queries first, then relative captures (a query slower than its own normal). */
function relevance (c: IncidentCapture, names: ReadonlySet<string>): number {
  return (names.has(c.name) ? 2 : 0) + (c.reason === 'relative' ? 1 : 0)
}

/** Captures, the most relevant first, newest first among equals. */
function byRelevance (captures: IncidentCapture[], routes: IncidentRoute[]): IncidentCapture[] {
  const names = new Set(routes.flatMap((r) => r.queries.map((q) => q.name)))
  return [...captures].sort((a, b) => relevance(b, names) - relevance(a, names) || Date.parse(b.captured_at) - Date.parse(a.captured_at))
}

/**
 * The capture the summary names: one of the slower routes' queries, or a
 * query slower than its own baseline. An absolute capture of an unrelated
 * query (a slow report while the machine was saturated) explains nothing.
 */
function topCapture (captures: IncidentCapture[], routes: IncidentRoute[]): IncidentCapture | undefined {
  const names = new Set(routes.flatMap((r) => r.queries.map((q) => q.name)))
  return byRelevance(captures, routes).find((c) => relevance(c, names) > 0)
}

/** The three lines of a notification: slower routes, the top query capture, the profile's verdict. */
export function summaryLines (routes: IncidentRoute[], captures: IncidentCapture[], profile: Profile | null): string[] {
  const lines = [routes.length === 0
    ? 'Slower routes: none (no route\'s p95 rose 1.5x and 5 ms above its baseline)'
    : `Slower routes: ${routes.slice(0, SUMMARY_ROUTES).map(routeLine).join('; ')}`]
  const capture = topCapture(captures, routes)
  const topQuery = routes[0]?.queries[0]
  if (capture) lines.push(`Query: ${capture.summary}`)
  else if (topQuery) lines.push(`Query: ${topQuery.name} is ${Math.round(topQuery.db_share_pct)}% of ${routes[0].route}'s DB time (avg ${fmtMs(topQuery.avg_ms)}; no slow-query capture)`)
  else lines.push(`Query: no capture of the slower routes' queries${captures.length > 0 ? ` (${captures.length} other capture${captures.length === 1 ? '' : 's'} in the window)` : ' in the window'}`)
  if (!profile) lines.push('Profile: none taken during the episode')
  else if (profile.status !== 'ready') lines.push(`Profile #${profile.id}${profile.route ? ` of ${profile.route}` : ''}: ${profile.status}`)
  else lines.push(`Profile #${profile.id}: ${profile.time_split?.summary ?? `top function ${profile.top_functions[0]?.function_name ?? '–'} (no time split)`}`)
  return lines
}

/** The episode's profile: a finished automatic capture of a slower route first, then any finished one, then one in progress. */
function pickProfile (profiles: Profile[], slower: string[]): Profile | null {
  const rank = (p: Profile) => (p.status === 'ready' ? 4 : 0) + (p.route !== null && slower.includes(p.route) ? 2 : 0) + (p.trigger === 'auto' ? 1 : 0)
  return [...profiles].sort((a, b) => rank(b) - rank(a))[0] ?? null
}

/** A route's queries from the profile's time split, when the profile covers it. */
function profileQueries (profile: Profile | null, route: string): QueryShare[] | undefined {
  const split = profile?.time_split
  if (!split) return undefined
  if (split.route === route && split.queries.length > 0) return split.queries
  const entry = split.routes.find((r) => r.route === route)
  return entry && entry.queries.length > 0 ? entry.queries : undefined
}

function captureOf (q: SlowQuery): IncidentCapture {
  return { id: q.id, name: q.name, reason: q.reason, summary: q.summary, captured_at: q.captured_at, instance: q.instance }
}

/**
 * The incident view of an alert episode: which routes got slower (p95 over
 * the episode against each route's own baseline before it), their named
 * queries, the slow-query captures and the profile of the episode, and the
 * few lines a notification carries. Every source is optional: without the
 * profiler or slow-query capture those parts are empty, not an error.
 */
export function createIncidentsService (opts: IncidentsServiceOptions) {
  const ruleById = new Map(opts.rules.map((r) => [r.id, r]))

  async function captures (src: IncidentSlowQueries | undefined, fromMs: number, toMs: number): Promise<IncidentCapture[]> {
    if (!src) return []
    const since = new Date(fromMs - LEAD_MS)
    const [relative, absolute] = await Promise.all([src.recentRelative({ since, limit: MAX_CAPTURES }), src.list(50, { reason: 'absolute' })])
    return [...relative, ...absolute.queries]
      .filter((q) => { const at = Date.parse(q.captured_at); return at >= since.getTime() && at <= toMs + LEAD_MS })
      .sort((a, b) => Date.parse(b.captured_at) - Date.parse(a.captured_at))
      .map(captureOf)
  }

  function withQueries (r: RouteLatency, profile: Profile | null, src: IncidentSources, recent: boolean, degraded: Set<string>): IncidentRoute {
    const shares = profileQueries(profile, r.route) ?? (recent && src.profiles ? src.profiles.routeQueries(r.route) : [])
    const queries: IncidentQuery[] = shares.map((q) => ({ ...q, degraded: degraded.has(q.name) }))
    return { route: r.route, requests: r.requests, p95_ms: r.p95Ms, baseline_p95_ms: r.baselineP95Ms, ratio: r.ratio, source: r.source, queries }
  }

  /** Builds the incident of `alert`'s current (or last) episode; undefined when it has none. */
  async function build (rule: AlertRule, alert: Alert): Promise<Incident | undefined> {
    if (alert.active_since === null) return undefined
    const now = opts.clock()
    const ongoing = alert.state === 'pending' || alert.state === 'firing'
    const fromMs = Date.parse(alert.active_since) - windowS(rule) * 1000
    const toMs = ongoing || alert.resolved_at === null ? now : Date.parse(alert.resolved_at)
    const src = opts.sources()
    const fromS = Math.floor(fromMs / 1000)
    const [latencies, profiles, caps] = await Promise.all([
      routeLatencies(src.live, opts.rollups, fromS, Math.floor(toMs / 1000)),
      src.profiles?.startedBetween(new Date(fromMs - LEAD_MS), new Date(toMs), 10) ?? Promise.resolve([]),
      captures(src.slowQueries, fromMs, toMs)
    ])
    const slower = latencies.filter(isSlower).slice(0, MAX_ROUTES)
    const profile = pickProfile(profiles, slower.map((r) => r.route))
    const degraded = new Set(ongoing ? (src.slowQueries?.degraded() ?? []).map((q) => q.name) : [])
    const routes = slower.map((r) => withQueries(r, profile, src, toMs >= now - PHASES_MS, degraded))
    const ranked = byRelevance(caps, routes).slice(0, MAX_CAPTURES)
    return {
      alert,
      window: {
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        ongoing,
        baseline_from: new Date((fromS - BASELINE_S) * 1000).toISOString(),
        baseline_to: new Date(fromS * 1000).toISOString()
      },
      routes,
      slow_queries: ranked,
      profile,
      summary: summaryLines(routes, ranked, profile),
      generated_at: new Date(now).toISOString()
    }
  }

  return {
    build,

    /** The incident of rule `ruleId`'s latest episode; 404s for an unknown rule and for an alert that has had none. */
    async incident (ruleId: string): Promise<Incident> {
      const rule = ruleById.get(ruleId)
      if (!rule) throw new AlertsErrors.RULE_NOT_FOUND(ruleId)
      const alert = await opts.alertOf(ruleId)
      const incident = alert && await build(rule, alert)
      if (!incident) throw new AlertsErrors.NO_INCIDENT(ruleId)
      return incident
    },

    /**
     * The summary lines of `alert`'s episode for a notification, for latency
     * alerts only; undefined otherwise or when it cannot be built (logged).
     */
    async notificationLines (alert: Alert): Promise<string[] | undefined> {
      const rule = ruleById.get(alert.id)
      if (!rule || !LATENCY_METRICS.has(rule.metric)) return undefined
      try {
        return (await build(rule, alert))?.summary
      } catch (err) {
        opts.log.warn({ err, alert: alert.id }, 'could not build the incident summary of a notification')
        return undefined
      }
    }
  }
}
