import type postgres from 'postgres'
import type { HttpClient } from './http.js'
import type { Findings } from './report-schema.js'

/**
 * What the server itself found during the run, for the bottleneck analysis:
 * the CPU profiles automatic profiling captured (a critical route's p95 broke
 * its budget) with their hottest functions, the per-route phase timings
 * (db / cache / serialize / our code), and the slow queries captured with
 * their EXPLAIN plans. Read after the run: profiles and phases through the
 * admin API, slow queries from the database under test.
 */

const MAX_PROFILES = 10
const MAX_PHASES = 12
const MAX_SLOW = 10
const TOP_FUNCTIONS = 5

interface ProfileJson {
  route: string | null
  status: string
  p95_ms: number | null
  budget_ms: number | null
  started_at: string
  idle_pct: number | null
  top_functions: { function_name: string, url: string, line: number, self_pct: number }[]
}

interface PhaseJson { route: string, count: number, avg_total_ms: number, avg_db_ms: number, avg_cache_ms: number, avg_serialize_ms: number, avg_handler_ms: number }

interface PlanNode { 'Node Type'?: string, 'Relation Name'?: string, 'Index Name'?: string, Plans?: PlanNode[] }

/** The plan's first nodes as one line: `Limit > Sort > Seq Scan on products`. */
export function planOutline (plan: unknown, depth = 4): string {
  const root = (Array.isArray(plan) ? (plan[0] as { Plan?: PlanNode })?.Plan : (plan as { Plan?: PlanNode } | null)?.Plan) ?? undefined
  const parts: string[] = []
  let node: PlanNode | undefined = root
  while (node && parts.length < depth) {
    const on = node['Index Name'] ? ` using ${node['Index Name']}` : node['Relation Name'] ? ` on ${node['Relation Name']}` : ''
    parts.push(`${node['Node Type'] ?? '?'}${on}`)
    node = node.Plans?.[0]
  }
  return parts.join(' > ')
}

async function fromApi (http: HttpClient, adminToken: string, since: Date, notes: string[]): Promise<Pick<Findings, 'profiles' | 'phases'>> {
  if (!adminToken) {
    notes.push('no admin token: profiles and phase timings not read')
    return { profiles: [], phases: [] }
  }
  const res = await http.request({ method: 'GET', path: `/api/v1/monitoring/profiles?limit=${MAX_PROFILES * 2}`, token: adminToken, read: 'json' })
  if (res.status !== 200) {
    notes.push(`GET /monitoring/profiles answered ${res.status || res.error}`)
    return { profiles: [], phases: [] }
  }
  const body = res.body as { profiles?: ProfileJson[], phases?: PhaseJson[] }
  const profiles = (body.profiles ?? [])
    .filter((p) => Date.parse(p.started_at) >= since.getTime())
    .slice(0, MAX_PROFILES)
    .map((p) => ({
      route: p.route ?? 'manual',
      status: p.status,
      p95Ms: p.p95_ms,
      budgetMs: p.budget_ms,
      startedAt: p.started_at,
      idlePct: p.idle_pct,
      top: p.top_functions.slice(0, TOP_FUNCTIONS).map((f) => ({ fn: `${f.function_name || '(anonymous)'} ${f.url}:${f.line}`, selfPct: f.self_pct }))
    }))
  const phases = (body.phases ?? [])
    .sort((a, b) => b.count * b.avg_total_ms - a.count * a.avg_total_ms)
    .slice(0, MAX_PHASES)
    .map((p) => ({ route: p.route, count: p.count, totalMs: p.avg_total_ms, dbMs: p.avg_db_ms, cacheMs: p.avg_cache_ms, serializeMs: p.avg_serialize_ms, handlerMs: p.avg_handler_ms }))
  return { profiles, phases }
}

async function slowQueries (sql: postgres.Sql, since: Date, notes: string[]): Promise<Findings['slowQueries']> {
  try {
    const rows = await sql<{ name: string, duration_ms: number, occurrences: number, total_cost: number | null, plan: unknown }[]>`
      SELECT name, duration_ms, occurrences, total_cost, plan FROM slow_queries
      WHERE captured_at >= ${since} ORDER BY duration_ms DESC LIMIT ${MAX_SLOW}`
    return rows.map((r) => ({ name: r.name, durationMs: Math.round(r.duration_ms * 10) / 10, occurrences: r.occurrences, totalCost: r.total_cost, plan: planOutline(r.plan) }))
  } catch (err) {
    notes.push(`slow queries not read: ${(err as Error).message}`)
    return []
  }
}

export async function collectFindings (http: HttpClient, sql: postgres.Sql, adminToken: string, since: Date): Promise<Findings> {
  const notes: string[] = []
  const [api, slow] = await Promise.all([fromApi(http, adminToken, since, notes), slowQueries(sql, since, notes)])
  return { ...api, slowQueries: slow, notes }
}
