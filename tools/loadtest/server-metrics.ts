import { setTimeout as sleep } from 'node:timers/promises'
import type { HttpClient } from './http.js'
import { delta, parsePrometheus, sumBy, total, type Sample } from './prometheus.js'
import type { ServerFigures } from './report-schema.js'

/**
 * The server's own view of the run: `/metrics` (Prometheus text) is read
 * just before and just after the measured window, and the counter deltas
 * give the cache hit rate and the time spent in PostgreSQL over exactly that
 * window. `/metrics` needs METRICS_TOKEN or an admin token. In cluster mode
 * every worker is scraped and the figures are summed over them.
 */

const CACHE_OPS = 'techmart_cache_operations_total'
const DB_SECONDS_SUM = 'techmart_db_query_duration_seconds_sum'
const DB_SECONDS_COUNT = 'techmart_db_query_duration_seconds_count'
const HTTP_COUNT = 'techmart_http_request_duration_seconds_count'
const TOP_QUERIES = 12

export type Scrape = { samples: Sample[], instances: number } | { problem: string }

const INSTANCE_INFO = 'techmart_instance_info'
const SCRAPES_PER_WORKER = 8
const MAX_LIMITED_WAITS = 5
const MAX_RETRY_WAIT_S = 10

function instanceOf (samples: Sample[]): string {
  return samples.find((s) => s.name === INSTANCE_INFO)?.labels.instance_id ?? ''
}

/**
 * Reads /metrics of every worker: behind node:cluster each new connection
 * goes to the next worker, so the scrape opens a new connection per request
 * (outside the keep-alive pool) until it has seen `workers` distinct
 * instance ids. The samples of all of them are
 * returned together (sums over instances are still monotonic counters).
 */
export async function scrapeMetrics (http: HttpClient, token: string, workers = 1): Promise<Scrape> {
  const seen = new Map<string, Sample[]>()
  let limitedWaits = 0
  for (let attempt = 0; attempt < workers * SCRAPES_PER_WORKER && seen.size < workers; attempt++) {
    const res = await http.request({ method: 'GET', path: '/metrics', token, read: 'text', fresh: true, headers: { accept: 'text/plain', connection: 'close' } })
    // /metrics has a rate limit that tightens under load and is shed first when the process is overloaded
    // (both answers carry Retry-After); a scrape is worth a short wait.
    if ((res.status === 429 || res.status === 503) && limitedWaits++ < MAX_LIMITED_WAITS) {
      await sleep(Math.min(MAX_RETRY_WAIT_S, res.retryAfterS ?? 1) * 1000)
      continue
    }
    if (res.status !== 200 || typeof res.body !== 'string') return { problem: `GET /metrics answered ${res.status || res.error}` }
    const samples = parsePrometheus(res.body)
    seen.set(instanceOf(samples), samples)
  }
  if (seen.size < workers) return { problem: `/metrics reached ${seen.size} of ${workers} workers` }
  return { samples: [...seen.values()].flat(), instances: seen.size }
}

const isHit = (labels: Record<string, string>): boolean => labels.result !== undefined ? labels.result === 'hit' : labels.layer !== 'miss'

function cacheFigures (before: Sample[], after: Sample[]): Pick<ServerFigures, 'cacheLookups' | 'cacheHitRate' | 'cacheByType'> {
  const hitsWhere = { result: (_v: string) => true }
  const lookups = delta(sumBy(before, CACHE_OPS, 'type', hitsWhere), sumBy(after, CACHE_OPS, 'type', hitsWhere))
  const hitSamples = (samples: Sample[]): Sample[] => samples.filter((s) => s.name === CACHE_OPS && isHit(s.labels))
  const hits = delta(sumBy(hitSamples(before), CACHE_OPS, 'type'), sumBy(hitSamples(after), CACHE_OPS, 'type'))
  const allLookups = total(lookups)
  const byType = [...lookups.entries()]
    .filter(([, n]) => n > 0)
    .map(([type, n]) => ({ type, lookups: Math.round(n), hitRate: (hits.get(type) ?? 0) / n }))
    .sort((a, b) => b.lookups - a.lookups)
  return {
    cacheLookups: Math.round(allLookups),
    cacheHitRate: allLookups > 0 ? total(hits) / allLookups : null,
    cacheByType: byType
  }
}

function dbFigures (before: Sample[], after: Sample[]): Pick<ServerFigures, 'dbQueries' | 'dbTimeMs' | 'dbByQuery'> {
  const seconds = delta(sumBy(before, DB_SECONDS_SUM, 'query'), sumBy(after, DB_SECONDS_SUM, 'query'))
  const counts = delta(sumBy(before, DB_SECONDS_COUNT, 'query'), sumBy(after, DB_SECONDS_COUNT, 'query'))
  const byQuery = [...counts.entries()]
    .filter(([, n]) => n > 0)
    .map(([name, n]) => {
      const totalMs = (seconds.get(name) ?? 0) * 1000
      return { name, count: Math.round(n), totalMs: Math.round(totalMs * 10) / 10, avgMs: Math.round((totalMs / n) * 100) / 100 }
    })
    .sort((a, b) => b.totalMs - a.totalMs)
  return { dbQueries: Math.round(total(counts)), dbTimeMs: total(seconds) * 1000, dbByQuery: byQuery.slice(0, TOP_QUERIES) }
}

/** The figures over the window between two scrapes, or why there are none. */
export function serverFigures (before: Scrape, after: Scrape, workers: number): ServerFigures {
  const none: ServerFigures = { source: '', available: false, cacheLookups: null, cacheHitRate: null, cacheByType: [], dbQueries: null, dbTimeMs: null, dbMsPerRequest: null, dbByQuery: [], serverRequests: null }
  if ('problem' in before) return { ...none, source: before.problem }
  if ('problem' in after) return { ...none, source: after.problem }
  if (!before.samples.some((s) => s.name.startsWith('techmart_'))) return { ...none, source: 'the server exposes no techmart_* metrics' }
  const cache = cacheFigures(before.samples, after.samples)
  const db = dbFigures(before.samples, after.samples)
  const requests = Math.round(total(delta(sumBy(before.samples, HTTP_COUNT), sumBy(after.samples, HTTP_COUNT))))
  return {
    source: workers > 1 ? `/metrics of all ${workers} workers` : '/metrics',
    available: true,
    ...cache,
    ...db,
    dbTimeMs: db.dbTimeMs === null ? null : Math.round(db.dbTimeMs),
    dbMsPerRequest: requests > 0 && db.dbTimeMs !== null ? Math.round((db.dbTimeMs / requests) * 100) / 100 : null,
    serverRequests: requests
  }
}
