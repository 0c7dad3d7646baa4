/**
 * Per-route settings read by the infrastructure plugins through `onRoute`
 * hooks (rate limits, load shedding, profiling, cache labelling).
 */
export type Criticality = 'critical' | 'cart' | 'browse' | 'reports' | 'health'

export interface RouteRateLimit {
  /** Requests allowed per `duration` seconds before the load multiplier. */
  points: number
  /** Window in seconds. */
  duration: number
  /** `false` keeps `points` whatever the load level and tightening (monitoring scrapes, needed most under overload). @default true */
  adaptive?: boolean
  /**
   * `address` counts by client address even when a valid token is attached (login,
   * registration: a token must not buy a fresh budget). @default 'client' (user id, else address)
   */
  key?: 'client' | 'address'
  /**
   * `true` counts every request in Redis as it comes (login, registration, order placement:
   * no leased budget, so no overshoot across instances). @default false (budgets leased in batches)
   */
  exact?: boolean
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false` exempts the route; an object overrides the default limit. */
    rateLimit?: false | RouteRateLimit
    /** Load-shedding class: `critical` (checkout) is shed last, `health` never. */
    criticality?: Criticality
    /** `false` means the route is never shed. */
    shed?: boolean
    /** `false` keeps the route out of latency metrics and the in-flight count (long-lived streams such as SSE). */
    metrics?: boolean
  }
}
