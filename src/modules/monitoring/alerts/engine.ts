import { createHash } from 'node:crypto'
import type { MetricsReader, WindowCoverage } from '../../../lib/metrics/index.js'
import type { Alert, AlertRule, AlertState, BurnRateRule, Operator, ThresholdRule } from './schemas.js'

/**
 * The alert state machine, free of I/O and of the wall clock: every call
 * gets `now` (epoch ms), so tests drive `for`, `keep_firing_for` and the
 * repeat interval to the millisecond. The evaluator persists what it returns.
 *
 *   inactive ──breach──▶ pending ──breach for for_s──▶ firing ──clear for keep_firing_for_s──▶ resolved
 *      ▲                    │ clear                        │                                     │ breach
 *      └────────────────────┘                              └── repeat notification every repeat_interval_s
 *
 * A metric with no data (the reader returns undefined, NaN, or throws) is
 * never a breach: a process that just started, or a window without
 * traffic, must not page anyone.
 */

/** The per-rule state the engine keeps and the evaluator persists (times in epoch ms). */
export interface AlertRecord {
  ruleId: string
  fingerprint: string
  state: AlertState
  value: number | undefined
  labels: Record<string, string>
  activeSince?: number
  firingSince?: number
  lastBreachAt?: number
  resolvedAt?: number
  lastNotifiedAt?: number
  /** A firing notification went out in this episode, so its resolution goes out too. */
  notifiedFiring: boolean
  silencedBy?: number
  inhibitedBy?: string
  lastEvaluatedAt?: number
  /** Measured-value line for the current evaluation (not persisted; rebuilt every tick). */
  summary?: string
}

export interface ActiveSilence {
  id: number
  ruleId: string
  matchers: Record<string, string>
  endsAt: number
}

export interface Transition {
  ruleId: string
  fingerprint: string
  from: AlertState
  to: AlertState
  at: number
  value: number | undefined
  severity: AlertRule['severity']
  summary: string
  silenced: boolean
  inhibited: boolean
}

export interface AlertNotice {
  status: 'firing' | 'resolved'
  /** True for a reminder of an alert already notified in this episode. */
  repeat: boolean
  rule: AlertRule
  alert: Alert
}

export interface TickResult {
  transitions: Transition[]
  notices: AlertNotice[]
  /** Alerts whose state, silence or inhibition changed this tick (published live). */
  changed: Alert[]
  /** Every rule's record after this tick (persisted). */
  records: AlertRecord[]
}

export interface AlertEngineOptions {
  rules: readonly AlertRule[]
  reader: MetricsReader
  /** Default re-notification interval for rules without `repeat_interval_s`. */
  repeatIntervalS: number
  /** The `instance` label of alerts that start an episode on this process. */
  instance: string
}

interface Measurement { value: number | undefined, breach: boolean, summary: string }

const COMPARE: Record<Operator, (a: number, b: number) => boolean> = {
  '>': (a, b) => a > b,
  '<': (a, b) => a < b,
  '>=': (a, b) => a >= b,
  '<=': (a, b) => a <= b
}

function read (reader: MetricsReader, rule: AlertRule, windowS: number): number | undefined {
  try {
    const v = reader.value(rule.metric, windowS)
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined
  } catch {
    return undefined
  }
}

const fmt = (v: number) => String(Math.round(v * 1000) / 1000)

/** `; history covers 600 of 3600s, …` when a window had less history than its length (a fresh start), else ''. */
function historyNote (reader: MetricsReader, rule: AlertRule, windows: readonly number[]): string {
  for (const windowS of windows) {
    let c: WindowCoverage | undefined
    try {
      c = reader.coverage?.(rule.metric, windowS)
    } catch {
      continue
    }
    if (c) return `; history covers ${c.coveredS} of ${windowS}s${c.rollups ? '' : ' (minute rollups unreadable)'}, the rest counted as error-free`
  }
  return ''
}

function measureThreshold (rule: ThresholdRule, reader: MetricsReader): Measurement {
  const value = read(reader, rule, rule.window_s)
  const breach = value !== undefined && COMPARE[rule.operator](value, rule.threshold)
  return { value, breach, summary: summaryFor(rule, value, historyNote(reader, rule, [rule.window_s])) }
}

function measureBurnRate (rule: BurnRateRule, reader: MetricsReader): Measurement {
  const short = read(reader, rule, rule.short_window_s)
  const long = read(reader, rule, rule.long_window_s)
  const budget = 1 - rule.slo
  const target = `> ${rule.factor}x, SLO ${fmt(rule.slo * 100)}%${historyNote(reader, rule, [rule.long_window_s, rule.short_window_s])}`
  if (short === undefined || long === undefined) return { value: undefined, breach: false, summary: `error budget burn rate: no data (${target})` }
  const burnShort = short / budget
  const burnLong = long / budget
  // Both windows must burn: the long one proves it matters, the short one that it is still happening.
  return {
    value: Math.min(burnShort, burnLong),
    breach: burnShort > rule.factor && burnLong > rule.factor,
    summary: `error budget burn rate ${fmt(burnShort)}x over ${rule.short_window_s}s and ${fmt(burnLong)}x over ${rule.long_window_s}s (${target})`
  }
}

export function measure (rule: AlertRule, reader: MetricsReader): Measurement {
  return rule.type === 'burn_rate' ? measureBurnRate(rule, reader) : measureThreshold(rule, reader)
}

export const ruleGroup = (rule: AlertRule) => rule.group ?? rule.id
export const ruleThreshold = (rule: AlertRule) => rule.type === 'burn_rate' ? rule.factor : rule.threshold

/** Stable across instances and restarts (unlike `instance`), so receivers can match firing and resolved. */
export function fingerprintOf (rule: AlertRule): string {
  return createHash('sha256').update(`alertname=${rule.id}\0alertgroup=${ruleGroup(rule)}\0severity=${rule.severity}`).digest('hex').slice(0, 16)
}

function labelsOf (rule: AlertRule, instance: string): Record<string, string> {
  return { alertname: rule.id, severity: rule.severity, alertgroup: ruleGroup(rule), service: 'techmart', instance }
}

export function initialRecord (rule: AlertRule, instance: string): AlertRecord {
  return { ruleId: rule.id, fingerprint: fingerprintOf(rule), state: 'inactive', value: undefined, labels: labelsOf(rule, instance), notifiedFiring: false }
}

/** Moves one record through the state machine for a breach (or not) observed at `now`. */
export function step (rule: AlertRule, rec: AlertRecord, breach: boolean, now: number, instance: string): AlertRecord {
  const next: AlertRecord = { ...rec, lastEvaluatedAt: now }
  if (breach) next.lastBreachAt = now
  switch (rec.state) {
    case 'inactive':
    case 'resolved':
      if (!breach) return next
      // A new episode: fresh labels, nothing notified yet.
      Object.assign(next, { activeSince: now, firingSince: undefined, resolvedAt: undefined, lastNotifiedAt: undefined, notifiedFiring: false, labels: labelsOf(rule, instance), fingerprint: fingerprintOf(rule) })
      if (rule.for_s === 0) return { ...next, state: 'firing', firingSince: now }
      return { ...next, state: 'pending' }
    case 'pending':
      if (!breach) return { ...next, state: 'inactive', activeSince: undefined }
      if (now - (rec.activeSince ?? now) >= rule.for_s * 1000) return { ...next, state: 'firing', firingSince: now }
      return next
    case 'firing':
      if (breach) return next
      // keep_firing_for: a flapping metric that dips for one tick does not resolve and re-fire.
      if (now - (rec.lastBreachAt ?? now) >= rule.keep_firing_for_s * 1000) return { ...next, state: 'resolved', resolvedAt: now }
      return next
  }
}

function matchSilence (rule: AlertRule, rec: AlertRecord, silences: readonly ActiveSilence[], now: number): number | undefined {
  const hit = silences.find((s) => s.ruleId === rule.id && s.endsAt > now &&
    Object.entries(s.matchers).every(([k, v]) => rec.labels[k] === v))
  return hit?.id
}

function inhibitorOf (rule: AlertRule, records: Map<string, AlertRecord>): string | undefined {
  return (rule.inhibited_by ?? []).find((id) => records.get(id)?.state === 'firing')
}

const iso = (ms: number | undefined) => ms === undefined ? null : new Date(ms).toISOString()

/**
 * When a firing alert whose condition has cleared resolves, unless it
 * breaches again (keep_firing_for_s after its last breach); undefined when
 * it is not in that state.
 */
export function resolvesAt (rule: AlertRule, rec: AlertRecord): number | undefined {
  if (rec.state !== 'firing' || rec.lastBreachAt === undefined || rec.lastEvaluatedAt === undefined) return undefined
  return rec.lastEvaluatedAt > rec.lastBreachAt ? rec.lastBreachAt + rule.keep_firing_for_s * 1000 : undefined
}

/** `…; cleared 40s ago, resolves in 260s unless it breaches again` (as of the evaluation). */
function resolvingNote (rec: AlertRecord, until: number): string {
  const at = rec.lastEvaluatedAt ?? until
  const cleared = Math.round((at - (rec.lastBreachAt ?? at)) / 1000)
  return `; condition cleared ${cleared}s ago, resolves in ${Math.max(0, Math.round((until - at) / 1000))}s unless it breaches again`
}

/** The served shape of an alert (GET /monitoring/alerts, the transition channel, webhook bodies). */
export function toAlert (rule: AlertRule, rec: AlertRecord): Alert {
  const until = resolvesAt(rule, rec)
  const summary = rec.summary ?? summaryFor(rule, rec.value)
  return {
    id: rule.id,
    fingerprint: rec.fingerprint,
    state: rec.state,
    severity: rule.severity,
    group: ruleGroup(rule),
    description: rule.description,
    summary: until === undefined ? summary : summary + resolvingNote(rec, until),
    metric: rule.metric,
    value: rec.value ?? null,
    threshold: ruleThreshold(rule),
    labels: rec.labels,
    active_since: iso(rec.activeSince),
    firing_since: iso(rec.firingSince),
    resolved_at: iso(rec.resolvedAt),
    last_evaluated_at: iso(rec.lastEvaluatedAt),
    last_notified_at: iso(rec.lastNotifiedAt),
    silenced: rec.silencedBy !== undefined,
    silenced_by: rec.silencedBy ?? null,
    inhibited: rec.inhibitedBy !== undefined,
    inhibited_by: rec.inhibitedBy ?? null,
    resolving: until !== undefined,
    resolves_at: iso(until),
    // Freshly evaluated here; the API marks states nobody evaluates any more (service.ts).
    stale: false
  }
}

/** The summary line rebuilt from a persisted value (records loaded from PostgreSQL carry no summary). */
export function summaryFor (rule: AlertRule, value: number | undefined, note = ''): string {
  if (rule.type === 'burn_rate') {
    const target = `> ${rule.factor}x over ${rule.short_window_s}s and ${rule.long_window_s}s, SLO ${fmt(rule.slo * 100)}%`
    return value === undefined ? `error budget burn rate: no data (${target})` : `error budget burn rate ${fmt(value)}x (${target})`
  }
  const cond = `${rule.operator} ${rule.threshold} over ${rule.window_s}s${note}`
  return value === undefined ? `${rule.metric}: no data (${cond})` : `${rule.metric} is ${fmt(value)} (${cond})`
}

export type AlertEngine = ReturnType<typeof createAlertEngine>

/** Creates the engine for a fixed rule set; `load` continues episodes persisted by any instance. */
export function createAlertEngine (opts: AlertEngineOptions) {
  const rules = new Map(opts.rules.map((r) => [r.id, r]))
  const records = new Map<string, AlertRecord>()
  for (const rule of opts.rules) records.set(rule.id, initialRecord(rule, opts.instance))

  function load (saved: readonly AlertRecord[]): void {
    for (const rec of saved) {
      const rule = rules.get(rec.ruleId)
      // A rule edited or removed since the record was saved starts over rather than mixing definitions.
      if (rule && rec.fingerprint === fingerprintOf(rule)) records.set(rule.id, { ...rec })
    }
  }

  function notify (rule: AlertRule, rec: AlertRecord, prev: AlertRecord, now: number): AlertNotice | undefined {
    if (rec.state === 'resolved' && prev.state === 'firing') {
      if (!rec.notifiedFiring) return undefined // never announced (silenced/inhibited): nothing to take back
      rec.notifiedFiring = false
      rec.lastNotifiedAt = now
      return { status: 'resolved', repeat: false, rule, alert: toAlert(rule, rec) }
    }
    if (rec.state !== 'firing' || rec.silencedBy !== undefined || rec.inhibitedBy !== undefined) return undefined
    const repeatMs = (rule.repeat_interval_s ?? opts.repeatIntervalS) * 1000
    if (rec.notifiedFiring && now - (rec.lastNotifiedAt ?? 0) < repeatMs) return undefined
    const repeat = rec.notifiedFiring
    rec.notifiedFiring = true
    rec.lastNotifiedAt = now
    return { status: 'firing', repeat, rule, alert: toAlert(rule, rec) }
  }

  /** One evaluation at `now` against the active `silences`. */
  function evaluate (now: number, silences: readonly ActiveSilence[] = []): TickResult {
    const before = new Map(records)
    for (const rule of opts.rules) {
      const m = measure(rule, opts.reader)
      const rec = step(rule, records.get(rule.id)!, m.breach, now, opts.instance)
      records.set(rule.id, { ...rec, value: m.value, summary: m.summary })
    }
    // Inhibition and silences are decided on the new states, so a dependency outage detected this tick already mutes.
    for (const rule of opts.rules) {
      const rec = records.get(rule.id)!
      rec.inhibitedBy = inhibitorOf(rule, records)
      rec.silencedBy = matchSilence(rule, rec, silences, now)
    }
    const result: TickResult = { transitions: [], notices: [], changed: [], records: [] }
    for (const rule of opts.rules) {
      const rec = records.get(rule.id)!
      const prev = before.get(rule.id)!
      const notice = notify(rule, rec, prev, now)
      if (notice) result.notices.push(notice)
      if (prev.state !== rec.state) result.transitions.push(transitionOf(rule, prev, rec, now))
      // Starting to resolve (keep_firing_for running) is news to the dashboard too.
      const resolving = (r: AlertRecord) => resolvesAt(rule, r) !== undefined
      if (prev.state !== rec.state || prev.silencedBy !== rec.silencedBy || prev.inhibitedBy !== rec.inhibitedBy || resolving(prev) !== resolving(rec)) result.changed.push(toAlert(rule, rec))
      result.records.push({ ...rec })
    }
    return result
  }

  return {
    load,
    evaluate,
    rules: () => [...opts.rules],
    alerts: () => opts.rules.map((rule) => toAlert(rule, records.get(rule.id)!)),
    records: () => [...records.values()].map((r) => ({ ...r }))
  }
}

function transitionOf (rule: AlertRule, prev: AlertRecord, rec: AlertRecord, now: number): Transition {
  return {
    ruleId: rule.id,
    fingerprint: rec.fingerprint,
    from: prev.state,
    to: rec.state,
    at: now,
    value: rec.value,
    severity: rule.severity,
    summary: rec.summary ?? '',
    silenced: rec.silencedBy !== undefined,
    inhibited: rec.inhibitedBy !== undefined
  }
}
