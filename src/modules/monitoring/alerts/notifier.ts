import type { FastifyBaseLogger } from 'fastify'
import type { AlertNotice } from './engine.js'
import { withStoreTimeout } from '../shared/index.js'
import { buildPayload, deliverWebhook, groupKeyOf, webhookTarget, type AlertmanagerPayload, type IncidentNotes } from './webhook.js'

/** A notification waits at most this long for its incident summary, then goes without it. */
const DESCRIBE_TIMEOUT_MS = 2000

/** One notification attempt, as stored in alert_notifications. */
export interface NotificationRecord {
  groupKey: string
  receiver: 'log' | 'webhook'
  target: string
  status: 'firing' | 'resolved'
  ruleIds: string[]
  attempt: number
  outcome: 'sent' | 'failed' | 'retrying'
  httpStatus?: number
  error?: string
  durationMs: number
  /** When the attempt finished (epoch ms); with the group, target and attempt it identifies the row. */
  at: number
}

export interface NotifierOptions {
  log: FastifyBaseLogger
  webhookUrls: readonly string[]
  /** Notices of one group arriving within this window go out as one batch. */
  groupWaitMs: number
  externalUrl: string
  timeoutMs: number
  attempts: number
  backoffMs: number
  /** Stores an attempt; must not throw (the caller queues on database errors). */
  record: (row: NotificationRecord) => void
  /**
   * The incident summary lines of some notices (latency alerts: slower
   * routes, top query capture, profile verdict), by alert id; added to the
   * log line and the webhook body. Given DESCRIBE_TIMEOUT_MS.
   */
  describe?: (notices: readonly AlertNotice[]) => Promise<IncidentNotes>
}

interface Batch { notices: Map<string, AlertNotice>, timer: NodeJS.Timeout }

export type Notifier = ReturnType<typeof createNotifier>

/**
 * Sends alert notices to the log and to every webhook. Notices are batched
 * per alert group for `groupWaitMs`, then each batch becomes one log line
 * per alert and one Alertmanager body per webhook. Delivery runs in the
 * background: `enqueue` returns at once, so neither requests nor the
 * evaluation loop ever wait on a slow receiver.
 */
export function createNotifier (opts: NotifierOptions) {
  const batches = new Map<string, Batch>()
  const inflight = new Set<Promise<unknown>>()
  const shutdown = new AbortController()

  function logNotices (group: string, notices: AlertNotice[], payload: AlertmanagerPayload, notes: IncidentNotes): void {
    for (const { status, repeat, alert } of notices) {
      const fields = { alert: alert.id, severity: alert.severity, group, state: alert.state, value: alert.value, summary: alert.summary, fingerprint: alert.fingerprint, incident: notes.get(alert.id) }
      if (status === 'firing') opts.log.warn(fields, repeat ? `alert still firing: ${alert.id}` : `alert firing: ${alert.id}`)
      else opts.log.info(fields, `alert resolved: ${alert.id}`)
    }
    opts.record({ groupKey: payload.groupKey, receiver: 'log', target: 'log', status: payload.status, ruleIds: notices.map((n) => n.alert.id), attempt: 1, outcome: 'sent', durationMs: 0, at: Date.now() })
  }

  function sendWebhook (url: string, payload: AlertmanagerPayload): void {
    const target = webhookTarget(url)
    const ruleIds = payload.alerts.map((a) => a.labels.alertname)
    const delivery = deliverWebhook(url, payload, {
      timeoutMs: opts.timeoutMs,
      attempts: opts.attempts,
      backoffMs: opts.backoffMs,
      signal: shutdown.signal,
      onAttempt: (a) => {
        const fields = { target, groupKey: payload.groupKey, attempt: a.attempt, httpStatus: a.httpStatus, error: a.error, durationMs: a.durationMs }
        if (a.outcome === 'sent') opts.log.info(fields, 'alert webhook delivered')
        else opts.log.warn(fields, a.outcome === 'retrying' ? 'alert webhook failed; retrying' : 'alert webhook failed; giving up')
        opts.record({ groupKey: payload.groupKey, receiver: 'webhook', target, status: payload.status, ruleIds, ...a, at: Date.now() })
      }
    })
    inflight.add(delivery)
    delivery.finally(() => inflight.delete(delivery)).catch(() => {})
  }

  async function describe (notices: AlertNotice[]): Promise<IncidentNotes> {
    if (!opts.describe) return new Map()
    try {
      return await withStoreTimeout(opts.describe(notices), DESCRIBE_TIMEOUT_MS, 'the incident summary')
    } catch (err) {
      opts.log.warn({ err: { message: (err as Error).message } }, 'alert notification sent without its incident summary')
      return new Map()
    }
  }

  /** Sends one group's batch: the incident summaries first (bounded), then the log line and every webhook. */
  function send (group: string): void {
    const batch = batches.get(group)
    if (!batch) return
    batches.delete(group)
    clearTimeout(batch.timer)
    const notices = [...batch.notices.values()]
    const job = describe(notices).then((notes) => {
      const payload = buildPayload(group, notices, opts.externalUrl, notes)
      logNotices(group, notices, payload, notes)
      for (const url of opts.webhookUrls) sendWebhook(url, payload)
    })
    inflight.add(job)
    job.finally(() => inflight.delete(job)).catch(() => {})
  }

  /** Queues notices; each group's batch is sent `groupWaitMs` after its first notice. */
  function enqueue (notices: readonly AlertNotice[]): void {
    for (const notice of notices) {
      const group = notice.alert.group
      let batch = batches.get(group)
      if (!batch) {
        batch = { notices: new Map(), timer: setTimeout(() => send(group), opts.groupWaitMs) }
        batch.timer.unref()
        batches.set(group, batch)
      }
      // The latest notice of an alert wins (a firing then resolved within the wait sends the resolution).
      batch.notices.set(notice.alert.fingerprint, notice)
    }
  }

  return {
    enqueue,
    /** Sends every waiting batch now. */
    flush: () => { for (const group of [...batches.keys()]) send(group) },
    /** Resolves when every delivery started so far has finished (tests, shutdown). */
    settled: async () => { while (inflight.size > 0) await Promise.allSettled([...inflight]) },
    /** Sends waiting batches, lets first attempts finish, abandons pending retries. */
    close: async () => {
      for (const group of [...batches.keys()]) send(group)
      shutdown.abort()
      await Promise.allSettled([...inflight])
    },
    groupKeyOf
  }
}
