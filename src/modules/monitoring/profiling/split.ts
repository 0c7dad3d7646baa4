import type { QueryShare, RouteTimeSplit, TimeSplit, Verdict } from './schemas.js'

/**
 * Where the requests of a profile's capture window spent their time, from
 * each request's own timings (`request.timings`, filled by `timedQuery`,
 * the pool wrapper and the cache): database (queries running), pool (queries
 * waiting for a connection), Redis (cache reads) and CPU (the rest: our own
 * code, serialization, and waiting for the event loop). A CPU profile alone
 * names the functions that ran; this says whether running functions is
 * where the time went at all.
 */

/** Named queries of one request: name → executions and summed milliseconds. */
export type RequestQueries = Map<string, { count: number, ms: number }>

export interface RequestSample {
  totalMs: number
  /** Summed query time, pool wait included (parallel queries overlap, so it can exceed totalMs). */
  dbMs: number
  /** The part of dbMs spent waiting for a connection. */
  dbWaitMs: number
  cacheMs: number
  queries?: RequestQueries
}

interface RouteTally {
  requests: number
  total: number
  database: number
  pool: number
  redis: number
  cpu: number
  queries: RequestQueries
}

const VERDICTS: readonly Verdict[] = ['database', 'pool', 'redis', 'cpu']
/** Routes and query names are bounded upstream; these bounds only stop a bug from growing a window without limit. */
const MAX_ROUTES = 200
const MAX_QUERIES_PER_ROUTE = 50
/** Queries named per route, the heaviest first. */
const TOP_QUERIES = 5
/** Routes listed besides the subject, by summed time. */
const TOP_ROUTES = 10

const round1 = (v: number) => Math.round(v * 10) / 10
const round2 = (v: number) => Math.round(v * 100) / 100

function emptyTally (): RouteTally {
  return { requests: 0, total: 0, database: 0, pool: 0, redis: 0, cpu: 0, queries: new Map() }
}

function addQueries (into: RequestQueries, queries: RequestQueries): void {
  for (const [name, q] of queries) {
    const tally = into.get(name)
    if (tally) {
      tally.count += q.count
      tally.ms += q.ms
    } else if (into.size < MAX_QUERIES_PER_ROUTE) {
      into.set(name, { count: q.count, ms: q.ms })
    }
  }
}

function add (into: RouteTally, s: RequestSample): void {
  into.requests++
  into.total += s.totalMs
  into.pool += s.dbWaitMs
  into.database += Math.max(0, s.dbMs - s.dbWaitMs)
  into.redis += s.cacheMs
  into.cpu += Math.max(0, s.totalMs - s.dbMs - s.cacheMs)
  if (s.queries) addQueries(into.queries, s.queries)
}

function merge (into: RouteTally, from: RouteTally): void {
  into.requests += from.requests
  into.total += from.total
  into.database += from.database
  into.pool += from.pool
  into.redis += from.redis
  into.cpu += from.cpu
  addQueries(into.queries, from.queries)
}

/** The heaviest named queries with their share of the route's database time (pool wait included). */
export function topQueries (queries: RequestQueries, dbMs: number, top = TOP_QUERIES): QueryShare[] {
  return [...queries]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, top)
    .map(([name, q]) => ({ name, count: q.count, total_ms: round2(q.ms), avg_ms: round2(q.ms / Math.max(1, q.count)), db_share_pct: dbMs > 0 ? round1(Math.min(100, (q.ms / dbMs) * 100)) : 0 }))
}

/** One line: `GET /x is database-bound: database 91%, pool 2%, redis 0%, cpu 7% (212 requests, avg 48.2 ms); catalog.search 97% of its DB time`. */
export function splitLine (s: Pick<RouteTimeSplit, 'route' | 'requests' | 'verdict' | 'shares' | 'avg_ms' | 'queries'>): string {
  const subject = s.route ?? 'all requests'
  if (s.verdict === null) return `${subject}: no request finished during the capture`
  const shares = VERDICTS.map((v) => `${v} ${Math.round(s.shares[v])}%`).join(', ')
  const top = s.queries[0]
  const query = top && (s.verdict === 'database' || s.verdict === 'pool') ? `; ${top.name} ${Math.round(top.db_share_pct)}% of its DB time` : ''
  return `${subject} is ${s.verdict}-bound: ${shares} (${s.requests} request${s.requests === 1 ? '' : 's'}, avg ${round1(s.avg_ms.total)} ms)${query}`
}

export function routeSplit (route: string | null, t: RouteTally): RouteTimeSplit {
  const parts: Record<Verdict, number> = { database: t.database, pool: t.pool, redis: t.redis, cpu: t.cpu }
  const sum = t.database + t.pool + t.redis + t.cpu
  let verdict: Verdict | null = null
  for (const v of VERDICTS) if (parts[v] > 0 && (verdict === null || parts[v] > parts[verdict])) verdict = v
  const n = Math.max(1, t.requests)
  const split: Omit<RouteTimeSplit, 'summary'> = {
    route,
    requests: t.requests,
    verdict,
    shares: {
      database: sum > 0 ? round1((t.database / sum) * 100) : 0,
      pool: sum > 0 ? round1((t.pool / sum) * 100) : 0,
      redis: sum > 0 ? round1((t.redis / sum) * 100) : 0,
      cpu: sum > 0 ? round1((t.cpu / sum) * 100) : 0
    },
    avg_ms: { total: round2(t.total / n), database: round2(t.database / n), pool: round2(t.pool / n), redis: round2(t.redis / n), cpu: round2(t.cpu / n) },
    queries: topQueries(t.queries, t.database + t.pool)
  }
  return { ...split, summary: splitLine(split) }
}

export type SplitWindow = ReturnType<typeof createSplitWindow>

/**
 * The time split of one capture window at a time (V8 has one sampler, so
 * a process has one capture at a time): `begin` when sampling starts,
 * `record` every request that finishes meanwhile (O(1) and nothing at all
 * outside a window), `end` when sampling stops.
 */
export function createSplitWindow (now: () => number = () => performance.now()) {
  let current: { startedAt: number, cpu: NodeJS.CpuUsage, routes: Map<string, RouteTally> } | undefined

  return {
    isOpen: () => current !== undefined,

    begin (): void {
      current = { startedAt: now(), cpu: process.cpuUsage(), routes: new Map() }
    },

    record (route: string, sample: RequestSample): void {
      if (!current) return
      let tally = current.routes.get(route)
      if (!tally) {
        if (current.routes.size >= MAX_ROUTES) return
        tally = emptyTally()
        current.routes.set(route, tally)
      }
      add(tally, sample)
    },

    /** Closes the window; the split is about `subject` (the profiled route), or every request when null. */
    end (subject: string | null): TimeSplit | undefined {
      if (!current) return undefined
      const { startedAt, cpu, routes } = current
      current = undefined
      const windowMs = Math.max(1, now() - startedAt)
      const used = process.cpuUsage(cpu)
      let main: RouteTally
      if (subject !== null) main = routes.get(subject) ?? emptyTally()
      else {
        main = emptyTally()
        for (const t of routes.values()) merge(main, t)
      }
      const others = [...routes]
        .sort((a, b) => b[1].total - a[1].total)
        .slice(0, TOP_ROUTES)
        .map(([route, t]) => routeSplit(route, t))
      return {
        ...routeSplit(subject, main),
        window_ms: Math.round(windowMs),
        process_cpu_pct: round1(((used.user + used.system) / 1000 / windowMs) * 100),
        routes: others
      }
    }
  }
}
