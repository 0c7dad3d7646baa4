import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../../db/client.js'
import { createInventoryRepository, type RatingSummary, type StockLine, type StockMove } from './inventory.repository.js'

export type { StockLine, StockMove } from './inventory.repository.js'

/** A transaction handle from `db.transaction(async (tx) => ...)`. */
export type Tx = Parameters<Parameters<Database['transaction']>[0]>[0]

export interface InventoryServiceDeps {
  db: Database
  log: FastifyBaseLogger
  /**
   * Called after a commit that changed products' ratings, so cached catalog
   * data showing them is dropped (wired to the catalog's `invalidateProducts`).
   */
  onProductsChanged: (productIds: number[]) => Promise<void>
  /**
   * Called after a commit that changed products' stock (orders,
   * cancellations), wired to the catalog's `invalidateStock`: `productIds`
   * changed, `flippedIds` (a subset) went out of stock or back in stock.
   */
  onStockChanged: (productIds: number[], flippedIds: number[]) => Promise<void>
}

/** Merges duplicate product lines and sorts by id: the lock order every caller shares. */
function normalise (lines: StockLine[]): StockLine[] {
  const byId = new Map<number, number>()
  for (const l of lines) byId.set(l.productId, (byId.get(l.productId) ?? 0) + l.quantity)
  return [...byId].sort((a, b) => a[0] - b[0]).map(([productId, quantity]) => ({ productId, quantity }))
}

/**
 * Owns stock and rating summaries on the products table, so orders and
 * reviews change them without touching the catalog module's code. An order
 * takes its stock inside `place_order` (migration 0007), the one statement
 * that places it, and reports the change here.
 */
export function createInventoryService ({ db, log, onProductsChanged, onStockChanged }: InventoryServiceDeps) {
  const repo = createInventoryRepository(db)
  const ilog = log.child({ module: 'inventory' })

  async function tell (productIds: number[], invalidate: () => Promise<void>): Promise<void> {
    try {
      await invalidate()
    } catch (err) {
      ilog.warn({ err, productIds }, 'catalog cache invalidation failed; entries will expire by TTL')
    }
  }

  return {
    /**
     * Returns stock (order cancelled) inside the caller's transaction,
     * locking in the same id order as `place_order`, so the two cannot
     * deadlock. Pass what it answers to `stockChanged` after the commit.
     */
    async release (tx: Tx, lines: StockLine[]): Promise<StockMove[]> {
      const wanted = normalise(lines)
      if (wanted.length === 0) return []
      await repo.lockProducts(wanted.map((l) => l.productId), tx)
      return repo.restoreStock(wanted, tx)
    },

    /**
     * Locks an active product before a review is written, so concurrent
     * reviews of one product recompute its rating one after another and
     * each recompute sees the previous one's review. Answers the product's
     * seller (who may not review it); undefined when missing or inactive.
     */
    async lockForReview (tx: Tx, productId: number): Promise<{ sellerId: number } | undefined> {
      const row = await repo.lockActiveProduct(productId, tx)
      return row && { sellerId: row.sellerId }
    },

    refreshRating (tx: Tx, productId: number): Promise<RatingSummary | undefined> {
      return repo.refreshRating(productId, tx)
    },

    /**
     * Tells the catalog which products' ratings changed, after the commit. A
     * failed invalidation is logged, never thrown: the write has already
     * happened and the cache entries expire by TTL anyway.
     */
    async productsChanged (productIds: number[]): Promise<void> {
      const ids = [...new Set(productIds)]
      if (ids.length === 0) return
      await tell(ids, () => onProductsChanged(ids))
    },

    /**
     * Tells the catalog, after the commit, which products' stock changed and
     * which of them flipped between in stock (> 0) and out of stock: lists
     * show stock as of when they were cached, except across a flip.
     */
    async stockChanged (moves: StockMove[]): Promise<void> {
      if (moves.length === 0) return
      const ids = [...new Set(moves.map((m) => m.productId))]
      const flipped = [...new Set(moves.filter((m) => (m.before > 0) !== (m.after > 0)).map((m) => m.productId))]
      await tell(ids, () => onStockChanged(ids, flipped))
    }
  }
}

export type InventoryService = ReturnType<typeof createInventoryService>
