import { and, asc, eq, sql } from 'drizzle-orm'
import type { Database } from '../../db/client.js'
import { cartItems, products } from '../../db/schema/index.js'
import { timedQuery } from '../../lib/instrumentation.js'
import { MAX_CART_LINES, MAX_LINE_QUANTITY } from './cart.schemas.js'

type Executor = Database | Parameters<Parameters<Database['transaction']>[0]>[0]

export interface CartRow {
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

export function createCartRepository (db: Database) {
  return {
    /** The whole cart in one query: lines, live prices, line totals and the total. */
    list (userId: number, ex: Executor = db): Promise<CartRow[]> {
      return timedQuery('cart.list', ex.select({
        productId: cartItems.productId,
        quantity: cartItems.quantity,
        unitPrice: sql<string>`${products.effectivePrice}`,
        lineTotal: sql<string>`(${cartItems.quantity} * ${products.effectivePrice})::numeric(12, 2)`,
        total: sql<string>`(sum(${cartItems.quantity} * ${products.effectivePrice}) OVER ())::numeric(14, 2)`,
        name: products.name,
        slug: products.slug,
        price: products.price,
        salePrice: products.salePrice,
        stockQuantity: products.stockQuantity,
        isActive: products.isActive
      }).from(cartItems).innerJoin(products, eq(products.id, cartItems.productId))
        .where(eq(cartItems.userId, userId)).orderBy(asc(cartItems.createdAt), asc(cartItems.id)))
    },

    /**
     * Adds to the line in one atomic statement: inserts when the product is
     * active with enough stock and the cart has room; on an existing line
     * adds to it only while the sum stays within stock and the line cap.
     * Undefined when nothing was written (the caller finds out why).
     */
    async add (userId: number, productId: number, quantity: number, ex: Executor = db): Promise<number | undefined> {
      const [row] = await timedQuery('cart.add', ex.execute<{ quantity: number }>(sql`
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
        RETURNING quantity`))
      return row?.quantity
    },

    /** Sets an existing line's quantity when the product is active and has that much stock. */
    async setQuantity (userId: number, productId: number, quantity: number, ex: Executor = db): Promise<number | undefined> {
      const [row] = await timedQuery('cart.set_quantity', ex.execute<{ quantity: number }>(sql`
        UPDATE cart_items AS c SET quantity = ${quantity}, updated_at = now()
        FROM products p
        WHERE c.user_id = ${userId} AND c.product_id = ${productId}
          AND p.id = c.product_id AND p.is_active AND p.stock_quantity >= ${quantity}
        RETURNING c.quantity`))
      return row?.quantity
    },

    async remove (userId: number, productId: number, ex: Executor = db): Promise<boolean> {
      const rows = await timedQuery('cart.remove', ex.delete(cartItems)
        .where(and(eq(cartItems.userId, userId), eq(cartItems.productId, productId))).returning({ id: cartItems.id }))
      return rows.length > 0
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
