import { sql, type SQL } from 'drizzle-orm'
import type { Database } from '../../db/client.js'
import { timedQuery } from '../../lib/observability/index.js'
import { MAX_CART_LINES, MAX_LINE_QUANTITY } from './cart.schemas.js'

type Executor = Database | Parameters<Parameters<Database['transaction']>[0]>[0]

/** A cart line with its product, as the cart queries name their columns (a type, so it can type a raw row). */
export type CartRow = {
  productId: number
  quantity: number
  unitPrice: string
  lineTotal: string
  /** The whole cart's total, repeated on every row (window sum). */
  total: string
  name: string
  slug: string
  price: string
  salePrice: string | null
  stockQuantity: number
  isActive: boolean
}

/** Why a cart write matched no row: the product's and the line's state, read afterwards. */
export interface CartLineState {
  productExists: boolean
  isActive: boolean
  stockQuantity: number
  /** Current quantity in the cart, 0 when the product is not in it. */
  inCart: number
  lineCount: number
}

/** A cart write's outcome: whether it matched a row, and the whole cart after it. */
export interface CartAfterWrite {
  written: boolean
  rows: CartRow[]
}

/**
 * Cart lines (`lines`: id, product_id, quantity, created_at) with their
 * products' live prices, line totals and the cart's total (window sum), in
 * one query, as CartRow columns; ordered by `l.created_at, l.id` where the
 * caller wants it.
 */
function pricedLines (lines: SQL): SQL {
  return sql`
    SELECT l.id, l.created_at, l.product_id AS "productId", l.quantity, p.effective_price AS "unitPrice",
           (l.quantity * p.effective_price)::numeric(12, 2) AS "lineTotal",
           (sum(l.quantity * p.effective_price) OVER ())::numeric(14, 2) AS total,
           p.name, p.slug, p.price, p.sale_price AS "salePrice", p.stock_quantity AS "stockQuantity", p.is_active AS "isActive"
    FROM (${lines}) l JOIN products p ON p.id = l.product_id`
}

/**
 * Runs a write of one line (`write`, a statement RETURNING the line's id,
 * product_id, quantity and created_at) and reads the whole cart in the same
 * statement: one round trip instead of two. The statement's other parts see
 * the table as it was before the write, so the written line comes from
 * RETURNING (`keepWritten`: false for a delete) and the others from the table.
 * The one-row count on the left keeps `written` when the cart is empty.
 */
async function writeAndList (ex: Executor, name: string, userId: number, productId: number, keepWritten: boolean, write: SQL): Promise<CartAfterWrite> {
  const rows = await timedQuery(name, ex.execute<Omit<CartRow, 'productId'> & { written: boolean, productId: number | null }>(sql`
    WITH w AS (${write})
    SELECT wc.n > 0 AS written, x.*
    FROM (SELECT count(*) AS n FROM w) wc
    LEFT JOIN (${pricedLines(sql`
      SELECT c.id, c.product_id, c.quantity, c.created_at FROM cart_items c
      WHERE c.user_id = ${userId} AND c.product_id <> ${productId}
      UNION ALL
      SELECT id, product_id, quantity, created_at FROM w WHERE ${keepWritten}`)}) x ON true
    ORDER BY x.created_at, x.id`))
  return {
    written: rows[0]?.written ?? false,
    rows: [...rows].filter((r): r is typeof r & CartRow => r.productId !== null)
  }
}

export function createCartRepository (db: Database) {
  return {
    /** The whole cart in one query: lines, live prices, line totals and the total. */
    async list (userId: number, ex: Executor = db): Promise<CartRow[]> {
      return [...await timedQuery('cart.list', ex.execute<CartRow>(sql`
        ${pricedLines(sql`SELECT id, product_id, quantity, created_at FROM cart_items WHERE user_id = ${userId}`)}
        ORDER BY l.created_at, l.id`))]
    },

    /**
     * Adds to the line in one atomic statement: inserts when the product is
     * active with enough stock and the cart has room; on an existing line
     * adds to it only while the sum stays within stock and the line cap.
     * Answers the cart after the write, from the same statement.
     */
    add (userId: number, productId: number, quantity: number, ex: Executor = db): Promise<CartAfterWrite> {
      return writeAndList(ex, 'cart.add', userId, productId, true, sql`
        INSERT INTO cart_items (user_id, product_id, quantity)
        SELECT ${userId}::int, p.id, ${quantity}::int
        FROM products p
        WHERE p.id = ${productId} AND p.is_active AND p.stock_quantity >= ${quantity}
          AND ((SELECT count(*) FROM cart_items c WHERE c.user_id = ${userId}) < ${MAX_CART_LINES}
               OR EXISTS (SELECT 1 FROM cart_items c WHERE c.user_id = ${userId} AND c.product_id = ${productId}))
        ON CONFLICT (user_id, product_id) DO UPDATE
          SET quantity = cart_items.quantity + excluded.quantity, updated_at = now()
          WHERE cart_items.quantity + excluded.quantity <= ${MAX_LINE_QUANTITY}
            AND cart_items.quantity + excluded.quantity <= (SELECT p.stock_quantity FROM products p WHERE p.id = excluded.product_id)
        RETURNING cart_items.id, cart_items.product_id, cart_items.quantity, cart_items.created_at`)
    },

    /** Sets an existing line's quantity when the product is active and has that much stock; answers the cart after it. */
    setQuantity (userId: number, productId: number, quantity: number, ex: Executor = db): Promise<CartAfterWrite> {
      return writeAndList(ex, 'cart.set_quantity', userId, productId, true, sql`
        UPDATE cart_items AS c SET quantity = ${quantity}, updated_at = now()
        FROM products p
        WHERE c.user_id = ${userId} AND c.product_id = ${productId}
          AND p.id = c.product_id AND p.is_active AND p.stock_quantity >= ${quantity}
        RETURNING c.id, c.product_id, c.quantity, c.created_at`)
    },

    /** Removes the line; answers the cart after it. */
    remove (userId: number, productId: number, ex: Executor = db): Promise<CartAfterWrite> {
      return writeAndList(ex, 'cart.remove', userId, productId, false, sql`
        DELETE FROM cart_items c WHERE c.user_id = ${userId} AND c.product_id = ${productId}
        RETURNING c.id, c.product_id, c.quantity, c.created_at`)
    },

    async lineState (userId: number, productId: number, ex: Executor = db): Promise<CartLineState> {
      const [row] = await timedQuery('cart.line_state', ex.execute<{ product_exists: boolean, is_active: boolean | null, stock_quantity: number | null, in_cart: number, line_count: number }>(sql`
        SELECT p.id IS NOT NULL AS product_exists, p.is_active, p.stock_quantity,
               coalesce((SELECT c.quantity FROM cart_items c WHERE c.user_id = ${userId} AND c.product_id = ${productId}), 0) AS in_cart,
               (SELECT count(*)::int FROM cart_items c WHERE c.user_id = ${userId}) AS line_count
        FROM (SELECT 1) AS one LEFT JOIN products p ON p.id = ${productId}`))
      return {
        productExists: row.product_exists,
        isActive: row.is_active ?? false,
        stockQuantity: row.stock_quantity ?? 0,
        inCart: row.in_cart,
        lineCount: row.line_count
      }
    }
  }
}

export type CartRepository = ReturnType<typeof createCartRepository>
