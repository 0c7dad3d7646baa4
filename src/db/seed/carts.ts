import { DAY_MS, type SeedClock } from './clock.js'
import type { CopyValue } from './copy.js'
import { popularityRanking, type Catalog } from './products.js'
import { ZipfSampler, createRng, shuffle } from './random.js'
import type { UserPopulation } from './users.js'

/**
 * Cart rows: `carts` distinct active customers (the demo customer first)
 * with 1–3 distinct active, in-stock products each, quantity 1–3 and never
 * above the stock, touched in the last two weeks.
 */
export function * cartRows (carts: number, catalog: Catalog, users: UserPopulation, seed: number, clock: SeedClock): Generator<CopyValue[]> {
  if (carts === 0) return
  const rng = createRng(seed, 'carts')
  const customers: number[] = []
  for (let id = users.customerIds.first; id < users.customerIds.first + users.customerIds.count; id++) if (users.active[id] === 1) customers.push(id)
  const shoppers = [users.demoCustomerId, ...shuffle(rng, customers)].slice(0, carts)
  const buyable = popularityRanking(catalog, seed).filter((p) => catalog.stock[p] > 0)
  if (buyable.length === 0) throw new Error('cannot seed carts: no active product is in stock')
  const popularity = new ZipfSampler(buyable.length, 1, 50)
  let id = 0
  for (const userId of shoppers) {
    const wanted = Math.min(rng.int(1, 3), buyable.length)
    const chosen: number[] = []
    while (chosen.length < wanted) {
      const p = buyable[popularity.sample(rng)]
      if (!chosen.includes(p)) chosen.push(p)
    }
    for (const p of chosen) {
      const createdAt = clock.now - rng.next() * 14 * DAY_MS
      const updatedAt = createdAt + rng.next() * (clock.now - createdAt)
      yield [++id, userId, p + 1, Math.min(rng.int(1, 3), catalog.stock[p]), new Date(createdAt).toISOString(), new Date(updatedAt).toISOString()]
    }
  }
}

export const CART_COLUMNS = ['id', 'user_id', 'product_id', 'quantity', 'created_at', 'updated_at'] as const
