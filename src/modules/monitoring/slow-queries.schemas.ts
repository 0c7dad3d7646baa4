import { Type, type Static } from 'typebox'

/** JSON shapes of GET /monitoring/slow-queries (the dashboard's slow-query panel). */

export const SlowQuerySchema = Type.Object({
  id: Type.Integer(),
  /** The stable query name given to timedQuery (e.g. `catalog.search`). */
  name: Type.String(),
  duration_ms: Type.Number(),
  /** Parameterized SQL text ($1, $2 ...), truncated; parameter values are never stored. */
  sql: Type.String(),
  param_count: Type.Integer(),
  /** `EXPLAIN (FORMAT JSON)` output, or null when the query was not a SELECT or EXPLAIN failed. */
  plan: Type.Union([Type.Array(Type.Unknown()), Type.Null()]),
  /** Why there is no plan (not a SELECT, timeout, ...). */
  plan_error: Type.Union([Type.String(), Type.Null()]),
  /** The planner's total cost estimate of the top plan node, when a plan exists. */
  total_cost: Type.Union([Type.Number(), Type.Null()]),
  /** Slow executions of this query name since its previous capture (captures are rate limited per name). */
  occurrences: Type.Integer(),
  instance: Type.String(),
  captured_at: Type.String({ format: 'date-time' })
})

export const SlowQueriesQuerySchema = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 }))
}, { additionalProperties: false })

export const SlowQueriesResponseSchema = Type.Object({
  /** Newest first. */
  queries: Type.Array(SlowQuerySchema),
  /** Queries slower than this (ms) are captured. */
  threshold_ms: Type.Number()
})

export type SlowQuery = Static<typeof SlowQuerySchema>
export type SlowQueriesResponse = Static<typeof SlowQueriesResponseSchema>
