import { and, asc, eq, inArray, sql } from 'drizzle-orm'
import type { Database } from '../../db/client.js'
import { products } from '../../db/schema/index.js'
import { timedQuery } from '../../lib/observability/index.js'

type Executor = Database | Parameters<Parameters<Database['transaction']>[0]>[0]

export interface StockLine { productId: number, quantity: number }

/** A committed change of one product's stock. */
export interface StockMove { productId: number, before: number, after: number }

export interface RatingSummary { ratingAvg: string, ratingCount: number }

function valuesList (lines: StockLine[]) {
  return sql.join(lines.map((l) => sql`(${l.productId}::int, ${l.quantity}::int)`), sql`, `)
}

/**
 * Stock and rating summaries on the products table. Every write is a
 * single set-based statement; callers pass the transaction they run in.
 * Checkout takes stock inside `place_order` (migration 0007), the one
 * statement that places an order.
 */
export function createInventoryRepository (db: Database) {
  return {
    /**
     * Locks the products' rows in ascending id order (the sort happens
     * before the row locks are taken), the order `place_order` (migration
     * 0007) locks them in too, so a cancellation and orders cannot deadlock.
     */
    async lockProducts (ids: number[], ex: Executor = db): Promise<void> {
      await timedQuery('inventory.lock_products', ex.select({ id: products.id })
        .from(products).where(inArray(products.id, ids)).orderBy(asc(products.id)).for('no key update'))
    },

    /** Puts stock back (cancelled orders), also for products deactivated since; each product's stock before and after. */
    async restoreStock (lines: StockLine[], ex: Executor = db): Promise<StockMove[]> {
      const rows = await timedQuery('inventory.restore_stock', ex.execute<{ id: number, before: number, after: number }>(sql`
        UPDATE products AS p
        SET stock_quantity = p.stock_quantity + l.quantity, updated_at = now()
        FROM (VALUES ${valuesList(lines)}) AS l (id, quantity)
        WHERE p.id = l.id
        RETURNING p.id, p.stock_quantity - l.quantity AS before, p.stock_quantity AS after`))
      return rows.map((r) => ({ productId: r.id, before: r.before, after: r.after }))
    },

    /** Locks one active product's row and answers its seller; undefined when it is missing or inactive. */
    async lockActiveProduct (id: number, ex: Executor = db): Promise<{ id: number, sellerId: number } | undefined> {
      const [row] = await timedQuery('inventory.lock_product', ex.select({ id: products.id, sellerId: products.sellerId }).from(products)
        .where(and(eq(products.id, id), eq(products.isActive, true))).for('no key update'))
      return row
    },

    /** Recomputes the approved-review average and count from the reviews themselves (exact, no drift). */
    async refreshRating (productId: number, ex: Executor = db): Promise<RatingSummary | undefined> {
      const [row] = await timedQuery('inventory.refresh_rating', ex.execute<{ rating_avg: string, rating_count: number }>(sql`
        UPDATE products AS p
        SET rating_avg = s.avg, rating_count = s.count, updated_at = now()
        FROM (
          SELECT coalesce(round(avg(r.rating), 2), 0) AS avg, count(*)::int AS count
          FROM reviews r WHERE r.product_id = ${productId} AND r.is_approved
        ) AS s
        WHERE p.id = ${productId}
        RETURNING p.rating_avg, p.rating_count`))
      return row ? { ratingAvg: row.rating_avg, ratingCount: row.rating_count } : undefined
    }
  }
}

export type InventoryRepository = ReturnType<typeof createInventoryRepository>
