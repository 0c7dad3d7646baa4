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
  avg_cache_ms: Type.Number(),
  avg_serialize_ms: Type.Number(),
  /** Total minus db, cache and serialize: our own code and waiting on the event loop. */
  avg_handler_ms: Type.Number(),
  max_total_ms: Type.Number(),
  /** The p95 budget watched by automatic profiling, when the route has one. */
  budget_ms: NullableNumber
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
  cooldowns: Type.Array(Type.Object({ route: Type.String(), until: IsoDate }))
})

export const ProfilesQuerySchema = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 })
}, { additionalProperties: false })

export const ProfileIdParamsSchema = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }) }, { additionalProperties: false })

export const CaptureBodySchema = Type.Object({
  /** How long to sample: 0.5 to 30 seconds. @default PROFILE_DURATION_MS */
  duration_ms: Type.Optional(Type.Integer({ minimum: 500, maximum: 30_000 }))
}, { additionalProperties: false })

/** POST /monitoring/profiles answers 202 with the profile being captured (status `capturing`). */
export const CaptureResponseSchema = Type.Object({ profile: ProfileSchema })

export type TopFunction = Static<typeof TopFunctionSchema>
export type Profile = Static<typeof ProfileSchema>
export type ProfileStatus = Static<typeof ProfileStatusSchema>
export type RoutePhases = Static<typeof RoutePhasesSchema>
export type ProfilesOverview = Static<typeof ProfilesOverviewSchema>
export type CaptureBody = Static<typeof CaptureBodySchema>
