import type { HttpClient } from '../loadtest/http.js'

/**
 * What the drill waits for after the drop, read from the admin monitoring
 * API every second: a slow-query capture of a search query with its plan,
 * an automatic profile of the search route, and the latency alert pending
 * then firing. Each stage's time is the server's own timestamp (capture,
 * profile start, alert transition) minus the moment of the drop.
 */

export type StageName = 'capture' | 'relative' | 'profile' | 'pending' | 'firing'

export interface Stage {
  name: StageName
  label: string
  /** Seconds allowed; undefined for a stage shown for information only. */
  limitS?: number
  /** Seconds from the drop, once seen. */
  seconds?: number
  detail?: string
}

export const SEARCH_ROUTE = 'GET /api/v1/products/search'
export const LATENCY_ALERT = 'high_latency_p95'
/** Named queries of the search route that read the text index (catalog.search.ts). */
export const SEARCH_QUERY = /^catalog\.(search_|count_text)/

interface SlowQueryItem { name: string, reason?: string, summary?: string, plan: unknown, captured_at: string }
interface BaselineItem { name: string, p95_ms: number | null, baseline_ms: number | null, window_samples: number, degraded: boolean }
interface ProfileItem { route: string | null, trigger: string, status: string, started_at: string, p95_ms: number | null, top_functions?: { function_name: string, self_pct: number }[] }
interface AlertItem { id: string, state: string, summary: string, active_since: string | null, firing_since: string | null }

export function newStages (limits: Record<'capture' | 'profile' | 'pending' | 'firing', number>): Stage[] {
  return [
    { name: 'capture', label: 'slow-query capture with plan (search query)', limitS: limits.capture },
    { name: 'relative', label: 'relative capture (search query slow against its baseline)' },
    { name: 'profile', label: `profile of ${SEARCH_ROUTE}`, limitS: limits.profile },
    { name: 'pending', label: `${LATENCY_ALERT} pending`, limitS: limits.pending },
    { name: 'firing', label: `${LATENCY_ALERT} firing`, limitS: limits.firing }
  ]
}

async function getJson<T> (http: HttpClient, token: string, path: string): Promise<T | undefined> {
  const res = await http.request({ method: 'GET', path, token, read: 'json' })
  return res.status === 200 ? res.body as T : undefined
}

/** The search queries' live baselines (slow-query API), for the line printed before the drop. */
export async function searchBaselines (http: HttpClient, token: string): Promise<BaselineItem[]> {
  const body = await getJson<{ baselines?: BaselineItem[] }>(http, token, '/api/v1/monitoring/slow-queries?limit=1')
  return (body?.baselines ?? []).filter((b) => SEARCH_QUERY.test(b.name))
}

/** The latency alert's state now (to say whether it was already active before the drop). */
export async function latencyAlert (http: HttpClient, token: string): Promise<AlertItem | undefined> {
  const body = await getJson<{ alerts: AlertItem[] }>(http, token, '/api/v1/monitoring/alerts?history_limit=1')
  return body?.alerts.find((a) => a.id === LATENCY_ALERT)
}

const secondsSince = (iso: string | null, fromMs: number): number | undefined => iso === null ? undefined : (Date.parse(iso) - fromMs) / 1000

/**
 * One look at the API: marks the stages that happened since `droppedAtMs`;
 * returns those newly seen. Events from before the drop do not count.
 */
export async function pollStages (http: HttpClient, token: string, droppedAtMs: number, stages: Stage[]): Promise<Stage[]> {
  const found: Stage[] = []
  const mark = (name: StageName, seconds: number | undefined, detail: string) => {
    const stage = stages.find((s) => s.name === name)!
    if (stage.seconds !== undefined || seconds === undefined || seconds < 0) return
    stage.seconds = seconds
    stage.detail = detail
    found.push(stage)
  }
  const [slow, profiles, alert] = await Promise.all([
    getJson<{ queries: SlowQueryItem[] }>(http, token, '/api/v1/monitoring/slow-queries?limit=50'),
    getJson<{ profiles: ProfileItem[] }>(http, token, '/api/v1/monitoring/profiles?limit=20'),
    latencyAlert(http, token)
  ])
  const capture = (slow?.queries ?? [])
    .filter((q) => SEARCH_QUERY.test(q.name) && q.plan !== null && Date.parse(q.captured_at) >= droppedAtMs)
    .sort((a, b) => Date.parse(a.captured_at) - Date.parse(b.captured_at))[0]
  if (capture) mark('capture', secondsSince(capture.captured_at, droppedAtMs), `(${capture.reason ?? 'absolute'}) ${capture.summary ?? capture.name}`)
  const relative = (slow?.queries ?? [])
    .filter((q) => q.reason === 'relative' && SEARCH_QUERY.test(q.name) && q.plan !== null && Date.parse(q.captured_at) >= droppedAtMs)
    .sort((a, b) => Date.parse(a.captured_at) - Date.parse(b.captured_at))[0]
  if (relative) mark('relative', secondsSince(relative.captured_at, droppedAtMs), relative.summary ?? relative.name)
  const profile = (profiles?.profiles ?? [])
    .filter((p) => p.route === SEARCH_ROUTE && Date.parse(p.started_at) >= droppedAtMs)
    .sort((a, b) => Date.parse(a.started_at) - Date.parse(b.started_at))[0]
  if (profile) {
    const top = (profile.top_functions ?? []).slice(0, 3).map((f) => `${f.function_name || '(anonymous)'} ${f.self_pct}%`).join(', ')
    mark('profile', secondsSince(profile.started_at, droppedAtMs), `${profile.trigger} profile, route p95 ${profile.p95_ms ?? '–'} ms, ${profile.status}${top ? `; top: ${top}` : ''}`)
  }
  if (alert && (alert.state === 'pending' || alert.state === 'firing')) mark('pending', secondsSince(alert.active_since, droppedAtMs), alert.summary)
  if (alert?.state === 'firing') mark('firing', secondsSince(alert.firing_since, droppedAtMs), alert.summary)
  return found
}
