import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../../db/client.js'
import { createInventoryRepository, type RatingSummary, type StockLine } from './inventory.repository.js'

export type { StockLine } from './inventory.repository.js'

/** A transaction handle from `db.transaction(async (tx) => ...)`. */
export type Tx = Parameters<Parameters<Database['transaction']>[0]>[0]

export interface ReservedLine {
  productId: number
  name: string
  quantity: number
  /** Price copied from the product (sale price when set), a decimal string. */
  unitPrice: string
}

export interface Shortage {
  productId: number
  name: string | null
  requested: number
  available: number
}

export type ReserveResult =
  | { ok: true, lines: ReservedLine[] }
  | { ok: false, shortages: Shortage[] }

export interface InventoryServiceDeps {
  db: Database
  log: FastifyBaseLogger
  /**
   * Called after a commit that changed products' stock or rating, so cached
   * catalog data is dropped (wired to the catalog's `invalidateProducts`).
   */
  onProductsChanged: (productIds: number[]) => Promise<void>
}

/** Merges duplicate product lines and sorts by id: the lock order every caller shares. */
function normalise (lines: StockLine[]): StockLine[] {
  const byId = new Map<number, number>()
  for (const l of lines) byId.set(l.productId, (byId.get(l.productId) ?? 0) + l.quantity)
  return [...byId].sort((a, b) => a[0] - b[0]).map(([productId, quantity]) => ({ productId, quantity }))
}

/**
 * Owns stock and rating summaries on the products table, so orders and
 * reviews change them without touching the catalog module's code.
 */
export function createInventoryService ({ db, log, onProductsChanged }: InventoryServiceDeps) {
  const repo = createInventoryRepository(db)
  const ilog = log.child({ module: 'inventory' })

  return {
    /**
     * Takes stock for every line inside the caller's transaction, or for
     * none: the rows are locked in id order, checked, then decremented with
     * a conditional update. On a shortage nothing is written and the caller
     * rolls back.
     */
    async reserve (tx: Tx, lines: StockLine[]): Promise<ReserveResult> {
      const wanted = normalise(lines)
      const locked = new Map((await repo.lockProducts(wanted.map((l) => l.productId), tx)).map((p) => [p.id, p]))
      const shortages: Shortage[] = []
      for (const l of wanted) {
        const p = locked.get(l.productId)
        const available = p?.isActive ? p.stockQuantity : 0
        if (available < l.quantity) shortages.push({ productId: l.productId, name: p?.name ?? null, requested: l.quantity, available })
      }
      if (shortages.length > 0) return { ok: false, shortages }
      const decremented = await repo.decrementStock(wanted, tx)
      // The rows are locked by this transaction, so every checked line must have been decremented.
      if (decremented.length !== wanted.length) throw new Error(`stock decrement touched ${decremented.length} of ${wanted.length} locked products`)
      return {
        ok: true,
        lines: wanted.map((l) => {
          const p = locked.get(l.productId)!
          return { productId: l.productId, name: p.name, quantity: l.quantity, unitPrice: p.unitPrice }
        })
      }
    },

    /**
     * Returns stock (order cancelled) inside the caller's transaction,
     * locking in the same id order as `reserve` so the two cannot deadlock.
     */
    async release (tx: Tx, lines: StockLine[]): Promise<void> {
      const wanted = normalise(lines)
      if (wanted.length === 0) return
      await repo.lockProducts(wanted.map((l) => l.productId), tx)
      await repo.restoreStock(wanted, tx)
    },

    /**
     * Locks an active product before a review is written, so concurrent
     * reviews of one product recompute its rating one after another and
     * each recompute sees the previous one's review. False when missing or inactive.
     */
    async lockForReview (tx: Tx, productId: number): Promise<boolean> {
      return (await repo.lockActiveProduct(productId, tx)) !== undefined
    },

    refreshRating (tx: Tx, productId: number): Promise<RatingSummary | undefined> {
      return repo.refreshRating(productId, tx)
    },

    /**
     * Tells the catalog which products changed, after the commit. A failed
     * invalidation is logged, never thrown: the write has already happened
     * and the cache entries expire by TTL anyway.
     */
    async productsChanged (productIds: number[]): Promise<void> {
      const ids = [...new Set(productIds)]
      if (ids.length === 0) return
      try {
        await onProductsChanged(ids)
      } catch (err) {
        ilog.warn({ err, productIds: ids }, 'catalog cache invalidation failed; entries will expire by TTL')
      }
    }
  }
}

export type InventoryService = ReturnType<typeof createInventoryService>
