import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { MetricsCollector } from './collector.js'
import type { PoolMonitor } from './pool-stats.js'

/**
 * The Prometheus side of metrics: one registry per app (tests build many
 * apps in one process), our `techmart_*` metrics plus prom-client's default
 * process metrics (GC, memory, event-loop lag, handles). Labels are bounded:
 * route templates, never raw URLs; query names and cache types are fixed
 * strings from the code. docs/MONITORING.md lists every metric; the output
 * passes `promtool check metrics` (test/integration/plugins/prometheus.test.ts).
 */

/**
 * prom-client's default gauges that carry a counter's `_total` suffix, which
 * `promtool check metrics` rejects. Each has a sibling without the suffix,
 * measured from the same call (`process._getActiveHandles()`,
 * `_getActiveRequests()`, `getActiveResourcesInfo()`) and split by `type`:
 * `sum(nodejs_active_handles)` is the total the removed gauge reported.
 */
const DEFAULT_GAUGES_WITH_COUNTER_SUFFIX = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']

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
  for (const name of DEFAULT_GAUGES_WITH_COUNTER_SUFFIX) registry.removeSingleMetric(name)
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

  return { ...metrics, gauges, business: createBusinessGauges(registry) }
}

/** The business figures the monitoring module computes every 30 s (a subset of its `Business`). */
export interface BusinessFigures {
  computed_at: string
  users: { total: number, active_today: number, new_today: number }
  products: { active: number, low_stock: number }
  orders: { today: number, yesterday: number, yesterday_same_time: number, per_minute: { count: number[] } }
  revenue: { today: number, month: number, avg_order_value: number }
  conversion: { ordering_users_24h: number, cart_users_24h: number }
}

/**
 * The business figures as gauges, so Prometheus rules (`low_stock_products`)
 * and Grafana panels can use them. Computed by one instance and shared, so
 * every instance reports the same figures: aggregate with `max`. They are
 * registered with the first result, not before: a gauge reading 0 before the
 * first computation would look like a measurement (and no data is never a
 * breach for an alert). Top products are not exported: product names are
 * unbounded label values.
 */
function createBusinessGauges (registry: Registry) {
  const gauge = (name: string, help: string) => new Gauge({ name: `techmart_business_${name}`, help, registers: [] })
  const figures: Array<[Gauge, (b: BusinessFigures) => number]> = [
    [gauge('computed_timestamp_seconds', 'When the business figures were computed, Unix time'), (b) => Date.parse(b.computed_at) / 1000],
    [gauge('users', 'User accounts'), (b) => b.users.total],
    [gauge('users_active_today', 'Users who logged in today (BUSINESS_TIMEZONE)'), (b) => b.users.active_today],
    [gauge('users_new_today', 'Users registered today'), (b) => b.users.new_today],
    [gauge('products_active', 'Active products'), (b) => b.products.active],
    [gauge('products_low_stock', 'Active products at or below LOW_STOCK_THRESHOLD'), (b) => b.products.low_stock],
    [gauge('orders_today', 'Orders placed today, cancelled ones excluded'), (b) => b.orders.today],
    [gauge('orders_yesterday', 'Orders placed during the whole of yesterday'), (b) => b.orders.yesterday],
    [gauge('orders_yesterday_same_time', 'Orders placed yesterday up to the same time of day as now'), (b) => b.orders.yesterday_same_time],
    // per_minute ends with the current, still running minute.
    [gauge('orders_last_minute', 'Orders placed during the last complete minute'), (b) => b.orders.per_minute.count.at(-2) ?? 0],
    [gauge('revenue_today', 'Revenue of today\'s orders, in the shop currency'), (b) => b.revenue.today],
    [gauge('revenue_30d', 'Revenue of the last 30 days, in the shop currency'), (b) => b.revenue.month],
    [gauge('average_order_value_30d', 'Average order value over the last 30 days, in the shop currency'), (b) => b.revenue.avg_order_value],
    // The two counts, not their ratio: without cart activity the ratio has no value, and a query
    // divides by `(techmart_business_cart_users_24h > 0)` to show none.
    [gauge('ordering_users_24h', 'Users who placed an order in the last 24 hours'), (b) => b.conversion.ordering_users_24h],
    [gauge('cart_users_24h', 'Users with cart activity (a cart updated or an order placed) in the last 24 hours'), (b) => b.conversion.cart_users_24h]
  ]
  let registered = false
  return {
    /** Sets every business gauge from a new result (registering them on the first). */
    update (b: BusinessFigures): void {
      if (!registered) {
        for (const [g] of figures) registry.registerMetric(g)
        registered = true
      }
      for (const [g, read] of figures) g.set(read(b))
    }
  }
}

export type PromMetrics = ReturnType<typeof createPromMetrics>
