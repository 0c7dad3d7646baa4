/**
 * The read side of the in-process rolling metric windows, as alert rules and
 * automatic profiling consume it. The metrics plugin implements it
 * (`app.metrics`, windows up to 15 minutes); the alerts' long-window reader
 * wraps it to serve longer windows from minute rollups; tests pass a fake.
 * Every value is measured, never assumed.
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

/** The history behind a value that covers less than the window asked for. */
export interface WindowCoverage {
  /** Seconds of the window with measurements; the rest is counted as traffic without errors. */
  coveredS: number
  /** False when the minute rollups could not be read: only this instance's live window is behind the value. */
  rollups: boolean
}

export interface MetricsReader {
  /** The metric over the last `windowS` seconds, or undefined when there is no data yet. */
  value: (metric: MetricName, windowS: number) => number | undefined
  /** p95 latency (ms) of one route template (e.g. `GET /api/v1/products/:id`) over the window. */
  routeP95: (routeKey: string, windowS: number) => number | undefined
  /** Requests counted for one route template over the window (to ignore p95s from a handful of requests). */
  routeCount: (routeKey: string, windowS: number) => number
  /**
   * Only readers that serve windows longer than the live ones have it
   * (modules/monitoring/alerts/long-windows.ts): the history behind `value(metric, windowS)`
   * when it covers less than the window (a fresh start), else undefined.
   */
  coverage?: (metric: MetricName, windowS: number) => WindowCoverage | undefined
}
