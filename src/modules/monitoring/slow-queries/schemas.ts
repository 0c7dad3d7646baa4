import { Type, type Static } from 'typebox'

/** JSON shapes of GET /monitoring/slow-queries (the dashboard's slow-query panel). */

const NullableNumber = Type.Union([Type.Number(), Type.Null()])

export const SlowQueryReasonSchema = Type.Union([Type.Literal('absolute'), Type.Literal('relative')])

export const SlowQuerySchema = Type.Object({
  id: Type.Integer(),
  /** The stable query name given to timedQuery (e.g. `catalog.search_rum`). */
  name: Type.String(),
  /**
   * `absolute`: one execution slower than SLOW_QUERY_MS. `relative`: the query's p95 over the
   * last SLOW_QUERY_RELATIVE_WINDOW_S reached SLOW_QUERY_RELATIVE_FACTOR × its own baseline.
   */
  reason: SlowQueryReasonSchema,
  /**
   * One line: `catalog.search_rum: p95 45 ms, normally 3.1 ms, plan: Seq Scan on products`
   * (relative) or `orders.list: 230 ms (over 100 ms), plan: ...` (absolute).
   */
  summary: Type.String(),
  /** The captured execution (relative: the slowest of the window, whose parameters were EXPLAINed). */
  duration_ms: Type.Number(),
  /** Relative captures: the window p95 and the baseline p95 (ms), and the executions in the window; null for absolute ones. */
  p95_ms: NullableNumber,
  baseline_ms: NullableNumber,
  window_samples: Type.Union([Type.Integer(), Type.Null()]),
  /** Parameterized SQL text ($1, $2 ...), truncated; parameter values are never stored. */
  sql: Type.String(),
  param_count: Type.Integer(),
  /**
   * `EXPLAIN (FORMAT JSON)` output, or null when the query was not a SELECT or EXPLAIN failed.
   * Absolute: the generic plan. Relative: the plan for the captured execution's parameters,
   * with every constant replaced ('…' for strings, ? for numbers).
   */
  plan: Type.Union([Type.Array(Type.Unknown()), Type.Null()]),
  /** Why there is no plan (not a SELECT, timeout, ...). */
  plan_error: Type.Union([Type.String(), Type.Null()]),
  /** The planner's total cost estimate of the top plan node, when a plan exists. */
  total_cost: NullableNumber,
  /**
   * Since this name's previous capture of the same reason (captures are rate limited per name):
   * absolute, executions over SLOW_QUERY_MS; relative, executions over factor × baseline.
   */
  occurrences: Type.Integer(),
  instance: Type.String(),
  captured_at: Type.String({ format: 'date-time' })
})

/** A named query's live baseline on this instance. */
export const QueryBaselineSchema = Type.Object({
  name: Type.String(),
  /** p95 of the current window, or null with fewer than SLOW_QUERY_RELATIVE_MIN_SAMPLES executions in it. */
  p95_ms: NullableNumber,
  /** p95 over the baseline period (not-degraded time only), or null while still learned. */
  baseline_ms: NullableNumber,
  /** Executions in the current window. */
  window_samples: Type.Integer(),
  degraded: Type.Boolean(),
  degraded_since: Type.Union([Type.String({ format: 'date-time' }), Type.Null()])
})

export const RelativeSettingsSchema = Type.Object({
  /** False when SLOW_QUERY_RELATIVE_FACTOR is 0 (or capture is off). */
  enabled: Type.Boolean(),
  factor: Type.Number(),
  floor_ms: Type.Number(),
  window_s: Type.Number(),
  min_samples: Type.Integer(),
  baseline_s: Type.Number()
})

export const SlowQueriesQuerySchema = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50, description: 'Captures to return, newest first' }),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Only captures of this query name (e.g. `catalog.search_rum`)' })),
  reason: Type.Optional(Type.Union(SlowQueryReasonSchema.anyOf, { description: 'Only `absolute` or only `relative` captures' }))
}, { additionalProperties: false })

export const SlowQueriesResponseSchema = Type.Object({
  /** Newest first. */
  queries: Type.Array(SlowQuerySchema),
  /** Queries slower than this (ms) are captured (absolute); 0 = off. */
  threshold_ms: Type.Number(),
  relative: RelativeSettingsSchema,
  /** This instance's named queries with a baseline, degraded first, then by p95 / baseline. */
  baselines: Type.Array(QueryBaselineSchema)
})

export type SlowQuery = Static<typeof SlowQuerySchema>
export type SlowQueryReason = Static<typeof SlowQueryReasonSchema>
export type QueryBaseline = Static<typeof QueryBaselineSchema>
export type SlowQueriesQuery = Static<typeof SlowQueriesQuerySchema>
export type SlowQueriesResponse = Static<typeof SlowQueriesResponseSchema>
