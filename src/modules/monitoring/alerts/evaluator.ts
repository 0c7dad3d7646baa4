import type { FastifyBaseLogger } from 'fastify'
import type { ActiveSilence, AlertEngine, AlertRecord, TickResult, Transition } from './engine.js'
import type { NotificationRecord, Notifier } from './notifier.js'
import type { AlertsRepository, SilenceRow } from './repository.js'
import type { Alert } from './schemas.js'
import { withStoreTimeout } from '../shared/index.js'

/** Writes that failed (PostgreSQL down) wait for the next tick, up to this many of each kind. */
const MAX_PENDING_WRITES = 1000
const PRUNE_EVERY_MS = 60 * 60 * 1000
/** Unchanged alerts (only their value moved) are written this often, not every tick. */
/** Unchanged alert states are written this often (changed ones at once), so their `last_evaluated_at` is at most this old. */
export const SAVE_ALL_EVERY_MS = 30_000
const DAY_MS = 24 * 60 * 60 * 1000

export interface EvaluatorOptions {
  engine: AlertEngine
  repo: AlertsRepository
  notifier: Notifier
  lease: { acquire: () => Promise<boolean>, isLeader: () => boolean }
  /** Announces alerts whose state, silence or inhibition changed (live stream, other instances). */
  publish: (alert: Alert) => void
  log: FastifyBaseLogger
  clock: () => number
  intervalMs: number
  retentionDays: number
  /** Runs before each evaluation by the leader (e.g. refreshing dependency probes). */
  beforeTick?: () => Promise<void>
  /** Reads what the engine's reader needs from PostgreSQL for this tick's `now` (long-windows.ts); never throws. */
  longWindows?: { refresh: (now: number) => Promise<void> }
  /** Each store read/write gives up after this long (the tick goes on from memory). @default 2000 */
  storeTimeoutMs?: number
}

export type AlertEvaluator = ReturnType<typeof createAlertEvaluator>

/** What must reach PostgreSQL promptly so another instance can continue the episode. */
// The last term: a firing alert whose condition just cleared is written at once, so every instance shows it resolving.
const episodeKey = (r: AlertRecord) => JSON.stringify([r.state, r.fingerprint, r.activeSince, r.firingSince, r.lastBreachAt, r.resolvedAt, r.lastNotifiedAt, r.notifiedFiring, r.silencedBy, r.inhibitedBy,
  (r.lastEvaluatedAt ?? 0) > (r.lastBreachAt ?? 0)])

const toActiveSilence = (s: SilenceRow): ActiveSilence => ({ id: s.id, ruleId: s.ruleId, matchers: s.matchers, endsAt: s.endsAt.getTime() })

function pushBounded<T> (queue: T[], items: readonly T[]): number {
  queue.push(...items)
  const dropped = Math.max(0, queue.length - MAX_PENDING_WRITES)
  if (dropped > 0) queue.splice(0, dropped)
  return dropped
}

/**
 * The evaluation loop around the pure engine: every `intervalMs` the lease
 * holder reads silences and the minute rollups of long windows (once per
 * tick, never per request), evaluates, hands notices to the notifier,
 * publishes changes and persists states, transitions and notification
 * attempts. With PostgreSQL down it keeps evaluating from memory (so
 * `postgres_down` fires and notifies) and writes the backlog once the
 * database is back.
 */
export function createAlertEvaluator (opts: EvaluatorOptions) {
  const { log, repo } = opts
  const timeoutMs = opts.storeTimeoutMs ?? 2000
  // Every store call is bounded, so a hung database delays a tick by seconds, never stops evaluation.
  const bounded = <T>(query: Promise<T>, what: string) => withStoreTimeout(query, timeoutMs, what)
  let timer: NodeJS.Timeout | undefined
  let running: Promise<TickResult | undefined> | undefined
  let lastTickAt: number | undefined
  let lastPruneAt = 0
  let lastFullSaveAt = -Infinity
  const saved = new Map<string, string>()
  let silences: ActiveSilence[] = []
  let storeDown = false
  const pendingEvents: Transition[] = []
  const pendingNotifications: NotificationRecord[] = []

  function storeFailed (err: unknown, what: string): void {
    if (!storeDown) log.warn({ err: { message: (err as Error).message }, what }, 'alert store unavailable; keeping writes in memory until it is back')
    storeDown = true
  }

  const writing = new Set<Promise<void>>()

  /** Stores one notification attempt now, or queues it for the next tick's write. */
  function recordNotification (row: NotificationRecord): void {
    const write = bounded(repo.insertNotifications([row]), 'insert notification').catch((err: unknown) => {
      const dropped = pushBounded(pendingNotifications, [row])
      if (dropped > 0) log.warn({ dropped }, 'alert notification log backlog full; oldest entries dropped')
      storeFailed(err, 'notification')
    }).finally(() => writing.delete(write))
    writing.add(write)
  }

  /** A new leader continues whatever episode the previous one persisted. */
  async function resume (): Promise<void> {
    try {
      opts.engine.load(await bounded(repo.loadStates(), 'load states'))
      saved.clear()
      log.info('alert evaluation lease acquired; continuing persisted alert states')
    } catch (err) {
      storeFailed(err, 'load states')
    }
  }

  async function refreshSilences (now: number): Promise<void> {
    try {
      silences = (await bounded(repo.activeSilences(new Date(now)), 'active silences')).map(toActiveSilence)
    } catch (err) {
      storeFailed(err, 'silences') // keep the last known silences
    }
  }

  async function persist (result: TickResult, now: number): Promise<void> {
    const dropped = pushBounded(pendingEvents, result.transitions)
    if (dropped > 0) log.warn({ dropped }, 'alert history backlog full; oldest transitions dropped')
    try {
      const notifications = pendingNotifications.length
      if (notifications > 0) await bounded(repo.insertNotifications(pendingNotifications.slice(0, notifications)), 'insert notifications')
      pendingNotifications.splice(0, notifications)
      const events = pendingEvents.length
      if (events > 0) await bounded(repo.insertEvents(pendingEvents.slice(0, events)), 'insert transitions')
      pendingEvents.splice(0, events)
      await saveStates(result.records, now)
      if (storeDown) log.info('alert store reachable again; backlog written')
      storeDown = false
    } catch (err) {
      storeFailed(err, 'persist')
      return
    }
    if (now - lastPruneAt >= PRUNE_EVERY_MS) {
      lastPruneAt = now
      const before = new Date(now - opts.retentionDays * DAY_MS)
      await bounded(Promise.all([repo.pruneEvents(before), repo.pruneNotifications(before), repo.pruneSilences(before)]), 'prune')
        .catch((err: unknown) => log.warn({ err }, 'alert history pruning failed'))
    }
  }

  /** Writes the alerts whose episode changed, and every alert (fresh values) every SAVE_ALL_EVERY_MS. */
  async function saveStates (records: readonly AlertRecord[], now: number): Promise<void> {
    const all = now - lastFullSaveAt >= SAVE_ALL_EVERY_MS
    const changed = all ? records : records.filter((r) => saved.get(r.ruleId) !== episodeKey(r))
    await bounded(repo.saveStates(changed), 'save states')
    for (const r of changed) saved.set(r.ruleId, episodeKey(r))
    if (all) lastFullSaveAt = now
  }

  async function evaluateOnce (): Promise<TickResult | undefined> {
    const wasLeader = opts.lease.isLeader()
    if (!await opts.lease.acquire()) return undefined
    if (!wasLeader) await resume()
    await opts.beforeTick?.()
    const now = opts.clock()
    await refreshSilences(now)
    await opts.longWindows?.refresh(now)
    const result = opts.engine.evaluate(now, silences)
    lastTickAt = now
    opts.notifier.enqueue(result.notices)
    for (const alert of result.changed) opts.publish(alert)
    for (const t of result.transitions) log.info({ alert: t.ruleId, from: t.from, to: t.to, value: t.value, silenced: t.silenced, inhibited: t.inhibited }, `alert ${t.ruleId}: ${t.from} → ${t.to}`)
    await persist(result, now)
    return result
  }

  /** One evaluation (skipped while the previous one still runs); resolves with what changed, undefined when not the leader. */
  function tick (): Promise<TickResult | undefined> {
    if (running) return running.then(() => undefined)
    running = evaluateOnce().catch((err: unknown) => {
      log.error({ err }, 'alert evaluation failed')
      return undefined
    }).finally(() => { running = undefined })
    return running
  }

  return {
    tick,
    recordNotification,
    start (): void {
      timer = setInterval(() => { tick().catch(() => {}) }, opts.intervalMs)
      timer.unref()
    },
    async stop (): Promise<void> {
      clearInterval(timer)
      await running
    },
    status: () => ({ leader: opts.lease.isLeader(), lastTickAt }),
    /** Resolves when notification attempts recorded so far are written (or queued). */
    written: async () => { await Promise.all([...writing]) }
  }
}
