import { Type, type Static } from 'typebox'

const Count = Type.Integer({ minimum: 0 })
const Num = Type.Number()
const IsoDate = Type.String({ format: 'date-time' })

export const SearchQueryCountSchema = Type.Object({ query: Type.String(), count: Count })

export const SlowSearchSchema = Type.Object({
  query: Type.String(),
  duration_ms: Num,
  results: Count,
  at: IsoDate
})

/** Searches over the last 24 hours (hourly buckets in Redis). */
export const SearchAnalyticsSchema = Type.Object({
  window_h: Count,
  total_searches: Count,
  zero_result_searches: Count,
  top_queries: Type.Array(SearchQueryCountSchema),
  zero_result_queries: Type.Array(SearchQueryCountSchema),
  slow_searches: Type.Array(SlowSearchSchema),
  /** False when Redis is unreachable (nothing to show). */
  available: Type.Boolean(),
  /** When these figures were read from Redis: at most about a second ago (searches reach Redis within a second). */
  computed_at: IsoDate
})

export type SearchAnalytics = Static<typeof SearchAnalyticsSchema>
export type SlowSearch = Static<typeof SlowSearchSchema>
