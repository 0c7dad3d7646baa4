import type postgres from 'postgres'
import type { HttpClient } from './http.js'
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

async function emptyCarts (http: HttpClient, users: readonly VirtualUser[]): Promise<void> {
  await mapLimit(users, CART_CLEAR_CONCURRENCY, async (user) => {
    const res = await http.request({ method: 'GET', path: '/api/v1/cart', token: user.token, read: 'json' })
    if (res.status !== 200) throw new Error(`Could not read the cart of ${user.email} before the flash sale: HTTP ${res.status || res.error}`)
    for (const item of (res.body as { items?: { product_id: number }[] }).items ?? []) {
      const del = await http.request({ method: 'DELETE', path: `/api/v1/cart/items/${item.product_id}`, token: user.token })
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
