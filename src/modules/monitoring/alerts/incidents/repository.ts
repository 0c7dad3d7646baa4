import { and, gte, lt, ne } from 'drizzle-orm'
import type { Database } from '../../../../db/client.js'
import { metricRollups, ROLLUP_ALL_ROUTES } from '../../../../db/schema/monitoring-metrics.js'
import { timedQuery } from '../../../../lib/observability/index.js'
import type { RouteMinute } from './latency.js'

/** Rows read per incident at most: 25 minutes of 100 busy routes on 4 instances is 10,000. */
const MAX_ROWS = 20_000

export type IncidentsRepository = ReturnType<typeof createIncidentsRepository>

export function createIncidentsRepository (db: Database) {
  return {
    /**
     * Per-route minute rollups of every instance with a minute in
     * [fromS, toS): a range on the primary key's leading column.
     */
    async routeMinutes (fromS: number, toS: number): Promise<RouteMinute[]> {
      if (toS <= fromS) return []
      const rows = await timedQuery('monitoring.incident_route_minutes', db
        .select({ minute: metricRollups.minute, instanceId: metricRollups.instanceId, route: metricRollups.route, requests: metricRollups.requests, p95Ms: metricRollups.p95Ms })
        .from(metricRollups)
        .where(and(gte(metricRollups.minute, new Date(fromS * 1000)), lt(metricRollups.minute, new Date(toS * 1000)), ne(metricRollups.route, ROLLUP_ALL_ROUTES)))
        .limit(MAX_ROWS))
      return rows.map((r) => ({ route: r.route, instanceId: r.instanceId, minuteS: Math.floor(r.minute.getTime() / 1000), requests: r.requests, p95Ms: r.p95Ms }))
    }
  }
}
