import type { Sql } from '../../../db/client.js'
import { timedQuery } from '../../../lib/observability/index.js'

/**
 * The business-metric queries. Every date filter is a half-open range on
 * the indexed timestamp (`created_at >= $start AND created_at < $end`),
 * never `date(created_at) = today`, so each one is an index range scan.
 * Day boundaries are computed by PostgreSQL in the configured time zone
 * from a `now` passed in (tests pin it). Money is summed as `numeric` and
 * returned as exact decimal strings. Cancelled orders are excluded from
 * orders and revenue alike. Times are passed as ISO strings: Drizzle makes
 * this shared postgres.js client pass date parameters through unserialized.
 */

export interface BusinessSummaryRow {
  users_total: number
  users_active_today: number
  users_new_today: number
  products_active: number
  products_low_stock: number
  orders_today: number
  orders_yesterday: number
  orders_yesterday_same_time: number
  revenue_today: string
  orders_30d: number
  revenue_30d: string
  avg_order_value_30d: string
}

export interface TopProductRow { product_id: number, name: string, total_sold: number, revenue: string }

export type BusinessRepository = ReturnType<typeof createBusinessRepository>

export function createBusinessRepository (sql: Sql) {
  return {
    /** The scalar figures in one round trip; `yesterday` is found from noon before midnight, so DST days work. */
    async summary (now: Date, timezone: string, lowStockThreshold: number): Promise<BusinessSummaryRow> {
      const [row] = await timedQuery('monitoring.business_summary', sql<BusinessSummaryRow[]>`
        WITH b AS (
          SELECT d.today, date_trunc('day', d.today - interval '12 hours', ${timezone}) AS yesterday, ${now.toISOString()}::timestamptz AS now
          FROM (SELECT date_trunc('day', ${now.toISOString()}::timestamptz, ${timezone}) AS today) d
        ), o AS (
          SELECT
            count(*) FILTER (WHERE created_at >= b.today)::int AS today,
            count(*) FILTER (WHERE created_at < b.today)::int AS yesterday,
            count(*) FILTER (WHERE created_at < b.yesterday + (b.now - b.today))::int AS yesterday_same_time,
            coalesce(sum(total_amount) FILTER (WHERE created_at >= b.today), 0)::text AS revenue_today
          FROM orders, b
          WHERE created_at >= b.yesterday AND created_at < b.now AND status <> 'cancelled'
        ), m AS (
          SELECT count(*)::int AS n, coalesce(sum(total_amount), 0) AS revenue
          FROM orders, b
          WHERE created_at >= b.now - interval '30 days' AND created_at < b.now AND status <> 'cancelled'
        )
        SELECT
          (SELECT count(*) FROM users)::int AS users_total,
          (SELECT count(*) FROM users WHERE last_login >= b.today AND last_login < b.now)::int AS users_active_today,
          (SELECT count(*) FROM users WHERE created_at >= b.today AND created_at < b.now)::int AS users_new_today,
          (SELECT count(*) FROM products WHERE is_active)::int AS products_active,
          (SELECT count(*) FROM products WHERE is_active AND stock_quantity <= ${lowStockThreshold})::int AS products_low_stock,
          o.today AS orders_today, o.yesterday AS orders_yesterday, o.yesterday_same_time AS orders_yesterday_same_time,
          o.revenue_today,
          m.n AS orders_30d, m.revenue::text AS revenue_30d,
          coalesce(round(m.revenue / nullif(m.n, 0), 2), 0)::text AS avg_order_value_30d
        FROM b, o, m`)
      return row
    },

    /** Orders per minute in [from, to), only minutes that had orders (epoch seconds of the minute start). */
    async ordersPerMinute (from: Date, to: Date): Promise<{ t: number, n: number }[]> {
      return await timedQuery('monitoring.business_orders_per_minute', sql<{ t: number, n: number }[]>`
        SELECT extract(epoch FROM date_trunc('minute', created_at))::int AS t, count(*)::int AS n
        FROM orders
        WHERE created_at >= ${from.toISOString()} AND created_at < ${to.toISOString()} AND status <> 'cancelled'
        GROUP BY 1 ORDER BY 1`)
    },

    /** Best sellers by quantity in [from, to); ties by revenue, then id. */
    async topProducts (from: Date, to: Date, limit: number): Promise<TopProductRow[]> {
      return await timedQuery('monitoring.business_top_products', sql<TopProductRow[]>`
        SELECT oi.product_id, p.name, sum(oi.quantity)::int AS total_sold, sum(oi.total_price)::text AS revenue
        FROM orders o
        JOIN order_items oi ON oi.order_id = o.id
        JOIN products p ON p.id = oi.product_id
        WHERE o.created_at >= ${from.toISOString()} AND o.created_at < ${to.toISOString()} AND o.status <> 'cancelled'
        GROUP BY oi.product_id, p.name
        ORDER BY total_sold DESC, sum(oi.total_price) DESC, oi.product_id
        LIMIT ${limit}`)
    },

    /**
     * Users who placed an order in [from, to), and users with cart activity
     * then: a cart row updated in the range, or an order placed (placing an
     * order empties the cart, so buyers count as cart users).
     */
    async conversion (from: Date, to: Date): Promise<{ ordering: number, carting: number }> {
      const [row] = await timedQuery('monitoring.business_conversion', sql<{ ordering: number, carting: number }[]>`
        WITH buyers AS (
          SELECT DISTINCT user_id FROM orders WHERE created_at >= ${from.toISOString()} AND created_at < ${to.toISOString()} AND status <> 'cancelled'
        ), carts AS (
          SELECT DISTINCT user_id FROM cart_items WHERE updated_at >= ${from.toISOString()} AND updated_at < ${to.toISOString()}
        )
        SELECT (SELECT count(*) FROM buyers)::int AS ordering,
               (SELECT count(*) FROM (SELECT user_id FROM buyers UNION SELECT user_id FROM carts) u)::int AS carting`)
      return row
    }
  }
}
