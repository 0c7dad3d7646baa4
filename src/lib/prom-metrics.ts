import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { MetricsCollector } from './metrics-collector.js'
import type { PoolMonitor } from './pool-stats.js'

/**
 * The Prometheus side of metrics: one registry per app (tests build many
 * apps in one process), our `techmart_*` metrics plus prom-client's default
 * process metrics (GC, memory, event-loop lag, handles). Labels are bounded:
 * route templates, never raw URLs; query names and cache types are fixed
 * strings from the code. docs/MONITORING.md lists every metric.
 */

// Seconds; dense where the targets are (p95 < 200 ms, aim < 50 ms).
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2.5, 5, 10]
const QUERY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5]

export interface PromMetricsOptions {
  collector: MetricsCollector
  pool: PoolMonitor
  instanceId: string
  version: string
}

export function createPromMetrics (opts: PromMetricsOptions) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const { collector, pool } = opts
  const registers = [registry]

  new Gauge({ name: 'techmart_instance_info', help: 'Always 1; labels identify the instance', labelNames: ['instance_id', 'version'], registers })
    .set({ instance_id: opts.instanceId, version: opts.version }, 1)

  const metrics = {
    registry,
    httpDuration: new Histogram({
      name: 'techmart_http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: LATENCY_BUCKETS,
      registers
    }),
    cacheOps: new Counter({
      name: 'techmart_cache_operations_total',
      help: 'Cache reads by cache type, layer that answered (l1, l2, miss) and result',
      labelNames: ['type', 'layer', 'result'] as const,
      registers
    }),
    dbQueryDuration: new Histogram({
      name: 'techmart_db_query_duration_seconds',
      help: 'Duration of named database queries by query name and outcome',
      labelNames: ['query', 'outcome'] as const,
      buckets: QUERY_BUCKETS,
      registers
    }),
    dbAcquireDuration: new Histogram({
      name: 'techmart_db_pool_acquire_duration_seconds',
      help: 'Time to obtain a dedicated connection for a transaction (incl. BEGIN) or reservation',
      labelNames: ['kind', 'outcome'] as const,
      buckets: QUERY_BUCKETS,
      registers
    }),
    rateLimitDecisions: new Counter({
      name: 'techmart_ratelimit_decisions_total',
      help: 'Rate-limit and load-shedding decisions by route, client kind and decision',
      labelNames: ['route', 'client_kind', 'decision'] as const,
      registers
    }),
    loadShed: new Counter({
      name: 'techmart_load_shed_total',
      help: 'Requests refused with 503 by load shedding, by route',
      labelNames: ['route'] as const,
      registers
    }),
    loadLevel: new Gauge({
      name: 'techmart_load_level',
      help: '1 for the current load level reported by the load sampler',
      labelNames: ['level'] as const,
      registers
    }),
    dependencyUp: new Gauge({
      name: 'techmart_dependency_up',
      help: '1 when the dependency answered its last health probe, 0 when not',
      labelNames: ['dependency'] as const,
      registers
    }),
    searches: new Counter({
      name: 'techmart_search_requests_total',
      help: 'Product searches by outcome (results, zero_results)',
      labelNames: ['outcome'] as const,
      registers
    }),
    searchDuration: new Histogram({
      name: 'techmart_search_duration_seconds',
      help: 'Product search duration as reported by the catalog',
      buckets: QUERY_BUCKETS,
      registers
    }),
    catalogExternalChanges: new Counter({
      name: 'techmart_catalog_external_changes_total',
      help: 'Notifications of catalog writes made outside the app (migration 0008 triggers), by kind: products (named) or all (whole catalog)',
      labelNames: ['kind'] as const,
      registers
    })
  }

  // Read at scrape time from the live sources.
  const gauges = [
    new Gauge({
      name: 'techmart_http_requests_in_flight',
      help: 'Requests being handled (long-lived streams excluded)',
      registers,
      collect () { this.set(collector.inFlight) }
    }),
    new Gauge({
      name: 'techmart_db_pool_connections',
      help: 'Primary pool connections by state: in_use (running a query or held by a transaction) and free (size - in_use)',
      labelNames: ['state'] as const,
      registers,
      collect () {
        const s = pool.stats()
        this.set({ state: 'in_use' }, s.inUse)
        this.set({ state: 'free' }, s.free)
      }
    }),
    new Gauge({ name: 'techmart_db_pool_size', help: 'Configured maximum connections of the primary pool', registers, collect () { this.set(pool.stats().size) } }),
    new Gauge({
      name: 'techmart_db_pool_waiting',
      help: 'Queries beyond pool capacity (queued in the driver or pipelined behind another query)',
      registers,
      collect () { this.set(pool.stats().waiting) }
    }),
    new Gauge({
      name: 'techmart_event_loop_utilization',
      help: 'Event-loop utilisation over the last 60 s, 0..1',
      registers,
      collect () { this.set(collector.value('event_loop_utilization', 60) ?? 0) }
    })
  ]

  return { ...metrics, gauges }
}

export type PromMetrics = ReturnType<typeof createPromMetrics>
