/**
 * Cache keys, tags and TTL of the cart, built only here. The cache plugin
 * prefixes keys as `<prefix>:cache:user_cart:<key>`.
 *
 * Tags:
 * - `cart:u:<userId>`: the user's cart; every write of the user's lines
 *   (add, quantity, remove, an order emptying the cart) bumps it.
 * A cached cart also carries the catalog's tags of the products it shows
 * (`CatalogService.detailTags`): whatever makes a product's cached detail
 * stale (price, name, stock, activity, a bulk change) makes every cached
 * cart showing it stale in the same bump, so a cart never shows a price
 * older than the product's own cached detail.
 */
export const CartTags = {
  user: (userId: number) => `cart:u:${userId}`
}

export const CartKeys = {
  /** One entry per user: the whole cart, as GET /cart answers it. */
  cart: (userId: number) => String(userId)
}

/** Fresh lifetime of a cached cart, in seconds; writes made through the API invalidate at once. */
export const CART_CACHE_TTL_S = 1800
