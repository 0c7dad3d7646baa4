import type { Database } from '../../db/client.js'
import { withDetails } from '../../errors.js'
import { money, type JsonAnswer } from '../../lib/http/index.js'
import type { CacheDecorator, WriteMark } from '../../plugins/cache.js'
import { CartErrors } from './cart.errors.js'
import { CART_CACHE_TTL_S, CartKeys, CartTags } from './cart.keys.js'
import { createCartRepository, type CartAfterWrite, type CartLineState, type CartRow } from './cart.repository.js'
import { MAX_CART_LINES, MAX_LINE_QUANTITY, type AddToCartBody, type Cart } from './cart.schemas.js'

export interface CartServiceDeps {
  db: Database
  cache: CacheDecorator
  /**
   * The catalog's invalidation tags of these products' cached details
   * (`CatalogService.detailTags`): a cached cart carries them, so it goes
   * stale whenever the detail of a product it shows does.
   */
  productTags: (productIds: number[]) => string[]
}

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
 *
 * GET /cart is cached per user (cart.keys.ts), with the tags of the products
 * it shows. A write's answer is the whole cart after it, read in the write's
 * own statement, so it becomes the cached cart (write-through) and the next
 * read is a hit; a refused write changed nothing and invalidates nothing.
 */
export function createCartService ({ db, cache, productTags }: CartServiceDeps) {
  const repo = createCartRepository(db)

  /** The cached cart's tags besides the user's own: its products' detail tags. */
  const shownTags = (rows: CartRow[]): string[] => productTags(rows.map((r) => r.productId))

  /** After a committed write: the cart it answered becomes the cached one (when nothing raced it). */
  async function written (userId: number, mark: WriteMark, after: CartAfterWrite): Promise<Cart> {
    const cart = toCart(after.rows)
    await cache.invalidateAndStore(mark, {
      type: 'user_cart',
      key: CartKeys.cart(userId),
      body: JSON.stringify(cart),
      tags: shownTags(after.rows),
      ttlS: CART_CACHE_TTL_S
    })
    return cart
  }

  const beginWrite = (userId: number): WriteMark => cache.beginWrite([CartTags.user(userId)])

  return {
    /** GET /cart: the serialized cart, from the cache when no write (or product change) made it stale. */
    get (userId: number): Promise<JsonAnswer> {
      return cache.getOrLoad({
        type: 'user_cart',
        key: CartKeys.cart(userId),
        coherent: true,
        tags: [CartTags.user(userId)],
        load: async () => {
          const rows = await repo.list(userId)
          return { body: JSON.stringify(toCart(rows)), tags: shownTags(rows), ttlS: CART_CACHE_TTL_S }
        }
      })
    },

    /** The tag of the user's cached cart, for writes made elsewhere (an order empties the cart). */
    tag: (userId: number): string => CartTags.user(userId),

    /** Adds `quantity` to the product's line (creating it), within stock; answers the whole cart. */
    async add (userId: number, body: AddToCartBody): Promise<Cart> {
      const mark = beginWrite(userId)
      const after = await repo.add(userId, body.product_id, body.quantity)
      if (!after.written) {
        const state = await repo.lineState(userId, body.product_id)
        throw refusal(body.product_id, state.inCart + body.quantity, state, true)
      }
      return written(userId, mark, after)
    },

    /** Sets an existing line's quantity (1..stock). */
    async setQuantity (userId: number, productId: number, quantity: number): Promise<Cart> {
      const mark = beginWrite(userId)
      const after = await repo.setQuantity(userId, productId, quantity)
      if (!after.written) {
        const state = await repo.lineState(userId, productId)
        if (state.inCart === 0) throw new CartErrors.ITEM_NOT_FOUND(productId)
        throw refusal(productId, quantity, state, false)
      }
      return written(userId, mark, after)
    },

    async remove (userId: number, productId: number): Promise<Cart> {
      const mark = beginWrite(userId)
      const after = await repo.remove(userId, productId)
      if (!after.written) throw new CartErrors.ITEM_NOT_FOUND(productId)
      return written(userId, mark, after)
    }
  }
}

export type CartService = ReturnType<typeof createCartService>
