import type { FastifyBaseLogger } from 'fastify'
import { fingerprintOf, initialRecord, toAlert, type AlertRecord } from './engine.js'
import { SAVE_ALL_EVERY_MS } from './evaluator.js'
import { AlertsErrors } from './errors.js'
import type { AlertEventRow, AlertNotificationRow, AlertsRepository, SilenceRow } from './repository.js'
import { withStoreTimeout } from '../shared/index.js'
import type { Alert, AlertEvent, AlertRule, AlertsOverview, AlertState, Notification, Severity, Silence, SilenceBody } from './schemas.js'
import type { Incident } from './incidents/schemas.js'

export interface AlertsServiceOptions {
  repo: AlertsRepository
  rules: readonly AlertRule[]
  log: FastifyBaseLogger
  clock: () => number
  instance: string
  /** When this process started (epoch ms). */
  startedAt: number
  evaluation: {
    enabled: boolean
    intervalMs: number
    status: () => { leader: boolean, lastTickAt: number | undefined }
    /** The engine's live view when this instance evaluates, else undefined. */
    liveAlerts: () => Alert[] | undefined
  }
  /** The incident view of a rule's latest episode (incidents/service.ts). */
  incident: (ruleId: string) => Promise<Incident>
}

export type AlertsService = ReturnType<typeof createAlertsService>

/** The overview falls back to memory rather than hang on a database that accepts but never answers. */
const OVERVIEW_TIMEOUT_MS = 2000
const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 }
const iso = (d: Date | null) => d === null ? null : d.toISOString()

function byUrgency (a: Alert, b: Alert): number {
  return Number(a.stale) - Number(b.stale) ||
    Number(b.state === 'firing') - Number(a.state === 'firing') ||
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
    (a.active_since ?? '').localeCompare(b.active_since ?? '')
}

function eventOf (row: AlertEventRow): AlertEvent {
  return {
    id: row.id,
    rule_id: row.ruleId,
    fingerprint: row.fingerprint,
    from_state: row.fromState as AlertState,
    to_state: row.toState as AlertState,
    severity: row.severity as Severity,
    value: row.value,
    summary: row.summary,
    silenced: row.silenced,
    inhibited: row.inhibited,
    at: row.at.toISOString()
  }
}

function notificationOf (row: AlertNotificationRow): Notification {
  return {
    id: row.id,
    group_key: row.groupKey,
    receiver: row.receiver,
    target: row.target,
    status: row.status as Notification['status'],
    rule_ids: row.ruleIds,
    attempt: row.attempt,
    outcome: row.outcome as Notification['outcome'],
    http_status: row.httpStatus,
    error: row.error,
    duration_ms: row.durationMs,
    at: row.at.toISOString()
  }
}

/**
 * The alerting API: the overview every instance serves from PostgreSQL
 * (whichever instance evaluates), notifications, and silences. When
 * PostgreSQL cannot be read, the overview falls back to this instance's
 * last known view — the moment `postgres_down` fires is the moment the
 * dashboard must still show it.
 */
export function createAlertsService (opts: AlertsServiceOptions) {
  const { repo, rules } = opts
  const ruleById = new Map(rules.map((r) => [r.id, r]))
  const board = new Map<string, Alert>()
  let lastSilences: Silence[] = []

  function silenceOf (row: SilenceRow): Silence {
    return {
      id: row.id,
      rule_id: row.ruleId,
      matchers: row.matchers,
      comment: row.comment,
      created_by: row.createdBy,
      created_at: row.createdAt.toISOString(),
      ends_at: row.endsAt.toISOString(),
      expired_at: iso(row.expiredAt),
      active: row.expiredAt === null && row.endsAt.getTime() > opts.clock()
    }
  }

  function alertsFrom (records: readonly AlertRecord[]): Alert[] {
    const byRule = new Map(records.map((r) => [r.ruleId, r]))
    return rules.map((rule) => {
      const rec = byRule.get(rule.id)
      return toAlert(rule, rec && rec.fingerprint === fingerprintOf(rule) ? rec : initialRecord(rule, opts.instance))
    })
  }

  // A state is written at least every SAVE_ALL_EVERY_MS by whichever instance evaluates; three missed ticks on top is a gone evaluator.
  const staleAfterMs = SAVE_ALL_EVERY_MS + 3 * opts.evaluation.intervalMs

  /** Marks pending and firing states that nobody has evaluated for staleAfterMs (left by a gone process or another database). */
  function withStaleness (alert: Alert): Alert {
    if (alert.state !== 'pending' && alert.state !== 'firing') return alert
    const evaluated = alert.last_evaluated_at === null ? undefined : Date.parse(alert.last_evaluated_at)
    return { ...alert, stale: evaluated === undefined || opts.clock() - evaluated > staleAfterMs }
  }

  function assemble (served: Alert[], history: AlertEvent[], silences: Silence[], source: AlertsOverview['source']): AlertsOverview {
    const { leader, lastTickAt } = opts.evaluation.status()
    const alerts = served.map(withStaleness)
    return {
      active: alerts.filter((a) => a.state === 'pending' || a.state === 'firing').sort(byUrgency),
      alerts,
      history,
      silences,
      rules: [...rules],
      evaluation: {
        enabled: opts.evaluation.enabled,
        interval_ms: opts.evaluation.intervalMs,
        leader,
        last_tick_at: lastTickAt === undefined ? null : new Date(lastTickAt).toISOString(),
        instance: opts.instance,
        instance_started_at: new Date(opts.startedAt).toISOString(),
        stale_after_ms: staleAfterMs
      },
      source
    }
  }

  async function overview (historyLimit: number): Promise<AlertsOverview> {
    try {
      const [states, events, silences] = await withStoreTimeout(
        Promise.all([repo.loadStates(), repo.recentEvents(historyLimit), repo.activeSilences(new Date(opts.clock()))]), OVERVIEW_TIMEOUT_MS, 'overview')
      const alerts = alertsFrom(states)
      for (const a of alerts) board.set(a.id, a)
      lastSilences = silences.map(silenceOf)
      return assemble(alerts, events.map(eventOf), lastSilences, 'database')
    } catch (err) {
      opts.log.warn({ err: { message: (err as Error).message } }, 'alert overview served from memory: the alert store is unavailable')
      const alerts = opts.evaluation.liveAlerts() ?? rules.map((rule) => board.get(rule.id) ?? toAlert(rule, initialRecord(rule, opts.instance)))
      return assemble(alerts, [], lastSilences.filter((s) => Date.parse(s.ends_at) > opts.clock()), 'memory')
    }
  }

  /** One rule's alert as known now: the evaluating engine's, else the store's, else this instance's last known. */
  async function alert (ruleId: string): Promise<Alert | undefined> {
    const rule = ruleById.get(ruleId)
    if (!rule) return undefined
    const live = opts.evaluation.liveAlerts()?.find((a) => a.id === ruleId)
    if (live) return live
    let found: Alert | undefined
    try {
      const states = await withStoreTimeout(repo.loadStates(), OVERVIEW_TIMEOUT_MS, 'alert states')
      found = alertsFrom(states).find((a) => a.id === ruleId)
    } catch {
      found = board.get(ruleId) ?? toAlert(rule, initialRecord(rule, opts.instance))
    }
    return found && withStaleness(found)
  }

  return {
    overview,
    alert,
    incident: opts.incident,

    /** Keeps the in-memory fallback current with changes evaluated here or on other instances. */
    remember (alert: Alert): void {
      if (ruleById.has(alert.id)) board.set(alert.id, alert)
    },

    async notifications (limit: number): Promise<Notification[]> {
      return (await repo.recentNotifications(limit)).map(notificationOf)
    },

    /** Silences rule `ruleId` for `duration_s`; the evaluating instance applies it at its next tick. */
    async silence (ruleId: string, body: SilenceBody, userId: number): Promise<Silence> {
      if (!ruleById.has(ruleId)) throw new AlertsErrors.RULE_NOT_FOUND(ruleId)
      const now = opts.clock()
      const row = await repo.insertSilence({
        ruleId,
        matchers: body.matchers ?? {},
        comment: body.comment,
        createdBy: userId,
        createdAt: new Date(now),
        endsAt: new Date(now + body.duration_s * 1000)
      })
      opts.log.info({ silenceId: row.id, ruleId, userId, endsAt: row.endsAt.toISOString() }, 'alert silenced')
      return silenceOf(row)
    },

    /** Ends a silence early. */
    async expireSilence (id: number, userId: number): Promise<Silence> {
      const row = await repo.expireSilence(id, new Date(opts.clock()))
      if (row) {
        opts.log.info({ silenceId: id, ruleId: row.ruleId, userId }, 'silence expired early')
        return silenceOf(row)
      }
      if (!await repo.findSilence(id)) throw new AlertsErrors.SILENCE_NOT_FOUND(id)
      throw new AlertsErrors.SILENCE_ALREADY_ENDED(id)
    }
  }
}
