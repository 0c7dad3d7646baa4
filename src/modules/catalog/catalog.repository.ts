import { and, eq, sql as dsql } from 'drizzle-orm'
import type { Database, Sql } from '../../db/client.js'
import { categories, products } from '../../db/schema/index.js'
import { timedQuery } from '../../lib/observability/index.js'
import { timedSql } from './catalog.sql.js'

/** Drizzle's transaction handle, or the database itself. */
export type Executor = Database | Parameters<Parameters<Database['transaction']>[0]>[0]

/** The columns of a product in lists (money and ratings as numeric text). */
export interface SummaryRow {
  id: number
  name: string
  slug: string
  short_description: string | null
  price: string
  sale_price: string | null
  effective_price: string
  stock_quantity: number
  brand: string | null
  is_featured: boolean
  rating_avg: string
  rating_count: number
  /** ISO 8601 UTC text, formatted by the query. */
  created_at: string
  category_id: number
  category_name: string
  category_slug: string
}

export interface DetailRow extends SummaryRow {
  description: string | null
  sku: string
  weight: string | null
  dimensions: string | null
  is_active: boolean
  seller_id: number
  updated_at: string
}

export interface CategoryRow {
  id: number
  name: string
  slug: string
  description: string | null
  parent_id: number | null
  sort_order: number
}

// Timestamps leave the database as ISO 8601 UTC text: Drizzle configures the shared
// postgres.js client to return timestamps as raw text, and this needs no date parsing.
const ISO = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`

/** `p` = products, `c` = categories: one join, no per-row lookups (ratings are precomputed on the row). */
const SUMMARY_COLUMNS_SQL = `
  p.id, p.name, p.slug, p.short_description, p.price, p.sale_price, p.effective_price, p.stock_quantity,
  p.brand, p.is_featured, p.rating_avg, p.rating_count, ${ISO('p.created_at')} AS created_at, p.category_id,
  c.name AS category_name, c.slug AS category_slug`
export const SUMMARY_COLUMNS = (sql: Sql) => sql.unsafe(SUMMARY_COLUMNS_SQL)

const DETAIL_COLUMNS = (sql: Sql) => sql.unsafe(`${SUMMARY_COLUMNS_SQL},
  p.description, p.sku, p.weight, p.dimensions, p.is_active, p.seller_id, ${ISO('p.updated_at')} AS updated_at`)

/** Orders in these states, placed within this many days, make a product popular. */
export const POPULAR_WINDOW_DAYS = 30

/**
 * Single-query reads and writes of the catalog. Reads go through
 * postgres.js tagged templates (named prepared statements, planned once per
 * connection) on the read pool; writes use Drizzle on the primary and accept
 * the caller's transaction.
 */
export function createCatalogRepository (deps: { db: Database, sql: Sql, readSql: Sql }) {
  const { db, readSql } = deps
  return {
    /** An active product; `includeInactive` also finds soft-deleted ones (write responses). */
    async findDetail (id: number, sql: Sql = readSql, opts: { includeInactive?: boolean } = {}): Promise<DetailRow | undefined> {
      const [row] = await timedSql('catalog.product_by_id', sql<DetailRow[]>`
        SELECT ${DETAIL_COLUMNS(sql)} FROM products p JOIN categories c ON c.id = p.category_id
        WHERE p.id = ${id} AND (p.is_active OR ${opts.includeInactive === true})`)
      return row
    },

    async findDetailBySlug (slug: string): Promise<DetailRow | undefined> {
      const [row] = await timedSql('catalog.product_by_slug', readSql<DetailRow[]>`
        SELECT ${DETAIL_COLUMNS(readSql)} FROM products p JOIN categories c ON c.id = p.category_id
        WHERE p.slug = ${slug} AND p.is_active`)
      return row
    },

    listCategories (): Promise<CategoryRow[]> {
      return timedSql('catalog.categories', readSql<CategoryRow[]>`
        SELECT id, name, slug, description, parent_id, sort_order FROM categories
        WHERE is_active ORDER BY sort_order, name`)
    },

    async allCategoryIds (): Promise<number[]> {
      const rows = await timedSql('catalog.category_ids', deps.sql<{ id: number }[]>`SELECT id FROM categories`)
      return rows.map((r) => r.id)
    },

    async countByCategory (): Promise<Map<number, number>> {
      const rows = await timedSql('catalog.category_counts', readSql<{ category_id: number, n: string }[]>`
        SELECT category_id, count(*) AS n FROM products WHERE is_active GROUP BY category_id`)
      return new Map(rows.map((r) => [r.category_id, Number(r.n)]))
    },

    /** Popular products: order lines of shipped or delivered orders in the window, most first. */
    popular (limit: number): Promise<(SummaryRow & { order_count: string })[]> {
      return timedSql('catalog.popular', readSql<(SummaryRow & { order_count: string })[]>`
        SELECT ${SUMMARY_COLUMNS(readSql)}, t.order_count
        FROM (
          SELECT oi.product_id, count(*) AS order_count
          FROM orders o JOIN order_items oi ON oi.order_id = o.id
          WHERE o.status IN ('shipped', 'delivered') AND o.created_at >= now() - make_interval(days => ${POPULAR_WINDOW_DAYS})
          GROUP BY oi.product_id
        ) t
        JOIN products p ON p.id = t.product_id AND p.is_active
        JOIN categories c ON c.id = p.category_id
        ORDER BY t.order_count DESC, p.id
        LIMIT ${limit}`)
    },

    /** Category and slug of products, active or not, for invalidation. */
    productRefs (ids: number[]): Promise<{ id: number, category_id: number, slug: string }[]> {
      return timedSql('catalog.product_refs', deps.sql<{ id: number, category_id: number, slug: string }[]>`
        SELECT id, category_id, slug FROM products WHERE id = ANY(${ids}::int[])`)
    },

    /** Locks the product row for a write and returns what the rules need. */
    async lockForWrite (id: number, ex: Executor) {
      const [row] = await timedQuery('catalog.lock_product', ex.select({
        sellerId: products.sellerId,
        categoryId: products.categoryId,
        slug: products.slug,
        price: products.price,
        salePrice: products.salePrice,
        isActive: products.isActive
      }).from(products).where(eq(products.id, id)).for('no key update'))
      return row
    },

    async activeCategoryExists (id: number, ex: Executor = db): Promise<boolean> {
      const rows = await timedQuery('catalog.category_exists', ex.select({ id: categories.id }).from(categories)
        .where(and(eq(categories.id, id), eq(categories.isActive, true))))
      return rows.length > 0
    },

    async activeSellerExists (id: number, ex: Executor = db): Promise<boolean> {
      const rows = await timedQuery('catalog.seller_exists', ex.execute(dsql`
        SELECT 1 FROM users WHERE id = ${id} AND is_active AND user_type IN ('seller', 'admin')`))
      return rows.length > 0
    },

    /** Inserts unless the slug is taken (then returns undefined); a duplicate SKU still raises 23505. */
    async insertProduct (values: typeof products.$inferInsert, ex: Executor = db): Promise<number | undefined> {
      const rows = await timedQuery('catalog.insert_product', ex.insert(products).values(values)
        .onConflictDoNothing({ target: products.slug }).returning({ id: products.id }))
      return rows[0]?.id
    },

    async updateProduct (id: number, set: Partial<typeof products.$inferInsert>, ex: Executor = db): Promise<void> {
      await timedQuery('catalog.update_product', ex.update(products)
        .set({ ...set, updatedAt: dsql`now()` }).where(eq(products.id, id)))
    }
  }
}

export type CatalogRepository = ReturnType<typeof createCatalogRepository>
