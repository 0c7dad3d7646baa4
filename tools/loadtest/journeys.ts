import type { CatalogSampler } from './data.js'
import type { HttpRequest, HttpResult } from './http.js'
import { intBetween, pick, type Rng } from './prng.js'
import type { VirtualUser } from './users.js'

/**
 * User journeys: what a shopper does in one visit, as a sequence of API
 * calls. Each `send` waits for the user's next due time (think time, see
 * open-model.ts), so journeys read like a script. Every random choice comes
 * from the user's own seeded stream; nothing random depends on a response.
 */

export const JOURNEY_NAMES = ['browse', 'detail', 'search', 'cart', 'checkout', 'account', 'flash'] as const
export type JourneyName = typeof JOURNEY_NAMES[number]

export interface Step extends HttpRequest {
  /** Route template for the report, e.g. `GET /products/:id`. */
  endpoint: string
  /** Non-2xx statuses this step treats as a normal business answer (a sold-out 409). */
  expect?: readonly number[]
}

export interface JourneyStats {
  ordersPlaced: number
  /** Checkouts answered 409 (stock ran out between cart and order). */
  orderConflicts: number
  flashWins: number
  flashLosses: number
}

export interface JourneyContext {
  readonly user: VirtualUser
  readonly rng: Rng
  readonly catalog: CatalogSampler
  /** Unique per run: idempotency keys must never collide with an earlier run's. */
  readonly runId: string
  readonly stats: JourneyStats
  /** The flash-sale product, in that scenario. */
  readonly flashProductId?: number
  /**
   * Sends a step, with the user's token, when it is due; throws `JourneyStop`
   * when the user's time is up or the step was dropped. Every request carries
   * the token (a signed-in shopper's storefront sends it on catalogue pages
   * too), so rate limits count per user, never per load-generator IP.
   */
  send: (step: Step) => Promise<HttpResult>
}

export type Journey = (ctx: JourneyContext) => Promise<void>

const ok = (res: HttpResult): boolean => res.status >= 200 && res.status < 300
const PAGE_SIZE = 20
const SORTS = ['', 'price:asc', 'price:desc', 'rating:desc', 'created_at:desc'] as const
const PRICE_BANDS = [[0, 50], [50, 200], [200, 1000], [1000, 5000]] as const
const SOLD_OUT = [409] as const

function sortQuery (rng: Rng): string {
  const sort = pick(rng, SORTS)
  if (!sort) return ''
  const [by, order] = sort.split(':')
  return `&sort_by=${by}&sort_order=${order}`
}

/** Category pages: the navigation tree or the home page's popular products, a category listing, sometimes page 2 or a price filter. */
const browse: Journey = async (ctx) => {
  const { rng, catalog } = ctx
  const entry = rng()
  if (entry < 0.15) await ctx.send({ endpoint: 'GET /categories', method: 'GET', path: '/api/v1/categories' })
  else if (entry < 0.3) await ctx.send({ endpoint: 'GET /products/popular', method: 'GET', path: '/api/v1/products/popular' })
  const category = catalog.category(rng)
  const sort = sortQuery(rng)
  await ctx.send({ endpoint: 'GET /categories/:id/products', method: 'GET', path: `/api/v1/categories/${category}/products?page=1&page_size=${PAGE_SIZE}${sort}` })
  const next = rng()
  if (next < 0.25) {
    await ctx.send({ endpoint: 'GET /categories/:id/products', method: 'GET', path: `/api/v1/categories/${category}/products?page=2&page_size=${PAGE_SIZE}${sort}` })
  } else if (next < 0.4) {
    const [min, max] = pick(rng, PRICE_BANDS)
    await ctx.send({ endpoint: 'GET /products', method: 'GET', path: `/api/v1/products?category_id=${category}&min_price=${min}&max_price=${max}&page=1&page_size=${PAGE_SIZE}${sort}` })
  }
}

/** A product page (from a link or an ad), its reviews sometimes, and often a second, related product. */
const detail: Journey = async (ctx) => {
  const { rng, catalog } = ctx
  const id = catalog.product(rng)
  await ctx.send({ endpoint: 'GET /products/:id', method: 'GET', path: `/api/v1/products/${id}` })
  if (rng() < 0.25) await ctx.send({ endpoint: 'GET /products/:id/reviews', method: 'GET', path: `/api/v1/products/${id}/reviews?page=1&page_size=10` })
  if (rng() < 0.35) await ctx.send({ endpoint: 'GET /products/:id', method: 'GET', path: `/api/v1/products/${catalog.product(rng)}` })
}

/** Full-text search with words from the catalogue (GET mostly, POST /products/search too), sometimes page 2, then often a result. */
const search: Journey = async (ctx) => {
  const { rng, catalog } = ctx
  const q = catalog.query(rng)
  const sort = rng() < 0.2 ? sortQuery(rng) : ''
  if (rng() < 0.8) {
    await ctx.send({ endpoint: 'GET /products/search', method: 'GET', path: `/api/v1/products/search?q=${encodeURIComponent(q)}&page=1&page_size=${PAGE_SIZE}${sort}` })
  } else {
    await ctx.send({ endpoint: 'POST /products/search', method: 'POST', path: '/api/v1/products/search', body: { q, page: 1, page_size: PAGE_SIZE } })
  }
  if (rng() < 0.15) {
    await ctx.send({ endpoint: 'GET /products/search', method: 'GET', path: `/api/v1/products/search?q=${encodeURIComponent(q)}&page=2&page_size=${PAGE_SIZE}${sort}` })
  }
  if (rng() < 0.5) await ctx.send({ endpoint: 'GET /products/:id', method: 'GET', path: `/api/v1/products/${catalog.product(rng)}` })
}

type CartBody = { items?: { product_id: number }[] }

/** Removes every item of the cart, so a failed checkout does not poison the user's next ones. */
async function emptyCart (ctx: JourneyContext): Promise<void> {
  const res = await ctx.send({ endpoint: 'GET /cart', method: 'GET', path: '/api/v1/cart', read: 'json' })
  for (const item of (res.body as CartBody | undefined)?.items ?? []) {
    await ctx.send({ endpoint: 'DELETE /cart/items/:productId', method: 'DELETE', path: `/api/v1/cart/items/${item.product_id}`, expect: [404] })
  }
}

/**
 * Cart changes: add a product, sometimes open the cart page, sometimes change
 * the quantity or remove the product again. The add answers the whole cart
 * (the storefront's mini-cart shows it), so the cart page is a separate,
 * optional visit.
 */
const cart: Journey = async (ctx) => {
  const { rng, catalog } = ctx
  const productId = catalog.buyable(rng)
  const quantity = intBetween(rng, 1, 2)
  const openCart = rng() < 0.5
  const change = rng()
  const added = await ctx.send({ endpoint: 'POST /cart/add', method: 'POST', path: '/api/v1/cart/add', body: { product_id: productId, quantity }, expect: SOLD_OUT })
  if (openCart) await ctx.send({ endpoint: 'GET /cart', method: 'GET', path: '/api/v1/cart' })
  // Only a line that is in the cart can be changed (the add may have been refused: sold out, or a 429).
  if (!ok(added)) return
  if (change < 0.2) {
    await ctx.send({ endpoint: 'PUT /cart/items/:productId', method: 'PUT', path: `/api/v1/cart/items/${productId}`, body: { quantity: quantity + 1 }, expect: SOLD_OUT })
  } else if (change < 0.45) {
    await ctx.send({ endpoint: 'DELETE /cart/items/:productId', method: 'DELETE', path: `/api/v1/cart/items/${productId}`, expect: [404] })
  }
}

let orderSequence = 0

function orderBody (user: VirtualUser): Record<string, string> {
  const address = `${user.index + 1} Load Test Street, Testville`
  return { shipping_address: address, billing_address: address, payment_method: 'credit_card', notes: 'load test' }
}

/** Places an order from the cart with a fresh Idempotency-Key; a 409 (stock ran out) empties the cart. */
async function placeOrder (ctx: JourneyContext): Promise<number> {
  const res = await ctx.send({
    endpoint: 'POST /orders',
    method: 'POST',
    path: '/api/v1/orders',
    headers: { 'idempotency-key': `lt-${ctx.runId}-${ctx.user.index}-${++orderSequence}` },
    body: orderBody(ctx.user),
    expect: SOLD_OUT
  })
  if (res.status === 201) ctx.stats.ordersPlaced++
  return res.status
}

/** Checkout: put 1–3 well-stocked products in the cart and order. */
const checkout: Journey = async (ctx) => {
  const { rng, catalog } = ctx
  const count = intBetween(rng, 1, 3)
  let added = 0
  for (let i = 0; i < count; i++) {
    const res = await ctx.send({ endpoint: 'POST /cart/add', method: 'POST', path: '/api/v1/cart/add', body: { product_id: catalog.buyable(rng), quantity: 1 }, expect: SOLD_OUT })
    if (ok(res)) added++
  }
  if (added === 0) return
  const status = await placeOrder(ctx)
  if (status === 409) {
    ctx.stats.orderConflicts++
    await emptyCart(ctx)
  }
}

/** The account pages: profile and order history. */
const account: Journey = async (ctx) => {
  await ctx.send({ endpoint: 'GET /users/profile', method: 'GET', path: '/api/v1/users/profile' })
  await ctx.send({ endpoint: 'GET /orders', method: 'GET', path: '/api/v1/orders?page=1&page_size=10' })
}

/** Flash sale: race for one unit of the promoted product; losers get a 409 and tidy their cart. */
const flash: Journey = async (ctx) => {
  const productId = ctx.flashProductId
  if (productId === undefined) throw new Error('The flash journey needs a flash-sale product')
  const add = await ctx.send({ endpoint: 'POST /cart/add', method: 'POST', path: '/api/v1/cart/add', body: { product_id: productId, quantity: 1 }, expect: SOLD_OUT })
  if (add.status === 409) {
    ctx.stats.flashLosses++
    return
  }
  if (!ok(add)) return
  const status = await placeOrder(ctx)
  if (status === 201) ctx.stats.flashWins++
  if (status === 409) {
    ctx.stats.flashLosses++
    await ctx.send({ endpoint: 'DELETE /cart/items/:productId', method: 'DELETE', path: `/api/v1/cart/items/${productId}`, expect: [404] })
  }
}

export const JOURNEYS: Readonly<Record<JourneyName, Journey>> = { browse, detail, search, cart, checkout, account, flash }

export { emptyCart }
