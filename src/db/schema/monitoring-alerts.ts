import { sql } from 'drizzle-orm'
import {
  bigint, boolean, check, doublePrecision, index, integer, jsonb, pgTable, real, smallint, text, timestamp, uniqueIndex, varchar
} from 'drizzle-orm/pg-core'
import { users } from './users.js'

const tz = (name: string) => timestamp(name, { withTimezone: true })

/**
 * Current state of each alert rule (one row per rule). The evaluating
 * instance upserts it every tick, so whichever instance evaluates next
 * continues the same episode (pending since, notified or not).
 */
export const alertStates = pgTable('alert_states', {
  ruleId: varchar('rule_id', { length: 64 }).primaryKey(),
  fingerprint: varchar('fingerprint', { length: 32 }).notNull(),
  state: varchar('state', { length: 16 }).notNull(),
  value: doublePrecision('value'),
  labels: jsonb('labels').$type<Record<string, string>>().notNull().default({}),
  activeSince: tz('active_since'),
  firingSince: tz('firing_since'),
  lastBreachAt: tz('last_breach_at'),
  resolvedAt: tz('resolved_at'),
  lastNotifiedAt: tz('last_notified_at'),
  /** A firing notification went out in this episode, so its resolution must go out too. */
  notifiedFiring: boolean('notified_firing').notNull().default(false),
  silencedBy: integer('silenced_by'),
  inhibitedBy: varchar('inhibited_by', { length: 64 }),
  lastEvaluatedAt: tz('last_evaluated_at'),
  updatedAt: tz('updated_at').notNull().defaultNow()
}, (t) => [
  check('alert_states_state_check', sql`${t.state} IN ('inactive', 'pending', 'firing', 'resolved')`)
])

/** Every state change (history panel); pruned after ALERT_HISTORY_RETENTION_DAYS. */
export const alertEvents = pgTable('alert_events', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  ruleId: varchar('rule_id', { length: 64 }).notNull(),
  fingerprint: varchar('fingerprint', { length: 32 }).notNull(),
  fromState: varchar('from_state', { length: 16 }).notNull(),
  toState: varchar('to_state', { length: 16 }).notNull(),
  severity: varchar('severity', { length: 16 }).notNull(),
  value: doublePrecision('value'),
  summary: text('summary').notNull(),
  silenced: boolean('silenced').notNull().default(false),
  inhibited: boolean('inhibited').notNull().default(false),
  at: tz('at').notNull().defaultNow()
}, (t) => [
  index('alert_events_at_idx').on(t.at),
  index('alert_events_rule_at_idx').on(t.ruleId, t.at),
  // Writes retried after a timeout (the first may have landed late) insert nothing twice.
  uniqueIndex('alert_events_rule_state_at_key').on(t.ruleId, t.toState, t.at)
])

/** Every notification attempt (log line, webhook try) with its outcome. */
export const alertNotifications = pgTable('alert_notifications', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  groupKey: varchar('group_key', { length: 200 }).notNull(),
  receiver: varchar('receiver', { length: 20 }).notNull(),
  target: varchar('target', { length: 200 }).notNull(),
  status: varchar('status', { length: 10 }).notNull(),
  ruleIds: text('rule_ids').array().notNull(),
  attempt: smallint('attempt').notNull(),
  outcome: varchar('outcome', { length: 10 }).notNull(),
  httpStatus: smallint('http_status'),
  error: varchar('error', { length: 500 }),
  durationMs: real('duration_ms').notNull(),
  at: tz('at').notNull().defaultNow()
}, (t) => [
  index('alert_notifications_at_idx').on(t.at),
  // `at` is the attempt's own time (set by the notifier), so a retried write is recognised.
  uniqueIndex('alert_notifications_attempt_key').on(t.groupKey, t.target, t.status, t.attempt, t.at),
  check('alert_notifications_outcome_check', sql`${t.outcome} IN ('sent', 'failed', 'retrying')`)
])

/** Silences created by admins: notifications of matching alerts are held back until `ends_at`. */
export const alertSilences = pgTable('alert_silences', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  ruleId: varchar('rule_id', { length: 64 }).notNull(),
  matchers: jsonb('matchers').$type<Record<string, string>>().notNull().default({}),
  comment: varchar('comment', { length: 500 }).notNull(),
  createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: tz('created_at').notNull().defaultNow(),
  endsAt: tz('ends_at').notNull(),
  expiredAt: tz('expired_at')
}, (t) => [
  index('alert_silences_ends_at_idx').on(t.endsAt)
])

/** CPU profile metadata and summary; the `.cpuprofile` itself is a file under PROFILE_DIR. */
export const cpuProfiles = pgTable('cpu_profiles', {
  id: integer('id').primaryKey().generatedByDefaultAsIdentity(),
  trigger: varchar('trigger', { length: 10 }).notNull(),
  status: varchar('status', { length: 10 }).notNull(),
  route: varchar('route', { length: 200 }),
  p95Ms: doublePrecision('p95_ms'),
  budgetMs: doublePrecision('budget_ms'),
  instance: varchar('instance', { length: 200 }).notNull(),
  requestedBy: integer('requested_by').references(() => users.id, { onDelete: 'set null' }),
  startedAt: tz('started_at').notNull().defaultNow(),
  durationMs: integer('duration_ms').notNull(),
  sizeBytes: integer('size_bytes'),
  sampleCount: integer('sample_count'),
  idlePct: doublePrecision('idle_pct'),
  topFunctions: jsonb('top_functions').notNull().default([]),
  /** Where the requests of the capture window spent their time (database, pool, Redis, CPU) and their dominant queries. */
  timeSplit: jsonb('time_split'),
  fileName: varchar('file_name', { length: 200 }),
  fileDeletedAt: tz('file_deleted_at'),
  error: varchar('error', { length: 500 })
}, (t) => [
  index('cpu_profiles_started_at_idx').on(t.startedAt),
  check('cpu_profiles_trigger_check', sql`${t.trigger} IN ('auto', 'manual')`),
  check('cpu_profiles_status_check', sql`${t.status} IN ('capturing', 'ready', 'failed')`)
])

/**
 * Captured slow queries with their EXPLAIN plan; bounded by count and age.
 * `absolute`: one execution slower than SLOW_QUERY_MS. `relative`: the
 * query's p95 rose to SLOW_QUERY_RELATIVE_FACTOR × its own baseline.
 */
export const slowQueries = pgTable('slow_queries', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  name: varchar('name', { length: 100 }).notNull(),
  durationMs: doublePrecision('duration_ms').notNull(),
  sql: text('sql').notNull(),
  paramCount: integer('param_count').notNull(),
  plan: jsonb('plan'),
  planError: varchar('plan_error', { length: 500 }),
  totalCost: doublePrecision('total_cost'),
  occurrences: integer('occurrences').notNull().default(1),
  instance: varchar('instance', { length: 200 }).notNull(),
  capturedAt: tz('captured_at').notNull().defaultNow(),
  reason: varchar('reason', { length: 16 }).notNull().default('absolute'),
  /** Relative captures: the window p95 and the baseline p95 it was compared with, and the window's executions. */
  p95Ms: doublePrecision('p95_ms'),
  baselineMs: doublePrecision('baseline_ms'),
  windowSamples: integer('window_samples'),
  /** One line: name, timing against its threshold or baseline, the plan's telling node. */
  summary: varchar('summary', { length: 300 }).notNull().default('')
}, (t) => [
  index('slow_queries_captured_at_idx').on(t.capturedAt),
  check('slow_queries_reason_check', sql`${t.reason} IN ('absolute', 'relative')`)
])
