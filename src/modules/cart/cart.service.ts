import type { Database } from '../../db/client.js'
import { withDetails } from '../../errors.js'
import { money } from '../../lib/http-schemas.js'
import { CartErrors } from './cart.errors.js'
import { createCartRepository, type CartLineState, type CartRow } from './cart.repository.js'
import { MAX_CART_LINES, MAX_LINE_QUANTITY, type AddToCartBody, type Cart } from './cart.schemas.js'

export interface CartServiceDeps { db: Database }

function toCart (rows: CartRow[]): Cart {
  return {
    items: rows.map((r) => ({
      product_id: r.productId,
      quantity: r.quantity,
      unit_price: money(r.unitPrice),
      line_total: money(r.lineTotal),
      product: {
        id: r.productId,
        name: r.name,
        slug: r.slug,
        price: money(r.price),
        sale_price: r.salePrice === null ? null : money(r.salePrice),
        stock_quantity: r.stockQuantity,
        is_active: r.isActive
      }
    })),
    total: rows.length > 0 ? money(rows[0].total) : 0
  }
}

/**
 * Explains a cart write that matched no row, in the order a client can act
 * on: missing product, inactive product, full cart, line cap, stock.
 */
function refusal (productId: number, resulting: number, state: CartLineState, adding: boolean): Error {
  if (!state.productExists) return new CartErrors.PRODUCT_NOT_FOUND(productId)
  if (!state.isActive) return new CartErrors.PRODUCT_UNAVAILABLE(productId)
  if (adding && state.inCart === 0 && state.lineCount >= MAX_CART_LINES) return new CartErrors.TOO_MANY_LINES(MAX_CART_LINES)
  if (resulting > MAX_LINE_QUANTITY) return new CartErrors.LINE_QUANTITY_LIMIT(MAX_LINE_QUANTITY, productId)
  // Also the answer when stock changed between the write and this read: a stock race is a conflict.
  return withDetails(new CartErrors.INSUFFICIENT_STOCK(productId, state.stockQuantity, resulting), [
    { field: 'quantity', message: `requested ${resulting}, available ${state.stockQuantity}`, product_id: productId, requested: resulting, available: state.stockQuantity }
  ])
}

/**
 * The caller's cart. Writes are single atomic statements that check stock
 * and activity themselves and answer the cart after them; a refused write is
 * explained by a second read.
 */
export function createCartService ({ db }: CartServiceDeps) {
  const repo = createCartRepository(db)

  async function get (userId: number): Promise<Cart> {
    return toCart(await repo.list(userId))
  }

  return {
    get,

    /** Adds `quantity` to the product's line (creating it), within stock; answers the whole cart. */
    async add (userId: number, body: AddToCartBody): Promise<Cart> {
      const after = await repo.add(userId, body.product_id, body.quantity)
      if (!after.written) {
        const state = await repo.lineState(userId, body.product_id)
        throw refusal(body.product_id, state.inCart + body.quantity, state, true)
      }
      return toCart(after.rows)
    },

    /** Sets an existing line's quantity (1..stock). */
    async setQuantity (userId: number, productId: number, quantity: number): Promise<Cart> {
      const after = await repo.setQuantity(userId, productId, quantity)
      if (!after.written) {
        const state = await repo.lineState(userId, productId)
        if (state.inCart === 0) throw new CartErrors.ITEM_NOT_FOUND(productId)
        throw refusal(productId, quantity, state, false)
      }
      return toCart(after.rows)
    },

    async remove (userId: number, productId: number): Promise<Cart> {
      const after = await repo.remove(userId, productId)
      if (!after.written) throw new CartErrors.ITEM_NOT_FOUND(productId)
      return toCart(after.rows)
    }
  }
}

export type CartService = ReturnType<typeof createCartService>
