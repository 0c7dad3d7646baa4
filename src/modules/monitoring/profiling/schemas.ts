import { Type, type Static } from 'typebox'

/**
 * JSON shapes of the profiling API (GET/POST /monitoring/profiles) and of the
 * 'techmart:profile:captured' diagnostics channel (a `Profile`). The
 * dashboard's profiles panel is built from these.
 */

const IsoDate = Type.String({ format: 'date-time' })
const NullableNumber = Type.Union([Type.Number(), Type.Null()])

/** One function of the summary, ranked by self time (time on the CPU in its own code, not its callees). */
export const TopFunctionSchema = Type.Object({
  function_name: Type.String(),
  /** Script path relative to the project (or `node:...`), empty for native/VM frames. */
  url: Type.String(),
  /** 1-based line of the function's start. */
  line: Type.Integer(),
  self_ms: Type.Number(),
  /** Share of the profile's non-idle samples, 0..100. */
  self_pct: Type.Number()
})

export const VerdictSchema = Type.Union([Type.Literal('database'), Type.Literal('pool'), Type.Literal('redis'), Type.Literal('cpu')], {
  description: 'Where most of the time went: queries running (database), queries waiting for a pool connection (pool), cache reads (redis), or the rest (cpu: our code, serialization, waiting for the event loop)'
})

/** One named query of a route: its executions and its share of the route's database time (pool wait included). */
export const QueryShareSchema = Type.Object({
  name: Type.String(),
  count: Type.Integer(),
  total_ms: Type.Number(),
  avg_ms: Type.Number(),
  /** 0..100 */
  db_share_pct: Type.Number()
})

const PartsSchema = Type.Object({ database: Type.Number(), pool: Type.Number(), redis: Type.Number(), cpu: Type.Number() })

const routeTimeSplitFields = {
  route: Type.Union([Type.String(), Type.Null()]),
  /** Requests that finished in the window. */
  requests: Type.Integer(),
  /** The largest share; null without requests. */
  verdict: Type.Union([VerdictSchema, Type.Null()]),
  /** Share of the requests' summed time, 0..100 each, adding up to 100. */
  shares: PartsSchema,
  /** Per request, milliseconds; `total` is the response time. */
  avg_ms: Type.Object({ total: Type.Number(), database: Type.Number(), pool: Type.Number(), redis: Type.Number(), cpu: Type.Number() }),
  /** The heaviest named queries, by summed time. */
  queries: Type.Array(QueryShareSchema),
  /** One line, e.g. "GET /api/v1/products/search is database-bound: database 91%, pool 2%, redis 0%, cpu 7% (212 requests, avg 48.2 ms); catalog.search 97% of its DB time". */
  summary: Type.String()
}

/** Where the requests of one route (or of every route, `route: null`) spent their time. */
export const RouteTimeSplitSchema = Type.Object(routeTimeSplitFields)

/**
 * The time split of a profile's capture window (the same seconds as its CPU
 * samples), from each request's own timings: about the profiled route (or
 * every request for a manual capture), plus each busy route on its own.
 */
export const TimeSplitSchema = Type.Object({
  ...routeTimeSplitFields,
  window_ms: Type.Integer(),
  /** CPU time of the whole process over the window / window length, 0..100 per core. */
  process_cpu_pct: Type.Number(),
  /** Every route with requests in the window (up to 10), most total time first. */
  routes: Type.Array(RouteTimeSplitSchema)
})

export const ProfileStatusSchema = Type.Union([Type.Literal('capturing'), Type.Literal('ready'), Type.Literal('failed')])

export const ProfileSchema = Type.Object({
  id: Type.Integer(),
  trigger: Type.Union([Type.Literal('auto'), Type.Literal('manual')]),
  status: ProfileStatusSchema,
  /** The route whose p95 broke its budget (auto), or null (manual). */
  route: Type.Union([Type.String(), Type.Null()]),
  p95_ms: NullableNumber,
  budget_ms: NullableNumber,
  /** The process that was profiled (`host:pid`); the file lives on its disk. */
  instance: Type.String(),
  started_at: IsoDate,
  /** Requested capture length. */
  duration_ms: Type.Integer(),
  size_bytes: Type.Union([Type.Integer(), Type.Null()]),
  sample_count: Type.Union([Type.Integer(), Type.Null()]),
  /** Share of samples where the process was idle, 0..100. */
  idle_pct: NullableNumber,
  top_functions: Type.Array(TopFunctionSchema),
  /** Where the requests of the capture window spent their time; null for profiles taken with PROFILING_ENABLED=false, and while capturing. */
  time_split: Type.Union([TimeSplitSchema, Type.Null()]),
  /** False when the file was pruned by retention, was over the size cap, or capture failed. */
  file_available: Type.Boolean(),
  /** GET this (admin token) to download the `.cpuprofile` for Chrome DevTools or speedscope. */
  download_url: Type.String(),
  error: Type.Union([Type.String(), Type.Null()])
})

/** Per-route phase timings over the last few minutes (averages, milliseconds). */
export const RoutePhasesSchema = Type.Object({
  route: Type.String(),
  count: Type.Integer(),
  avg_total_ms: Type.Number(),
  avg_db_ms: Type.Number(),
  /** The part of avg_db_ms spent waiting for a pool connection. */
  avg_pool_wait_ms: Type.Number(),
  avg_cache_ms: Type.Number(),
  avg_serialize_ms: Type.Number(),
  /** Total minus db, cache and serialize: our own code and waiting on the event loop. */
  avg_handler_ms: Type.Number(),
  max_total_ms: Type.Number(),
  /** The p95 budget watched by automatic profiling, when the route has one. */
  budget_ms: NullableNumber,
  /** The route's heaviest named queries over the window, with their share of its database time. */
  top_queries: Type.Array(QueryShareSchema)
})

export const ProfilesOverviewSchema = Type.Object({
  /** Newest first. */
  profiles: Type.Array(ProfileSchema),
  phases: Type.Array(RoutePhasesSchema),
  /** Seconds covered by `phases`. */
  phases_window_s: Type.Integer(),
  /** False when PROFILING_ENABLED=false: no automatic capture, no phase timings. */
  enabled: Type.Boolean(),
  /** True while a capture runs in this process. */
  capturing: Type.Boolean(),
  /** Per route: an automatically profiled route is not profiled again for this long (unless its p95 doubles). */
  cooldown_ms: Type.Integer(),
  /** No automatic capture before this time (start-up warm-up); null when automatic profiling is off. */
  warmup_ends_at: Type.Union([IsoDate, Type.Null()]),
  /** Routes this instance profiled automatically whose cooldown still runs (other instances keep their own list). */
  cooldowns: Type.Array(Type.Object({ route: Type.String(), until: IsoDate })),
  /** This process (compare with each profile's `instance`: another one may be gone) and when it started. */
  instance: Type.String(),
  instance_started_at: IsoDate
})

export const ProfilesQuerySchema = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Profiles to return, newest first' })
}, { additionalProperties: false })

export const ProfileIdParamsSchema = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'Profile id' }) }, { additionalProperties: false })

export const CaptureBodySchema = Type.Object({
  /** How long to sample: 0.5 to 30 seconds. @default PROFILE_DURATION_MS */
  duration_ms: Type.Optional(Type.Integer({ minimum: 500, maximum: 30_000 }))
}, { additionalProperties: false })

/** POST /monitoring/profiles answers 202 with the profile being captured (status `capturing`). */
export const CaptureResponseSchema = Type.Object({ profile: ProfileSchema })

export type TopFunction = Static<typeof TopFunctionSchema>
export type Verdict = Static<typeof VerdictSchema>
export type QueryShare = Static<typeof QueryShareSchema>
export type RouteTimeSplit = Static<typeof RouteTimeSplitSchema>
export type TimeSplit = Static<typeof TimeSplitSchema>
export type Profile = Static<typeof ProfileSchema>
export type ProfileStatus = Static<typeof ProfileStatusSchema>
export type RoutePhases = Static<typeof RoutePhasesSchema>
export type ProfilesOverview = Static<typeof ProfilesOverviewSchema>
export type CaptureBody = Static<typeof CaptureBodySchema>
