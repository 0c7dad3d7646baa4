import type { FastifyBaseLogger } from 'fastify'
import { recordCacheOp } from '../observability/index.js'
import { computeEtag, decodeEntry, encodeEntry, type StoredEntry } from './entry.js'
import type { Generations } from './generations.js'
import type { MemoryLru } from './memory-lru.js'
import type { RedisLayer } from './redis-layer.js'
import type { CacheLoadResult, CacheReadOptions, CacheResult, CacheTypeStats } from './types.js'

// During a database outage every read of an expired key would log; once in this interval is enough.
const STALE_LOG_INTERVAL_MS = 10_000

export interface ReaderDeps {
  l1: MemoryLru
  l2: RedisLayer
  gens: Generations
  resetEpoch: (epoch: string) => void
  statsFor: (type: string) => CacheTypeStats
  log: FastifyBaseLogger
  /** The Redis key of `<type>:<key>`. */
  entryKey: (fullKey: string) => string
  ttl: (readTtlS: number | undefined, loaded: CacheLoadResult) => { freshMs: number, graceMs: number }
}

interface Resolution {
  result: CacheResult
  layer: 'l1' | 'l2' | 'miss'
  lookupMs: number
  counter: 'l2Hits' | 'misses' | 'staleHits'
}

function toResult (entry: StoredEntry, status: CacheResult['status']): CacheResult {
  return { body: entry.body, etag: entry.etag, negative: entry.negative, status }
}

/** Loader errors that are the client's (4xx) are not a reason to serve stale data. */
function isServerSide (err: unknown): boolean {
  const status = (err as { statusCode?: unknown })?.statusCode
  return typeof status !== 'number' || status >= 500
}

/** The read path of `app.cache`: L1, then L2, then the loader once per key. */
export function createReader (deps: ReaderDeps) {
  const { l1, l2, gens, log } = deps
  const inflight = new Map<string, Promise<Resolution>>()
  let lastStaleLog = 0

  async function readRemote (fullKey: string): Promise<{ entry: StoredEntry, fresh: boolean } | undefined> {
    const reply = await l2.read(deps.entryKey(fullKey))
    if (reply === undefined) return undefined
    if (reply.epoch !== gens.epoch) deps.resetEpoch(reply.epoch)
    const entry = reply.raw === null ? undefined : decodeEntry(reply.raw)
    if (entry === undefined) return undefined
    if (reply.gens.length !== entry.tags.length) return { entry, fresh: false }
    // Redis holds the authoritative generations: learn any bump whose message we missed.
    entry.tags.forEach((tag, i) => gens.raise(tag, reply.gens[i]))
    return { entry, fresh: entry.freshUntil > Date.now() && gens.matches(entry) }
  }

  function buildEntry (opts: Pick<CacheReadOptions, 'type' | 'tags' | 'ttlS'>, loaded: CacheLoadResult): StoredEntry {
    const tags = loaded.tags?.length ? [...new Set([...(opts.tags ?? []), ...loaded.tags])] : (opts.tags ?? [])
    const { freshMs, graceMs } = deps.ttl(opts.ttlS, loaded)
    const now = Date.now()
    const body = loaded.negative ? '' : loaded.body
    return {
      body,
      etag: computeEtag(body),
      negative: loaded.negative === true,
      tags,
      gens: gens.snapshot(tags),
      epoch: gens.epoch,
      freshUntil: now + freshMs,
      staleUntil: now + freshMs + graceMs
    }
  }

  async function resolve (fullKey: string, opts: CacheReadOptions, local: StoredEntry | undefined, started: number): Promise<Resolution> {
    const remote = await readRemote(fullKey)
    if (remote?.fresh) {
      l1.set(fullKey, remote.entry)
      return { result: toResult(remote.entry, 'hit'), layer: 'l2', lookupMs: performance.now() - started, counter: 'l2Hits' }
    }
    let stale = local
    let staleLayer: 'l1' | 'l2' = 'l1'
    if (remote && (stale === undefined || remote.entry.freshUntil > stale.freshUntil)) {
      stale = remote.entry
      staleLayer = 'l2'
    }
    const lookupMs = performance.now() - started
    // Taken before the loader reads: a bump of any tag after this point means the read may predate a write.
    const seq = gens.seq
    let loaded: CacheLoadResult
    try {
      loaded = await opts.load()
    } catch (err) {
      // A coherent read never falls back on an entry a write may have invalidated.
      if (stale !== undefined && opts.coherent !== true && stale.staleUntil > Date.now() && isServerSide(err)) {
        logStale(opts, err)
        return { result: toResult(stale, 'stale'), layer: staleLayer, lookupMs, counter: 'staleHits' }
      }
      deps.statsFor(opts.type).loadErrors++
      throw err
    }
    const entry = buildEntry(opts, loaded)
    if (!gens.changedSince(entry.tags, seq)) save(fullKey, entry)
    return { result: toResult(entry, 'miss'), layer: 'miss', lookupMs, counter: 'misses' }
  }

  function save (fullKey: string, entry: StoredEntry): void {
    l1.set(fullKey, entry)
    l2.write(deps.entryKey(fullKey), encodeEntry(entry), entry.staleUntil - Date.now())
  }

  /**
   * Stores `loaded` as the fresh entry of `type`/`key` with the tags'
   * current generations, in L1 and L2, without a loader. The caller has
   * made sure the bytes are at least as new as those generations
   * (write-through.ts).
   */
  function store (opts: Pick<CacheReadOptions, 'type' | 'key' | 'tags'>, loaded: CacheLoadResult): void {
    save(`${opts.type}:${opts.key}`, buildEntry(opts, loaded))
  }

  function logStale (opts: CacheReadOptions, err: unknown): void {
    const now = Date.now()
    if (now - lastStaleLog < STALE_LOG_INTERVAL_MS) return
    lastStaleLog = now
    log.warn({ err, type: opts.type, key: opts.key }, 'cache loader failed; serving entries past their TTL (grace)')
  }

  function isFresh (entry: StoredEntry | undefined, now: number): entry is StoredEntry {
    return entry !== undefined && entry.freshUntil > now && gens.matches(entry)
  }

  function l1Hit (type: string, entry: StoredEntry, started: number): CacheResult {
    deps.statsFor(type).l1Hits++
    recordCacheOp({ type, layer: 'l1', hit: true, durationMs: performance.now() - started })
    return toResult(entry, 'hit')
  }

  function peek (type: string, key: string): CacheResult | undefined {
    const started = performance.now()
    const now = Date.now()
    const local = l1.get(`${type}:${key}`, now)
    return isFresh(local, now) ? l1Hit(type, local, started) : undefined
  }

  async function getOrLoad (opts: CacheReadOptions): Promise<CacheResult> {
    const started = performance.now()
    const fullKey = `${opts.type}:${opts.key}`
    const now = Date.now()
    const local = l1.get(fullKey, now)
    if (isFresh(local, now)) return l1Hit(opts.type, local, started)
    let pending = inflight.get(fullKey)
    if (pending === undefined) {
      pending = resolve(fullKey, opts, local, started)
      inflight.set(fullKey, pending)
      const done = () => { inflight.delete(fullKey) }
      pending.then(done, done)
    }
    // Every request waiting on the same load counts with the load's outcome.
    const res = await pending
    deps.statsFor(opts.type)[res.counter]++
    recordCacheOp({ type: opts.type, layer: res.layer, hit: res.layer !== 'miss', durationMs: res.lookupMs })
    return res.result
  }

  return { getOrLoad, peek, store }
}

export type Reader = ReturnType<typeof createReader>
