import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { computeEtag, createInvalidator, createReader, createWriteThrough, Generations, MemoryLru, newEpoch, RedisLayer, type CacheLoadResult, type CacheReadOptions, type CacheResult, type CacheTypeStats, type Invalidator, type Reader, type WriteMark, type WrittenEntry } from '../lib/cache/index.js'

export type { CacheLoadResult, CacheReadOptions, CacheResult, CacheStatus, CacheTypeStats } from '../lib/cache/index.js'
export type { WriteMark, WrittenEntry } from '../lib/cache/index.js'

/**
 * Fresh lifetime of an entry whose caller names none, in seconds. Each module
 * chooses the lifetime of what it caches, next to its keys (catalog.keys.ts,
 * cart.keys.ts, users.keys.ts, orders.keys.ts, reviews.service.ts).
 */
export const DEFAULT_CACHE_TTL_S = 300

export interface CacheLayerStats {
  enabled: boolean
  l1: { entries: number, bytes: number, maxEntries: number, maxBytes: number, evictions: number }
  l2: { available: boolean, circuitOpen: boolean, errors: number, timeouts: number }
  /** Tags bumped locally while Redis was unreachable, waiting to be published. */
  pendingInvalidations: number
  /** False while the invalidation bus is down (and shortly after it returns): `coherent` reads go to their loader. */
  coherent: boolean
}

export interface CacheDecorator {
  /** False when `CACHE_ENABLED=false`: every read calls its loader (`bypass`). */
  readonly enabled: boolean
  /**
   * Returns the cached bytes for `type`/`key`, or runs `load` once per key
   * however many requests miss at the same time (single-flight), stores the
   * result in L1 and L2 and returns it. Redis errors and timeouts never
   * surface: the read falls back to L1 and the loader. When the loader
   * fails and an expired entry is still within grace, that entry is served
   * (`status: 'stale'`). Records every read with `recordCacheOp`.
   */
  getOrLoad: (opts: CacheReadOptions) => Promise<CacheResult>
  /**
   * The fresh L1 entry of `type`/`key`, recorded as an L1 hit like
   * `getOrLoad`'s; undefined when the read needs L2 or the loader (then call
   * `getOrLoad`) or the cache is off. Synchronous: the hot reads answer
   * without a promise.
   */
  peek: (type: string, key: string) => CacheResult | undefined
  /**
   * Makes every entry carrying any of `tags` stale in this process at once
   * and in every other instance through Redis (a generation bump plus a
   * pub/sub message; never `KEYS`). While Redis is unreachable the bump is
   * local and replayed when it returns. Never throws.
   */
  invalidate: (tags: string[]) => Promise<void>
  /**
   * Before a write whose answer should become the cached entry (write-through):
   * what this process knows of the tags the write will invalidate. Hand it to
   * `invalidateAndStore` once the write has committed.
   */
  beginWrite: (tags: string[]) => WriteMark
  /**
   * After the write committed: invalidates the mark's tags everywhere (as
   * `invalidate`), then stores `entry`, the write's own answer, as the fresh
   * entry of its type and key, so the next read is a hit. Stores only when no
   * other write of those tags, on any instance, can have come in between
   * (lib/cache/write-through.ts); otherwise the next read loads. Never
   * throws; answers whether the entry was stored.
   */
  invalidateAndStore: (mark: WriteMark, entry: WrittenEntry) => Promise<boolean>
  /** Hit/miss counters per cache type and layer: `{ [type]: { l1Hits, l2Hits, misses, ... } }`. */
  stats: () => Record<string, CacheTypeStats>
  /** Size and health of the layers. */
  layers: () => CacheLayerStats
  /** Drops this process's L1 (operations and tests; other instances are untouched). */
  clearLocal: () => void
  /**
   * Calls `listener` with the tags of every invalidation this process
   * applies (its own, other instances' from the bus, replays), before the
   * entries carrying them stop being served: a loader that runs because of
   * it starts after the listener. Listeners must be quick and not throw.
   */
  onInvalidate: (listener: (tags: string[]) => void) => void
}

declare module 'fastify' {
  interface FastifyInstance { cache: CacheDecorator }
}

export interface CachePluginOptions {
  /** @default true */
  enabled: boolean
  /** Most entries in the in-process L1. */
  l1MaxEntries: number
  /** Byte budget of the L1. */
  l1MaxBytes: number
  /** Longest wait for one Redis command on a read path. */
  l2TimeoutMs: number
  /** How long past its TTL an entry may be served when the loader fails. */
  graceS: number
  /** TTL of negative entries ("not found"). */
  negativeTtlS: number
}

// Why not BentoCache (a ready-made L1 + L2 cache with tags): measured in
// this repo on an L1 hit, its getOrSet costs ~7 µs untagged and ~39 µs with
// the ~22 tags a list page carries (an options object with closures per
// call, a tracing-channel wrapper, one nested getOrSet per tag) against
// ~0.3 µs here, a large share of a ~40 µs request budget. Its tag
// invalidation stamps entries with the time they were *stored*, so a write
// that commits while a slow reader still holds the old row leaves that row
// cached until the TTL; and its hit/miss events carry no duration or
// per-call correlation for recordCacheOp. This file keeps what we need from
// it: L1 + L2, bus invalidation, single-flight, grace and a circuit breaker.
const cachePlugin: FastifyPluginAsync<CachePluginOptions> = async (app, opts) => {
  const l1 = new MemoryLru(opts.l1MaxEntries, opts.l1MaxBytes)
  const l2 = new RedisLayer({
    client: app.redis.client,
    gensKey: app.redis.key('cache', 'gens'),
    channel: `${app.redis.prefix}:cache:invalidations`,
    timeoutMs: opts.l2TimeoutMs,
    isReady: app.redis.isReady,
    log: app.log
  })
  const stats = new Map<string, CacheTypeStats>()
  const statsFor = (type: string): CacheTypeStats => {
    let s = stats.get(type)
    if (!s) stats.set(type, (s = { l1Hits: 0, l2Hits: 0, misses: 0, staleHits: 0, bypass: 0, loadErrors: 0 }))
    return s
  }

  const gens = new Generations(await readEpoch(app))
  const resetEpoch = (epoch: string) => {
    app.log.warn({ from: gens.epoch, to: epoch }, 'cache generation epoch changed (Redis lost its state); dropping L1')
    gens.reset(epoch)
    l1.clear()
  }
  const listeners: ((tags: string[]) => void)[] = []
  const onInvalidate = (tags: string[]) => { for (const listener of listeners) listener(tags) }
  const invalidator: Invalidator = createInvalidator({ redis: app.redis, log: app.log, l2, gens, l1, resetEpoch, subscribe: opts.enabled && !app.redis.embedded, onInvalidate })
  await invalidator.start()

  const reader: Reader = createReader({
    l1,
    l2,
    gens,
    resetEpoch,
    statsFor,
    log: app.log,
    entryKey: (fullKey) => app.redis.key('cache', fullKey),
    ttl: (readTtlS, loaded) => buildTtl(opts, readTtlS, loaded)
  })

  const writeThrough = createWriteThrough({ gens, invalidator, reader, enabled: opts.enabled })

  app.decorate('cache', {
    enabled: opts.enabled,
    getOrLoad: opts.enabled ? (o) => o.coherent === true && !invalidator.coherent() ? bypass(o, statsFor) : reader.getOrLoad(o) : (o) => bypass(o, statsFor),
    peek: opts.enabled ? reader.peek : () => undefined,
    invalidate: async (tags) => { await invalidator.invalidate(tags) },
    beginWrite: writeThrough.beginWrite,
    invalidateAndStore: writeThrough.invalidateAndStore,
    stats: () => Object.fromEntries([...stats].map(([k, v]) => [k, { ...v }])),
    layers: () => ({
      enabled: opts.enabled,
      l1: { entries: l1.size, bytes: l1.bytes, maxEntries: l1.maxEntries, maxBytes: l1.maxBytes, evictions: l1.evictions },
      l2: { available: l2.available(), circuitOpen: l2.circuitOpen, errors: l2.errors, timeouts: l2.timeouts },
      pendingInvalidations: invalidator.pending(),
      coherent: invalidator.coherent()
    }),
    clearLocal: () => l1.clear(),
    onInvalidate: (listener) => { listeners.push(listener) }
  } satisfies CacheDecorator)

  app.addHook('onClose', async () => {
    await invalidator.stop()
    l1.clear()
  })
}

/** Freshness and grace of a new entry, in ms from now. */
function buildTtl (opts: CachePluginOptions, readTtlS: number | undefined, loaded: CacheLoadResult): { freshMs: number, graceMs: number } {
  if (loaded.negative) return { freshMs: (loaded.ttlS ?? opts.negativeTtlS) * 1000, graceMs: 0 }
  return { freshMs: (loaded.ttlS ?? readTtlS ?? DEFAULT_CACHE_TTL_S) * 1000, graceMs: opts.graceS * 1000 }
}

async function bypass (opts: CacheReadOptions, statsFor: (type: string) => CacheTypeStats): Promise<CacheResult> {
  statsFor(opts.type).bypass++
  const loaded = await opts.load()
  const body = loaded.negative ? '' : loaded.body
  return { body, etag: computeEtag(body), negative: loaded.negative === true, status: 'bypass' }
}

/** The current epoch of the generation hash, creating it when Redis has none (without Redis: a local one). */
async function readEpoch (app: Parameters<FastifyPluginAsync>[0]): Promise<string> {
  if (app.redis.embedded) return newEpoch()
  const key = app.redis.key('cache', 'gens')
  const candidate = newEpoch()
  await app.redis.client.hsetnx(key, '__epoch', candidate)
  return (await app.redis.client.hget(key, '__epoch')) ?? candidate
}

export default fp(cachePlugin, { name: 'cache', dependencies: ['redis'], fastify: '5.x' })
