/** The types of a cache read, shared by the cache plugin and its layers. */

/** What a loader hands back: the serialized body plus how to cache it. */
export interface CacheLoadResult {
  /** The response body, already serialized (JSON). Ignored for negative results. */
  body: string
  /** A cached "does not exist": kept for the negative TTL, then asked again. */
  negative?: boolean
  /** Tags learned while loading (e.g. the ids of the products on a page), added to `tags`. */
  tags?: string[]
  /** Overrides the type's TTL (e.g. a short one for empty search results). */
  ttlS?: number
}

export interface CacheReadOptions {
  /** What kind of entry this is (`product_detail`, `user_cart`…): its statistics, metrics label and key prefix. */
  type: string
  /** Unique within the type; the Redis key is `<prefix>:cache:<type>:<key>`. */
  key: string
  /** Tags known before loading; `invalidate(tag)` makes the entry stale everywhere. */
  tags?: string[]
  /**
   * Fresh lifetime of the entry in seconds, chosen by the module that caches (next to its keys); a
   * loader's `ttlS` overrides it for one entry. Without either, DEFAULT_CACHE_TTL_S.
   */
  ttlS?: number
  load: () => Promise<CacheLoadResult>
  /**
   * Only answer from the cache while writes on other instances are sure to
   * invalidate it: while the invalidation bus is down (Redis unreachable)
   * the loader answers (`bypass`) and nothing is stored; and when the loader
   * fails, never fall back on an expired or invalidated entry (no grace).
   * For data a user must see right after writing it, through any instance
   * (carts, profiles, orders).
   */
  coherent?: boolean
}

/** Where the bytes came from: L1/L2 (`hit`), the loader (`miss`), an expired entry while the loader failed (`stale`), or the loader with the cache off or skipped (`bypass`: a `coherent` read while the bus is down). */
export type CacheStatus = 'hit' | 'miss' | 'stale' | 'bypass'

export interface CacheResult {
  body: string
  etag: string
  negative: boolean
  status: CacheStatus
}

/** Counters per cache type, since the process started. */
export interface CacheTypeStats {
  l1Hits: number
  l2Hits: number
  misses: number
  /** Expired or invalidated entries served because the loader failed. */
  staleHits: number
  /** Reads while the cache is switched off (`CACHE_ENABLED=false`), and `coherent` reads while the invalidation bus is down. */
  bypass: number
  loadErrors: number
}
