import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import type { Sql } from '../../db/client.js'
import { CatalogTags } from './catalog.keys.js'
import { MatchIndex, MatchIndexBuilder, type MatchRow } from './catalog.match-index.js'
import { timedSql } from './catalog.sql.js'

/** Products read per statement while the index loads (each chunk is followed by a turn of the event loop). */
const LOAD_CHUNK = 500
/** Seconds between full rebuilds: they fold the overlay in and pick up what no invalidation announced. */
export const DEFAULT_MATCH_REBUILD_S = 1800
/** The overlay grows to this share of the catalog (or at least MIN_OVERLAY products) before a rebuild folds it in. */
const OVERLAY_SHARE = 0.02
const MIN_OVERLAY = 1000
const RETRY_MS = 5000
const LISTED_TAG = /^catalog:l:(\d+)$/

export interface MatchSourceDeps {
  readSql: Sql
  log: FastifyBaseLogger
  /** The cache's invalidations (this instance's writes, and other instances' through the bus). */
  onInvalidate: (listener: (tags: string[]) => void) => void
  /** @default 1800 (0: no periodic rebuild) */
  rebuildS?: number
}

const COLUMNS = (sql: Sql) => sql`p.id, p.search_rank, p.effective_price::float8 AS price, p.category_id,
  lower(p.brand) AS brand, p.brand AS brand_name, p.is_featured, lower(p.name) AS name,
  tsvector_to_array(p.title_vector) AS title, tsvector_to_array(p.search_vector) AS body`

async function load (sql: Sql): Promise<MatchIndex> {
  const builder = new MatchIndexBuilder()
  // In descending rank through the rank index, so slots (and posting lists) come out in rank order.
  // search_rank is unique per product (popularity, then id: migration 0012), so paging by it skips no tie.
  for (let below = Number.MAX_VALUE; ;) {
    const rows = await timedSql('catalog.match_load', sql<MatchRow[]>`
      SELECT ${COLUMNS(sql)} FROM products p
      WHERE p.is_active AND p.search_rank < ${below}::float8
      ORDER BY p.search_rank DESC LIMIT ${LOAD_CHUNK}`)
    builder.add(rows)
    if (rows.length < LOAD_CHUNK) break
    below = rows[rows.length - 1].search_rank
    await yieldToEventLoop()
  }
  builder.addWords(await timedSql('catalog.match_words', sql<{ word: string, lexemes: string[] }[]>`
    SELECT word, tsvector_to_array(to_tsvector('english', catalog_search_text(word))) AS lexemes FROM catalog_search_words`))
  return builder.build(yieldToEventLoop)
}

/**
 * The in-process match index of the catalog and its upkeep. It loads in the
 * background at start; until then (and after a change made outside the app
 * that names no products, until the rebuild) `current()` returns undefined
 * and searches run in the database. A product write anywhere names the
 * products it changed (the `catalog:l:<id>` tags); the next search on this
 * instance reads those products again before it runs, so a search after a
 * write sees the write.
 */
export function createMatchSource (deps: MatchSourceDeps) {
  const { log, readSql } = deps
  const rebuildS = deps.rebuildS ?? DEFAULT_MATCH_REBUILD_S
  let index: MatchIndex | undefined
  /** False after a change that names no products: the index in use may be wrong until rebuilt. */
  let trusted = false
  const dirty = new Set<number>()
  /** Products written while a build reads the catalog: read again once it is in use. */
  let writtenDuringBuild: Set<number> | undefined
  let building: Promise<void> | undefined
  let refreshing: Promise<void> | undefined
  let interval: NodeJS.Timeout | undefined
  let retry: NodeJS.Timeout | undefined
  let started = false
  let stopped = false
  let markLoaded: () => void = () => {}
  const loaded = new Promise<void>((resolve) => { markLoaded = resolve })

  async function buildNow (): Promise<void> {
    const startedAt = performance.now()
    const written = new Set<number>()
    writtenDuringBuild = written
    let fresh: MatchIndex
    try {
      fresh = await load(readSql)
    } finally {
      if (writtenDuringBuild === written) writtenDuringBuild = undefined
    }
    if (stopped) return
    index = fresh
    trusted = true
    markLoaded()
    for (const id of written) dirty.add(id)
    log.info({ products: fresh.size, ms: Math.round(performance.now() - startedAt) }, 'search: match index built')
  }

  function rebuild (): Promise<void> {
    building ??= buildNow().finally(() => { building = undefined })
    return building
  }

  function runInBackground (): void {
    rebuild().catch((err) => {
      if (stopped) return
      log.warn({ err }, index ? 'search: match index rebuild failed; keeping the previous one' : `search: match index load failed; retrying in ${RETRY_MS} ms`)
      clearTimeout(retry)
      retry = setTimeout(runInBackground, RETRY_MS).unref()
    })
  }

  deps.onInvalidate((tags) => {
    for (const tag of tags) {
      const m = LISTED_TAG.exec(tag)
      if (m === null) continue
      const id = Number(m[1])
      dirty.add(id)
      writtenDuringBuild?.add(id)
    }
    if (tags.includes(CatalogTags.details)) {
      trusted = false
      if (started && !stopped) runInBackground()
    }
  })

  /** Reads the written products again and applies them (one statement for every product written since the last search). */
  function refresh (): Promise<void> {
    refreshing ??= (async () => {
      try {
        for (let target = index; dirty.size > 0 && target !== undefined; target = index) {
          const ids = [...dirty]
          dirty.clear()
          const rows = await timedSql('catalog.match_refresh', readSql<MatchRow[]>`
            SELECT ${COLUMNS(readSql)} FROM products p WHERE p.is_active AND p.id = ANY(${ids}::int[])`)
            .catch((err: unknown) => {
              for (const id of ids) dirty.add(id)
              throw err
            })
          target.update(ids, rows)
          if (target === index && target.overlaid > Math.max(MIN_OVERLAY, target.size * OVERLAY_SHARE)) runInBackground()
        }
      } finally {
        refreshing = undefined
      }
    })()
    return refreshing
  }

  return {
    /** The index, up to date with every write heard of; undefined while it cannot answer (searches then use the database). */
    async current (): Promise<MatchIndex | undefined> {
      if (index === undefined || !trusted) return undefined
      if (dirty.size > 0 || refreshing !== undefined) {
        // The written products could not be read again: the database answers this search, or fails it.
        try { await refresh() } catch { return undefined }
      }
      return index
    },

    /** Resolves once the first build is in use. */
    loaded: (): Promise<void> => loaded,

    /** Rebuilds now; resolves when a build that started after the call has finished. */
    rebuild: async (): Promise<void> => {
      await building?.catch(() => {})
      await rebuild()
    },

    start (): void {
      if (started || stopped) return
      started = true
      runInBackground()
      if (rebuildS > 0) interval = setInterval(runInBackground, rebuildS * 1000).unref()
    },

    stop (): void {
      stopped = true
      clearInterval(interval)
      clearTimeout(retry)
    }
  }
}

export type MatchSource = ReturnType<typeof createMatchSource>
