import type { FastifyBaseLogger } from 'fastify'
import type { Sql } from '../../db/client.js'
import type { CatalogService } from './catalog.service.js'

/** The channel the triggers of migration 0008 notify on. */
export const CATALOG_CHANGES_CHANNEL = 'techmart_catalog'
/** Triggers of migration 0008; fewer in the database means writes made outside the app go unheard. */
const TRIGGERS = ['products_notify_insert', 'products_notify_update', 'products_notify_delete', 'products_notify_truncate', 'categories_notify']
// A burst of notifications within this time of the first one is applied as one invalidation.
const DEFAULT_MERGE_MS = 50
// An invalidation that failed (the category index needs the database) is retried this much later.
const RETRY_MS = 1000
// Past this many products in one burst, emptying the whole catalog is cheaper than naming each.
const MAX_BATCH_IDS = 10_000

/** What one notification or a merged burst of them changed. */
interface Batch { all: boolean, ids: Set<number>, categoryIds: Set<number>, slugs: Set<string>, notifications: number }

export type ExternalChangeKind = 'products' | 'all'

export interface ExternalChangesDeps {
  /** The primary: LISTEN holds one connection of its own, which postgres.js reconnects. */
  sql: Sql
  catalog: Pick<CatalogService, 'invalidateWritten' | 'invalidateAll'>
  log: FastifyBaseLogger
  /** @default 50 */
  mergeMs?: number
  /** Called for every notification received (metrics). */
  onNotification?: (kind: ExternalChangeKind) => void
}

const isIntArray = (v: unknown): v is number[] => Array.isArray(v) && v.every(Number.isInteger)
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string')

/**
 * A notification's payload as a batch. Anything but a well-formed product
 * change (`{"all":true}`, an empty payload from a hand-written
 * `NOTIFY techmart_catalog`, or something malformed) means everything.
 */
function parseChange (raw: string): Batch {
  const batch: Batch = { all: true, ids: new Set(), categoryIds: new Set(), slugs: new Set(), notifications: 1 }
  let msg: { ids?: unknown, categories?: unknown, slugs?: unknown } | undefined
  try {
    msg = JSON.parse(raw) as typeof msg
  } catch {
    return batch
  }
  if (!isIntArray(msg?.ids) || !isIntArray(msg.categories) || !isStringArray(msg.slugs)) return batch
  return { all: false, ids: new Set(msg.ids), categoryIds: new Set(msg.categories), slugs: new Set(msg.slugs), notifications: 1 }
}

function merge (into: Batch, from: Batch): void {
  into.notifications += from.notifications
  into.all ||= from.all || into.ids.size + from.ids.size > MAX_BATCH_IDS
  if (into.all) {
    into.ids.clear()
    into.categoryIds.clear()
    into.slugs.clear()
    return
  }
  for (const id of from.ids) into.ids.add(id)
  for (const id of from.categoryIds) into.categoryIds.add(id)
  for (const slug of from.slugs) into.slugs.add(slug)
}

/**
 * Writes made outside the app (psql, bulk imports, the seed) reach this
 * instance's caches: the triggers of migration 0008 NOTIFY the changed
 * products (or "everything"), and every instance LISTENs and invalidates
 * as the catalog's own writes do. A burst is merged into one invalidation.
 * The invalidation goes through the cache bus, so it reaches the other
 * instances twice (their own notification and this bus message): harmless,
 * and no instance depends on another being up. After the LISTEN connection
 * was lost, notifications sent meanwhile are gone: the whole catalog is
 * invalidated once it is back.
 */
export function createExternalChanges (deps: ExternalChangesDeps) {
  const log = deps.log.child({ module: 'catalog' })
  const mergeMs = deps.mergeMs ?? DEFAULT_MERGE_MS
  let pending: Batch | undefined
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let listening = false
  let closed = false

  function receive (batch: Batch): void {
    if (closed) return
    deps.onNotification?.(batch.all ? 'all' : 'products')
    if (pending) merge(pending, batch)
    else pending = batch
    schedule(mergeMs)
  }

  function schedule (delayMs: number): void {
    if (timer !== undefined || running !== undefined || closed) return
    timer = setTimeout(() => {
      timer = undefined
      running = flush().finally(() => {
        running = undefined
        if (pending) schedule(mergeMs)
      })
    }, delayMs)
  }

  async function flush (): Promise<void> {
    const batch = pending
    pending = undefined
    if (!batch) return
    try {
      if (batch.all) await deps.catalog.invalidateAll()
      else await deps.catalog.invalidateWritten({ ids: [...batch.ids], categoryIds: [...batch.categoryIds], slugs: [...batch.slugs] })
      log.info({ notifications: batch.notifications, ids: batch.ids.size, all: batch.all }, 'catalog changes made outside the app: caches invalidated')
    } catch (err) {
      log.warn({ err, notifications: batch.notifications }, `invalidating catalog changes made outside the app failed; retrying in ${RETRY_MS} ms`)
      if (pending) merge(batch, pending)
      pending = batch
      clearTimeout(timer)
      timer = setTimeout(() => { timer = undefined; schedule(0) }, RETRY_MS)
    }
  }

  function onListen (): void {
    if (closed) return
    if (!listening) {
      listening = true
      log.info({ channel: CATALOG_CHANGES_CHANNEL }, 'listening for catalog changes made outside the app')
      return
    }
    log.warn({ channel: CATALOG_CHANGES_CHANNEL }, 'catalog change listener reconnected; invalidating the whole catalog (changes meanwhile were not heard)')
    receive(parseChange('{"all":true}'))
  }

  async function checkTriggers (): Promise<void> {
    const rows = await deps.sql<{ tgname: string }[]>`SELECT tgname FROM pg_trigger WHERE tgname = ANY(${TRIGGERS}) AND NOT tgisinternal`
    const missing = TRIGGERS.filter((t) => !rows.some((r) => r.tgname === t))
    if (missing.length > 0) {
      log.warn({ missing }, 'catalog change triggers are missing (migration 0008 not applied?): writes made outside the app reach the caches only when entries expire')
    }
  }

  return {
    async start (): Promise<void> {
      await deps.sql.listen(CATALOG_CHANGES_CHANNEL, (payload) => receive(parseChange(payload)), onListen)
      await checkTriggers()
    },
    /** Stops applying notifications; the LISTEN connection closes with the pool. */
    async stop (): Promise<void> {
      closed = true
      clearTimeout(timer)
      await running
    }
  }
}

export type ExternalChanges = ReturnType<typeof createExternalChanges>
