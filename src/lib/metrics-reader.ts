/**
 * The read side of the in-process rolling metric windows, as alert rules and
 * automatic profiling consume it. The metrics plugin implements it
 * (`app.metrics`); tests pass a fake. Every value is measured, never assumed.
 */
export type MetricName =
  /** Overall HTTP latency percentiles over the window, milliseconds. */
  | 'http_p50_ms' | 'http_p95_ms' | 'http_p99_ms'
  /** Requests per second over the window. */
  | 'http_rps'
  /** 5xx responses / all responses over the window, 0..1. */
  | 'http_error_rate'
  /** 429 responses / all responses over the window, 0..1. */
  | 'http_rate_limited_ratio'
  /** Cache hits / lookups over the window (all types, all layers), 0..1. */
  | 'cache_hit_rate'
  /** Event-loop delay p99 over the window, milliseconds. */
  | 'event_loop_delay_p99_ms'
  /** Event-loop utilisation, 0..1. */
  | 'event_loop_utilization'
  /** Connections in use / pool size, 0..1, and requests waiting for one. */
  | 'db_pool_utilization' | 'db_pool_waiting'
  /** 1 when the dependency answers its health check, 0 when not. */
  | 'db_up' | 'redis_up'
  /** Active products with stock at or below the low-stock threshold (from business metrics). */
  | 'low_stock_products'

export interface MetricsReader {
  /** The metric over the last `windowS` seconds, or undefined when there is no data yet. */
  value: (metric: MetricName, windowS: number) => number | undefined
  /** p95 latency (ms) of one route template (e.g. `GET /api/v1/products/:id`) over the window. */
  routeP95: (routeKey: string, windowS: number) => number | undefined
  /** Requests counted for one route template over the window (to ignore p95s from a handful of requests). */
  routeCount: (routeKey: string, windowS: number) => number
}
