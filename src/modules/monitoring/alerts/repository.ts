import { and, desc, eq, getTableColumns, gt, isNull, lt, or, sql } from 'drizzle-orm'
import type { Database } from '../../../db/client.js'
import { alertEvents, alertNotifications, alertSilences, alertStates } from '../../../db/schema/index.js'
import { timedQuery } from '../../../lib/observability/index.js'
import type { AlertRecord, Transition } from './engine.js'
import type { AlertState } from './schemas.js'
import type { NotificationRecord } from './notifier.js'

export type AlertEventRow = typeof alertEvents.$inferSelect
export type AlertNotificationRow = typeof alertNotifications.$inferSelect
export type SilenceRow = typeof alertSilences.$inferSelect

const toDate = (ms: number | undefined) => ms === undefined ? null : new Date(ms)
const toMs = (d: Date | null) => d === null ? undefined : d.getTime()

function stateRow (r: AlertRecord) {
  return {
    ruleId: r.ruleId,
    fingerprint: r.fingerprint,
    state: r.state,
    value: r.value ?? null,
    labels: r.labels,
    activeSince: toDate(r.activeSince),
    firingSince: toDate(r.firingSince),
    lastBreachAt: toDate(r.lastBreachAt),
    resolvedAt: toDate(r.resolvedAt),
    lastNotifiedAt: toDate(r.lastNotifiedAt),
    notifiedFiring: r.notifiedFiring,
    silencedBy: r.silencedBy ?? null,
    inhibitedBy: r.inhibitedBy ?? null,
    lastEvaluatedAt: toDate(r.lastEvaluatedAt),
    updatedAt: new Date()
  }
}

function recordOf (row: typeof alertStates.$inferSelect): AlertRecord {
  return {
    ruleId: row.ruleId,
    fingerprint: row.fingerprint,
    state: row.state as AlertState,
    value: row.value ?? undefined,
    labels: row.labels,
    activeSince: toMs(row.activeSince),
    firingSince: toMs(row.firingSince),
    lastBreachAt: toMs(row.lastBreachAt),
    resolvedAt: toMs(row.resolvedAt),
    lastNotifiedAt: toMs(row.lastNotifiedAt),
    notifiedFiring: row.notifiedFiring,
    silencedBy: row.silencedBy ?? undefined,
    inhibitedBy: row.inhibitedBy ?? undefined,
    lastEvaluatedAt: toMs(row.lastEvaluatedAt)
  }
}

// Every column but the key is replaced from the new row.
const upsertSet = Object.fromEntries(Object.entries(getTableColumns(alertStates))
  .filter(([key]) => key !== 'ruleId')
  .map(([key, col]) => [key, sql.raw(`excluded."${col.name}"`)]))

export type AlertsRepository = ReturnType<typeof createAlertsRepository>

export function createAlertsRepository (db: Database) {
  return {
    async loadStates (): Promise<AlertRecord[]> {
      const rows = await timedQuery('alerts.load_states', db.select().from(alertStates))
      return rows.map(recordOf)
    },

    async saveStates (records: readonly AlertRecord[]): Promise<void> {
      if (records.length === 0) return
      await timedQuery('alerts.save_states', db.insert(alertStates).values(records.map(stateRow))
        .onConflictDoUpdate({ target: alertStates.ruleId, set: upsertSet }))
    },

    async insertEvents (transitions: readonly Transition[]): Promise<void> {
      if (transitions.length === 0) return
      await timedQuery('alerts.insert_events', db.insert(alertEvents).values(transitions.map((t) => ({
        ruleId: t.ruleId,
        fingerprint: t.fingerprint,
        fromState: t.from,
        toState: t.to,
        severity: t.severity,
        value: t.value ?? null,
        summary: t.summary,
        silenced: t.silenced,
        inhibited: t.inhibited,
        at: new Date(t.at)
      }))).onConflictDoNothing())
    },

    recentEvents (limit: number): Promise<AlertEventRow[]> {
      return timedQuery('alerts.recent_events', db.select().from(alertEvents).orderBy(desc(alertEvents.at), desc(alertEvents.id)).limit(limit))
    },

    async insertNotifications (rows: readonly NotificationRecord[]): Promise<void> {
      if (rows.length === 0) return
      await timedQuery('alerts.insert_notifications', db.insert(alertNotifications).values(rows.map((n) => ({
        groupKey: n.groupKey,
        receiver: n.receiver,
        target: n.target,
        status: n.status,
        ruleIds: n.ruleIds,
        attempt: n.attempt,
        outcome: n.outcome,
        httpStatus: n.httpStatus ?? null,
        error: n.error?.slice(0, 500) ?? null,
        durationMs: n.durationMs,
        at: new Date(n.at)
      }))).onConflictDoNothing())
    },

    recentNotifications (limit: number): Promise<AlertNotificationRow[]> {
      return timedQuery('alerts.recent_notifications', db.select().from(alertNotifications).orderBy(desc(alertNotifications.id)).limit(limit))
    },

    /** Silences in force at `now` (not ended, not expired early). */
    activeSilences (now: Date): Promise<SilenceRow[]> {
      return timedQuery('alerts.active_silences', db.select().from(alertSilences)
        .where(and(gt(alertSilences.endsAt, now), isNull(alertSilences.expiredAt))).orderBy(alertSilences.endsAt))
    },

    async insertSilence (s: { ruleId: string, matchers: Record<string, string>, comment: string, createdBy: number, createdAt: Date, endsAt: Date }): Promise<SilenceRow> {
      const [row] = await timedQuery('alerts.insert_silence', db.insert(alertSilences).values(s).returning())
      return row
    },

    async findSilence (id: number): Promise<SilenceRow | undefined> {
      const [row] = await timedQuery('alerts.find_silence', db.select().from(alertSilences).where(eq(alertSilences.id, id)))
      return row
    },

    /** Ends a silence still in force; undefined when it had already ended (or does not exist). */
    async expireSilence (id: number, now: Date): Promise<SilenceRow | undefined> {
      const [row] = await timedQuery('alerts.expire_silence', db.update(alertSilences).set({ expiredAt: now })
        .where(and(eq(alertSilences.id, id), isNull(alertSilences.expiredAt), gt(alertSilences.endsAt, now))).returning())
      return row
    },

    async pruneEvents (before: Date): Promise<void> {
      await timedQuery('alerts.prune_events', db.delete(alertEvents).where(lt(alertEvents.at, before)))
    },

    async pruneNotifications (before: Date): Promise<void> {
      await timedQuery('alerts.prune_notifications', db.delete(alertNotifications).where(lt(alertNotifications.at, before)))
    },

    /** Silences that ended (or were expired) before `before`. */
    async pruneSilences (before: Date): Promise<void> {
      await timedQuery('alerts.prune_silences', db.delete(alertSilences)
        .where(or(lt(alertSilences.endsAt, before), lt(alertSilences.expiredAt, before))))
    }
  }
}
