import { Type, type Static } from 'typebox'
import type { MetricName } from '../../../lib/metrics/index.js'

/**
 * JSON shapes of the alerting API (GET /monitoring/alerts and friends) and of
 * the alert rules file. The dashboard builds its alert, silence, history and
 * notification panels from these; the 'techmart:alert:transition'
 * diagnostics channel carries `Alert` objects.
 */

/** Every metric a rule may watch: the runtime list of `MetricName`. */
export const METRIC_NAMES = [
  'http_p50_ms', 'http_p95_ms', 'http_p99_ms', 'http_rps', 'http_error_rate', 'http_rate_limited_ratio',
  'cache_hit_rate', 'event_loop_delay_p99_ms', 'event_loop_utilization', 'db_pool_utilization', 'db_pool_waiting',
  'db_up', 'redis_up', 'low_stock_products'
] as const satisfies readonly MetricName[]

// Fails to compile when metrics-reader.ts gains a metric this list lacks.
type MissingMetric = Exclude<MetricName, typeof METRIC_NAMES[number]>
export type MetricNamesAreExhaustive = [MissingMetric] extends [never] ? true : { missing: MissingMetric }
export const METRIC_NAMES_EXHAUSTIVE: MetricNamesAreExhaustive = true

const IdString = Type.String({ pattern: '^[a-z][a-z0-9_]{1,63}$', description: 'snake_case identifier' })
const IsoDate = Type.String({ format: 'date-time' })
const NullableIso = Type.Union([IsoDate, Type.Null()])
const NullableNumber = Type.Union([Type.Number(), Type.Null()])
/** Label values are plain strings (Alertmanager's model). */
const LabelsSchema = Type.Record(Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]{0,63}$' }), Type.String({ maxLength: 200 }))

export const SeveritySchema = Type.Union([Type.Literal('critical'), Type.Literal('warning'), Type.Literal('info')])
export const OperatorSchema = Type.Union([Type.Literal('>'), Type.Literal('<'), Type.Literal('>='), Type.Literal('<=')])
export const MetricNameSchema = Type.Enum(METRIC_NAMES)

const RuleCommon = {
  id: IdString,
  severity: SeveritySchema,
  description: Type.String({ minLength: 1, maxLength: 500 }),
  /** Notifications of the same group are batched into one webhook call. @default the rule id */
  group: Type.Optional(IdString),
  /** While any of these rules is firing, this rule's notifications are held back (state is still tracked). */
  inhibited_by: Type.Optional(Type.Array(IdString, { maxItems: 20 })),
  /** Seconds the condition must hold (pending) before the alert fires. */
  for_s: Type.Integer({ minimum: 0, maximum: 86_400 }),
  /** Seconds a firing alert stays firing after the condition clears, against flapping. */
  keep_firing_for_s: Type.Integer({ minimum: 0, maximum: 86_400 }),
  /** Re-notify a still-firing alert after this long. @default ALERT_REPEAT_INTERVAL_S */
  repeat_interval_s: Type.Optional(Type.Integer({ minimum: 60, maximum: 7 * 86_400 }))
}

/** Fires when `metric` over the last `window_s` seconds compares true against `threshold`. */
export const ThresholdRuleSchema = Type.Object({
  type: Type.Literal('threshold'),
  ...RuleCommon,
  metric: MetricNameSchema,
  window_s: Type.Integer({ minimum: 1, maximum: 86_400 }),
  operator: OperatorSchema,
  threshold: Type.Number()
}, { additionalProperties: false })

/**
 * Multi-window SLO burn rate (Google SRE workbook): burn = error ratio / (1 − slo).
 * Fires when the burn rate exceeds `factor` over BOTH the short and the long window.
 */
export const BurnRateRuleSchema = Type.Object({
  type: Type.Literal('burn_rate'),
  ...RuleCommon,
  /** The error ratio (0..1) whose budget is burnt. */
  metric: Type.Union([Type.Literal('http_error_rate'), Type.Literal('http_rate_limited_ratio')]),
  slo: Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 }),
  short_window_s: Type.Integer({ minimum: 1, maximum: 86_400 }),
  long_window_s: Type.Integer({ minimum: 1, maximum: 30 * 86_400 }),
  factor: Type.Number({ exclusiveMinimum: 0 })
}, { additionalProperties: false })

export const AlertRuleSchema = Type.Union([ThresholdRuleSchema, BurnRateRuleSchema])
/** The rules file (ALERT_RULES_FILE): `{ "rules": [...] }` replacing the defaults. */
export const AlertRulesFileSchema = Type.Object({
  rules: Type.Array(AlertRuleSchema, { minItems: 0, maxItems: 200 })
}, { additionalProperties: false })

export const AlertStateSchema = Type.Union([Type.Literal('inactive'), Type.Literal('pending'), Type.Literal('firing'), Type.Literal('resolved')])

/** One alert per rule: its current state, as served and as published on 'techmart:alert:transition'. */
export const AlertSchema = Type.Object({
  /** The rule id; also the `{id}` of POST /monitoring/alerts/{id}/silence. */
  id: IdString,
  fingerprint: Type.String(),
  state: AlertStateSchema,
  severity: SeveritySchema,
  group: Type.String(),
  description: Type.String(),
  /** Human line with the measured value, e.g. "http_p95_ms is 312.5 (> 200 over 60s)". */
  summary: Type.String(),
  metric: Type.String(),
  /** Last measured value; null when the metric had no data (no data is never a breach). */
  value: NullableNumber,
  threshold: Type.Number(),
  labels: LabelsSchema,
  /** When the condition became true for this episode (pending start). */
  active_since: NullableIso,
  firing_since: NullableIso,
  resolved_at: NullableIso,
  last_evaluated_at: NullableIso,
  last_notified_at: NullableIso,
  silenced: Type.Boolean(),
  /** Id of the silence that mutes it. */
  silenced_by: Type.Union([Type.Integer(), Type.Null()]),
  inhibited: Type.Boolean(),
  /** Id of the firing rule that inhibits it. */
  inhibited_by: Type.Union([Type.String(), Type.Null()]),
  /**
   * Firing, but the condition no longer holds: `keep_firing_for_s` is running and the alert
   * resolves at `resolves_at` unless it breaches again (its `summary` says so too).
   */
  resolving: Type.Boolean(),
  resolves_at: NullableIso,
  /**
   * Nobody has evaluated this state recently (`last_evaluated_at` older than `evaluation.stale_after_ms`,
   * or never): it was left by a process that is gone, or comes from another copy of the database,
   * and says nothing about now.
   */
  stale: Type.Boolean()
})

/** One state change, kept in PostgreSQL (history panel). */
export const AlertEventSchema = Type.Object({
  id: Type.Integer(),
  rule_id: Type.String(),
  fingerprint: Type.String(),
  from_state: AlertStateSchema,
  to_state: AlertStateSchema,
  severity: SeveritySchema,
  value: NullableNumber,
  summary: Type.String(),
  silenced: Type.Boolean(),
  inhibited: Type.Boolean(),
  at: IsoDate
})

export const SilenceSchema = Type.Object({
  id: Type.Integer(),
  rule_id: Type.String(),
  /** Extra label equality matchers; empty matches every alert of the rule. */
  matchers: LabelsSchema,
  comment: Type.String(),
  created_by: Type.Union([Type.Integer(), Type.Null()]),
  created_at: IsoDate,
  ends_at: IsoDate,
  /** Set when an admin expired it early. */
  expired_at: NullableIso,
  active: Type.Boolean()
})

/** One notification attempt and its outcome (notification log panel). */
export const NotificationSchema = Type.Object({
  id: Type.Integer(),
  group_key: Type.String(),
  /** `log` or `webhook`. */
  receiver: Type.String(),
  /** Where it went: `log`, or the webhook's origin (never its secret path or query). */
  target: Type.String(),
  status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  rule_ids: Type.Array(Type.String()),
  attempt: Type.Integer(),
  outcome: Type.Union([Type.Literal('sent'), Type.Literal('failed'), Type.Literal('retrying')]),
  http_status: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  duration_ms: Type.Number(),
  at: IsoDate
})

export const EvaluationStatusSchema = Type.Object({
  /** False when no metrics reader is available (alerts are then never evaluated). */
  enabled: Type.Boolean(),
  interval_ms: Type.Integer(),
  /** True when this instance holds the evaluation lease. */
  leader: Type.Boolean(),
  last_tick_at: NullableIso,
  /** This process (`labels.instance` of the episodes it starts) and when it started. */
  instance: Type.String(),
  instance_started_at: IsoDate,
  /** A pending or firing alert not evaluated for this long is `stale`. */
  stale_after_ms: Type.Integer()
})

export const AlertsOverviewSchema = Type.Object({
  /** Pending and firing alerts, firing first. */
  active: Type.Array(AlertSchema),
  /** Every rule's alert, including inactive and resolved ones. */
  alerts: Type.Array(AlertSchema),
  /** Most recent state changes first. */
  history: Type.Array(AlertEventSchema),
  /** Silences in force. */
  silences: Type.Array(SilenceSchema),
  rules: Type.Array(AlertRuleSchema),
  evaluation: EvaluationStatusSchema,
  /** `memory` when PostgreSQL could not be read and this instance's last known view is served. */
  source: Type.Union([Type.Literal('database'), Type.Literal('memory')])
})

export const AlertsOverviewQuerySchema = Type.Object({
  history_limit: Type.Integer({ minimum: 1, maximum: 500, default: 50, description: 'Recent state changes to include' })
}, { additionalProperties: false })

export const AlertIdParamsSchema = Type.Object({ id: Type.String({ ...IdString, description: 'Alert rule id (snake_case)' }) }, { additionalProperties: false })
export const SilenceIdParamsSchema = Type.Object({ id: Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'Silence id' }) }, { additionalProperties: false })

export const SilenceBodySchema = Type.Object({
  /** How long the silence lasts: 1 minute to 7 days. */
  duration_s: Type.Integer({ minimum: 60, maximum: 7 * 86_400 }),
  comment: Type.String({ minLength: 1, maxLength: 500 }),
  matchers: Type.Optional(Type.Record(Type.String({ pattern: '^[a-zA-Z_][a-zA-Z0-9_]{0,63}$' }), Type.String({ maxLength: 200 }), { maxProperties: 10 }))
}, { additionalProperties: false })

export const NotificationsQuerySchema = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 100, description: 'Notification attempts to return, newest first' })
}, { additionalProperties: false })

export const NotificationsResponseSchema = Type.Object({ notifications: Type.Array(NotificationSchema) })

/** The one error body and its response-map helper (src/lib/http/schemas.ts), under this module's names. */
export { ErrorSchema as AlertsErrorSchema, errorResponses as alertErrorResponses } from '../../../lib/http/index.js'

export type Severity = Static<typeof SeveritySchema>
export type Operator = Static<typeof OperatorSchema>
export type ThresholdRule = Static<typeof ThresholdRuleSchema>
export type BurnRateRule = Static<typeof BurnRateRuleSchema>
export type AlertRule = Static<typeof AlertRuleSchema>
export type AlertState = Static<typeof AlertStateSchema>
export type Alert = Static<typeof AlertSchema>
export type AlertEvent = Static<typeof AlertEventSchema>
export type Silence = Static<typeof SilenceSchema>
export type Notification = Static<typeof NotificationSchema>
export type AlertsOverview = Static<typeof AlertsOverviewSchema>
export type SilenceBody = Static<typeof SilenceBodySchema>
