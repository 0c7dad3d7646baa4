import { setTimeout as sleep } from 'node:timers/promises'
import type postgres from 'postgres'
import type { HttpClient, HttpRequest, HttpResult } from './http.js'
import { pick, type Rng } from './prng.js'
import type { Report } from './report-schema.js'
import { mapLimit, type VirtualUser } from './users.js'

/**
 * The flash-sale scenario's setup and check. Setup empties the racers' carts
 * through the API (so the server's cart caches stay right) and sets the
 * promoted product's stock to K with SQL on the database under test; the
 * check reads the database afterwards: exactly K units sold, stock at 0, and
 * as many winning orders as units. The product's original stock is restored
 * at the end so the demo data is left as it was found.
 */

export interface FlashSale {
  productId: number
  stock: number
  originalStock: number
  /** Database time just before the race: orders created since then are the sale's. */
  since: Date
}

const CART_CLEAR_CONCURRENCY = 16
const SETUP_ATTEMPTS = 5
const MAX_RETRY_WAIT_S = 15

/** A setup request that waits out 429s (limits tighten while a busy server recovers) before giving up. */
async function patiently (http: HttpClient, req: HttpRequest): Promise<HttpResult> {
  let res = await http.request(req)
  for (let attempt = 1; attempt < SETUP_ATTEMPTS && res.status === 429; attempt++) {
    await sleep(Math.min(MAX_RETRY_WAIT_S, res.retryAfterS ?? 1) * 1000)
    res = await http.request(req)
  }
  return res
}

async function emptyCarts (http: HttpClient, users: readonly VirtualUser[]): Promise<void> {
  await mapLimit(users, CART_CLEAR_CONCURRENCY, async (user) => {
    const res = await patiently(http, { method: 'GET', path: '/api/v1/cart', token: user.token, read: 'json' })
    if (res.status !== 200) throw new Error(`Could not read the cart of ${user.email} before the flash sale: HTTP ${res.status || res.error}`)
    for (const item of (res.body as { items?: { product_id: number }[] }).items ?? []) {
      const del = await patiently(http, { method: 'DELETE', path: `/api/v1/cart/items/${item.product_id}`, token: user.token })
      if (del.status !== 200 && del.status !== 404) throw new Error(`Could not empty the cart of ${user.email}: HTTP ${del.status || del.error}`)
    }
  })
}

export async function prepareFlashSale (sql: postgres.Sql, http: HttpClient, users: readonly VirtualUser[], candidates: readonly number[], stock: number, rng: Rng): Promise<FlashSale> {
  const productId = pick(rng, candidates)
  await emptyCarts(http, users)
  const [row] = await sql<{ original: number, since: Date }[]>`
    WITH before AS (SELECT stock_quantity FROM products WHERE id = ${productId})
    UPDATE products SET stock_quantity = ${stock}, updated_at = now() WHERE id = ${productId}
    RETURNING (SELECT stock_quantity FROM before) AS original, now() AS since`
  if (!row) throw new Error(`Flash-sale product ${productId} vanished`)
  return { productId, stock, originalStock: row.original, since: row.since }
}

export async function verifyFlashSale (sql: postgres.Sql, sale: FlashSale, wins: number, losses: number, racers: number): Promise<NonNullable<Report['flashSale']>> {
  const [state] = await sql<{ stock: number, sold: number }[]>`
    SELECT p.stock_quantity AS stock,
           (SELECT coalesce(sum(oi.quantity), 0)::int FROM order_items oi JOIN orders o ON o.id = oi.order_id
             WHERE oi.product_id = ${sale.productId} AND o.created_at >= ${sale.since}) AS sold
    FROM products p WHERE p.id = ${sale.productId}`
  const expectedWins = Math.min(sale.stock, racers)
  const exact = wins === expectedWins && state.sold === wins && state.stock === sale.stock - wins
  // Give the demo product its stock back; the sale's orders stay as the record of the run.
  await sql`UPDATE products SET stock_quantity = ${sale.originalStock}, updated_at = now() WHERE id = ${sale.productId}`
  return { productId: sale.productId, stock: sale.stock, wins, losses, soldInDb: state.sold, stockAfter: state.stock, exact }
}
