import { Type, type Static } from 'typebox'
import { AlertSchema } from '../schemas.js'
import { ProfileSchema, QueryShareSchema } from '../../profiling/index.js'

/**
 * JSON shape of GET /monitoring/alerts/{id}/incident: an alert episode with
 * what explains it — the routes that got slower, their named queries, the
 * slow-query captures and the profile taken during it. The dashboard's
 * incident view and the webhook's `incident` annotation are built from it.
 */

const IsoDate = Type.String({ format: 'date-time' })
const NullableNumber = Type.Union([Type.Number(), Type.Null()])

/** One of the route's named queries: its share of the route's DB time, and whether it is degraded against its own baseline now. */
export const IncidentQuerySchema = Type.Object({
  ...QueryShareSchema.properties,
  /** True when the query's own p95 is above its baseline now (relative slow-query detection), on this instance. */
  degraded: Type.Boolean()
})

export const IncidentRouteSchema = Type.Object({
  /** Route template with its method, e.g. `GET /api/v1/products/search`. */
  route: Type.String(),
  /** Requests in the episode window. */
  requests: Type.Integer(),
  /** p95 over the episode window, ms. */
  p95_ms: NullableNumber,
  /** p95 over the 10 minutes before the episode, ms; null when the route had no traffic then. */
  baseline_p95_ms: NullableNumber,
  /** p95 / baseline. */
  ratio: NullableNumber,
  /** `live`: this instance's in-process windows (episodes of the last 14 minutes); `rollups`: every instance's minute rollups. */
  source: Type.Union([Type.Literal('live'), Type.Literal('rollups')]),
  /**
   * The route's heaviest named queries with their share of its DB time:
   * from the profile of the episode when it covers the route, else from the
   * last five minutes of phase timings (empty for older episodes).
   */
  queries: Type.Array(IncidentQuerySchema)
})

/** A slow-query capture of the episode, as its one-line summary. */
export const IncidentCaptureSchema = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  /** `relative` (p95 against the query's own baseline) or `absolute` (over SLOW_QUERY_MS). */
  reason: Type.String(),
  /** e.g. `catalog.search_gin: p95 45 ms, normally 3.1 ms, plan: Seq Scan on products`. */
  summary: Type.String(),
  captured_at: IsoDate,
  instance: Type.String()
})

export const IncidentSchema = Type.Object({
  alert: AlertSchema,
  window: Type.Object({
    /** The rule's measuring window before the alert became pending: where the slowdown started at the latest. */
    from: IsoDate,
    /** Resolution time, or now while the episode lasts. */
    to: IsoDate,
    ongoing: Type.Boolean(),
    /** The baseline period the routes are compared with. */
    baseline_from: IsoDate,
    baseline_to: IsoDate
  }),
  /** Routes slower than their baseline (p95 at least 1.5x and 5 ms above it, 5+ requests), most extra time first; at most 5. */
  routes: Type.Array(IncidentRouteSchema),
  /** Slow-query captures of the window (every instance): those of the slower routes' queries first, then relative ones, newest first among equals; at most 10. */
  slow_queries: Type.Array(IncidentCaptureSchema),
  /** The profile taken during the episode (an automatic one of a slower route first), with its time split. */
  profile: Type.Union([ProfileSchema, Type.Null()]),
  /** The few lines a notification carries: slower routes, the top query capture, the profile's verdict. */
  summary: Type.Array(Type.String()),
  generated_at: IsoDate
})

export type IncidentQuery = Static<typeof IncidentQuerySchema>
export type IncidentRoute = Static<typeof IncidentRouteSchema>
export type IncidentCapture = Static<typeof IncidentCaptureSchema>
export type Incident = Static<typeof IncidentSchema>
