import { setTimeout as sleep } from 'node:timers/promises'
import type { AlertNotice } from './engine.js'

/**
 * Alertmanager-compatible webhook bodies (version 4) and their delivery
 * with a timeout and retries, so any receiver built for Alertmanager
 * (PagerDuty/Slack bridges, alertmanager-webhook-logger, ...) accepts ours.
 */

/** Alertmanager's "zero" time, used as `endsAt` of firing alerts. */
const ZERO_TIME = '0001-01-01T00:00:00Z'
export const RECEIVER_NAME = 'techmart-webhook'

/** Incident summary lines by alert id (notifier.ts `describe`). */
export type IncidentNotes = ReadonlyMap<string, readonly string[]>

export interface AlertmanagerAlert {
  status: 'firing' | 'resolved'
  labels: Record<string, string>
  /**
   * `incident` (latency alerts): what explains it, one line each — slower
   * routes, the top query capture, the profile's verdict; `incident_url`:
   * the dashboard's incident view.
   */
  annotations: { summary: string, description: string, incident?: string, incident_url?: string }
  startsAt: string
  endsAt: string
  generatorURL: string
  fingerprint: string
}

export interface AlertmanagerPayload {
  version: '4'
  groupKey: string
  truncatedAlerts: number
  status: 'firing' | 'resolved'
  receiver: string
  groupLabels: Record<string, string>
  commonLabels: Record<string, string>
  commonAnnotations: Record<string, string>
  externalURL: string
  alerts: AlertmanagerAlert[]
}

function common (maps: Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = maps
  if (!first) return {}
  return Object.fromEntries(Object.entries(first).filter(([k, v]) => rest.every((m) => m[k] === v)))
}

export const groupKeyOf = (group: string) => `{}:{alertgroup="${group}"}`

/** One body for the notices of one group (firing if any of them fires); `notes` adds incident summaries. */
export function buildPayload (group: string, notices: readonly AlertNotice[], externalUrl: string, notes: IncidentNotes = new Map()): AlertmanagerPayload {
  const base = externalUrl.replace(/\/+$/, '')
  const alerts = notices.map(({ status, alert }): AlertmanagerAlert => ({
    status,
    labels: alert.labels,
    annotations: {
      summary: alert.summary,
      description: alert.description,
      ...(notes.has(alert.id) ? { incident: notes.get(alert.id)!.join('\n'), incident_url: `${base}/dashboard#incident=${encodeURIComponent(alert.id)}` } : {})
    },
    startsAt: alert.firing_since ?? alert.active_since ?? new Date().toISOString(),
    endsAt: status === 'resolved' ? (alert.resolved_at ?? new Date().toISOString()) : ZERO_TIME,
    generatorURL: `${base}/dashboard#alert=${encodeURIComponent(alert.id)}`,
    fingerprint: alert.fingerprint
  }))
  return {
    version: '4',
    groupKey: groupKeyOf(group),
    truncatedAlerts: 0,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: RECEIVER_NAME,
    groupLabels: { alertgroup: group },
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL: base,
    alerts
  }
}

/** The URL as it may be logged and stored: origin only (webhook paths and queries often carry secrets). */
export function webhookTarget (url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return '<invalid url>'
  }
}

export interface DeliveryAttempt {
  attempt: number
  outcome: 'sent' | 'failed' | 'retrying'
  httpStatus?: number
  error?: string
  durationMs: number
}

export interface DeliveryOptions {
  timeoutMs: number
  attempts: number
  /** First retry waits about this long; each further retry doubles it (with jitter). */
  backoffMs: number
  /** Called after every attempt (logging and the notification table). */
  onAttempt: (attempt: DeliveryAttempt) => void
  /** Aborts pending retries (shutdown). */
  signal?: AbortSignal
  random?: () => number
}

// 408/429 and 5xx are worth another try; any other 4xx will fail the same way again.
const retryable = (status: number) => status === 408 || status === 429 || status >= 500

async function attemptOnce (url: string, body: string, timeoutMs: number): Promise<{ ok: boolean, status?: number, error?: string }> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'techmart-alerts/1' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error'
    })
    await res.body?.cancel().catch(() => {}) // the answer's body is never needed; free the socket
    return res.ok ? { ok: true, status: res.status } : { ok: false, status: res.status, error: `HTTP ${res.status}` }
  } catch (err) {
    // fetch wraps the network error: its cause says what happened (ECONNREFUSED, bad port, ...).
    const e = err as Error & { cause?: { code?: string, message?: string } }
    const reason = e.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message)
    return { ok: false, error: String(reason).slice(0, 300) }
  }
}

/**
 * POSTs `payload` to `url`, retrying network errors, timeouts, 408/429 and
 * 5xx with exponential backoff and equal jitter. Resolves true when an
 * attempt got a 2xx. Never throws.
 */
export async function deliverWebhook (url: string, payload: AlertmanagerPayload, opts: DeliveryOptions): Promise<boolean> {
  const body = JSON.stringify(payload)
  const random = opts.random ?? Math.random
  for (let attempt = 1; attempt <= opts.attempts; attempt++) {
    const started = performance.now()
    const r = await attemptOnce(url, body, opts.timeoutMs)
    const durationMs = Math.round((performance.now() - started) * 10) / 10
    const last = attempt === opts.attempts || opts.signal?.aborted === true || (r.status !== undefined && !r.ok && !retryable(r.status))
    const outcome = r.ok ? 'sent' : last ? 'failed' : 'retrying'
    opts.onAttempt({ attempt, outcome, httpStatus: r.status, error: r.error, durationMs })
    if (outcome !== 'retrying') return r.ok
    const ceiling = opts.backoffMs * 2 ** (attempt - 1)
    try {
      await sleep(ceiling / 2 + random() * ceiling / 2, undefined, { signal: opts.signal })
    } catch {
      // Shutting down: record why the promised retry never happened.
      opts.onAttempt({ attempt, outcome: 'failed', error: 'retries abandoned at shutdown', durationMs: 0 })
      return false
    }
  }
  return false
}
