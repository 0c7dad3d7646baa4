/**
 * `npm run prometheus:rules`: writes the built-in alert rules
 * (DEFAULT_ALERT_RULES, src/modules/monitoring/alerts/rules.ts) as a
 * Prometheus rules file, deploy/prometheus/rules.yml, in PromQL over the
 * metrics `/metrics` exposes. One definition, two evaluators: the app's own
 * engine (in-process windows, webhooks, dashboard) and a Prometheus server.
 *
 *   npm run prometheus:rules                          write deploy/prometheus/rules.yml
 *   npm run prometheus:rules -- --check               exit 1 when the file differs from the rules
 *   npm run prometheus:rules -- --rules rules.json --out -
 *                                                     an ALERT_RULES_FILE instead, to stdout
 *
 * test/integration/plugins/prometheus.test.ts checks that the committed file is this
 * output, runs `promtool check rules` and `promtool test rules` on it
 * (deploy/prometheus/rules.test.yml) and that every metric it names is in a
 * real scrape.
 *
 * How each MetricName is measured by Prometheus (same units as the app's
 * rules, so thresholds are copied as they are):
 * - HTTP latency, rates and ratios, cache hit rate: the whole service
 *   (every instance of a job summed), from techmart_http_request_duration_seconds
 *   and techmart_cache_operations_total over the rule's window. Latency
 *   percentiles are histogram_quantile's interpolation in the buckets; the
 *   200 ms target is a bucket bound, so "p95 > 200 ms" is exact there.
 * - Event loop, pool, dependency probes: per instance (the `instance` label
 *   stays), averaged over the window from the scraped values; the app averages
 *   its per-second samples (pool: the peak of each second) instead.
 * - low_stock_products: the shared business figure, the same on every instance.
 * A series with no traffic gives an empty or NaN result, which never fires:
 * as in the app, no data is never a breach.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { stringify } from 'yaml'
import type { MetricName } from '../src/lib/metrics/reader.js'
import { DEFAULT_ALERT_RULES, loadAlertRules, type AlertRule } from '../src/modules/monitoring/alerts/index.js'

export const RULES_FILE = fileURLToPath(new URL('../deploy/prometheus/rules.yml', import.meta.url))

/** Prometheus' default scrape interval, the one deploy/prometheus/prometheus.yml sets. */
export const SCRAPE_INTERVAL_S = 15

const HTTP = 'techmart_http_request_duration_seconds'
const CACHE = 'techmart_cache_operations_total'
/** Keeps only series of instances that expose the app's info metric (other Node services share nodejs_*). */
const TECHMART_ONLY = 'and on (job, instance) techmart_instance_info'

interface PromMetric {
  /** The metric's value over a window (`5m`), in the unit the app's rules use. */
  value: (range: string) => string
  /** Reads a range of samples; false for instant values (the last probe, the business figure). */
  ranged: boolean
  /** Appended after the comparison (vector matching binds looser than comparisons). */
  filter?: string
}

/** sum(rate(num)) / sum(rate(den)) per job; a numerator with no series counts as 0 (a 0 % hit rate must be able to fire). */
function ratio (num: string, den: string, range: string): string {
  const rate = (selector: string) => `sum by (job) (rate(${selector}[${range}]))`
  return `(${rate(num)} or ${rate(den)} * 0) / ${rate(den)}`
}

const quantileMs = (q: number) => (range: string) =>
  `histogram_quantile(${q}, sum by (job, le) (rate(${HTTP}_bucket[${range}]))) * 1000`

/** Every MetricName the app's rules may watch, in PromQL. */
export const PROMQL: Record<MetricName, PromMetric> = {
  http_p50_ms: { value: quantileMs(0.5), ranged: true },
  http_p95_ms: { value: quantileMs(0.95), ranged: true },
  http_p99_ms: { value: quantileMs(0.99), ranged: true },
  http_rps: { value: (r) => `sum by (job) (rate(${HTTP}_count[${r}]))`, ranged: true },
  http_error_rate: { value: (r) => ratio(`${HTTP}_count{status_code=~"5.."}`, `${HTTP}_count`, r), ranged: true },
  http_rate_limited_ratio: { value: (r) => ratio(`${HTTP}_count{status_code="429"}`, `${HTTP}_count`, r), ranged: true },
  cache_hit_rate: { value: (r) => ratio(`${CACHE}{result="hit"}`, CACHE, r), ranged: true },
  event_loop_delay_p99_ms: { value: (r) => `avg_over_time(nodejs_eventloop_lag_p99_seconds[${r}]) * 1000`, ranged: true, filter: TECHMART_ONLY },
  event_loop_utilization: { value: (r) => `avg_over_time(techmart_event_loop_utilization[${r}])`, ranged: true },
  db_pool_utilization: {
    value: (r) => `avg_over_time(techmart_db_pool_connections{state="in_use"}[${r}]) / ignoring (state) techmart_db_pool_size`,
    ranged: true
  },
  db_pool_waiting: { value: (r) => `avg_over_time(techmart_db_pool_waiting[${r}])`, ranged: true },
  // The app reads the last probe (every 5 s), whatever the window.
  db_up: { value: () => 'techmart_dependency_up{dependency="postgres"}', ranged: false },
  redis_up: { value: () => 'techmart_dependency_up{dependency="redis"}', ranged: false },
  low_stock_products: { value: () => 'max by (job) (techmart_business_products_low_stock)', ranged: false }
}

/** 3600 → 1h, 300 → 5m, 90 → 90s: Prometheus durations. */
export function promDuration (seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`
  if (seconds % 60 === 0) return `${seconds / 60}m`
  return `${seconds}s`
}

export class PrometheusRulesError extends Error {
  constructor (readonly problems: string[]) {
    super(`Cannot express these alert rules in PromQL:\n  - ${problems.join('\n  - ')}`)
    this.name = 'PrometheusRulesError'
  }
}

interface PromAlertRule {
  alert: string
  expr: string
  for?: string
  keep_firing_for?: string
  labels: Record<string, string>
  annotations: Record<string, string>
}

const fmt = (v: number) => String(Math.round(v * 1000) / 1000)
/** The alert's value as the app's summaries print it (up to 4 significant digits). */
const VALUE = '{{ $value | printf "%.4g" }}'

function exprOf (rule: AlertRule): string {
  if (rule.type === 'burn_rate') {
    const m = PROMQL[rule.metric]
    // Burn rate = error ratio / (1 - SLO), over both windows; the value is the short window's.
    const burn = (s: number) => `(${m.value(promDuration(s))}) / (1 - ${rule.slo}) > ${rule.factor}`
    return `${burn(rule.short_window_s)}\nand\n${burn(rule.long_window_s)}`
  }
  const m = PROMQL[rule.metric]
  return `${m.value(promDuration(rule.window_s))} ${rule.operator} ${rule.threshold}${m.filter ? ` ${m.filter}` : ''}`
}

function summaryOf (rule: AlertRule): string {
  if (rule.type === 'burn_rate') {
    return `error budget burn rate ${VALUE}x over ${rule.short_window_s}s (> ${rule.factor}x over ${rule.short_window_s}s and ${rule.long_window_s}s, SLO ${fmt(rule.slo * 100)}%)`
  }
  return `${rule.metric} is ${VALUE} (${rule.operator} ${rule.threshold} over ${rule.window_s}s)`
}

/** Ranges too short to hold two scrapes give rate() nothing: such a rule could never fire. */
function checkWindows (rules: readonly AlertRule[], scrapeIntervalS: number): void {
  const problems: string[] = []
  for (const rule of rules) {
    const windows = rule.type === 'burn_rate' ? [rule.short_window_s, rule.long_window_s] : [rule.window_s]
    for (const w of windows) {
      if (PROMQL[rule.metric].ranged && w < 2 * scrapeIntervalS) {
        problems.push(`rule '${rule.id}': a ${w} s window holds fewer than two scrapes at ${scrapeIntervalS} s (${rule.metric} needs at least ${2 * scrapeIntervalS} s)`)
      }
    }
  }
  if (problems.length > 0) throw new PrometheusRulesError(problems)
}

/** The rules as one Prometheus rule group, labels as the app's webhooks send them. */
export function toPrometheusRules (rules: readonly AlertRule[], scrapeIntervalS = SCRAPE_INTERVAL_S) {
  checkWindows(rules, scrapeIntervalS)
  return {
    groups: [{
      name: 'techmart',
      rules: rules.map((rule): PromAlertRule => ({
        alert: rule.id,
        expr: exprOf(rule),
        ...(rule.for_s > 0 ? { for: promDuration(rule.for_s) } : {}),
        ...(rule.keep_firing_for_s > 0 ? { keep_firing_for: promDuration(rule.keep_firing_for_s) } : {}),
        labels: { severity: rule.severity, alertgroup: rule.group ?? rule.id, service: 'techmart' },
        annotations: {
          summary: summaryOf(rule),
          description: rule.description,
          // Alertmanager's inhibit_rules do this in Prometheus' world (docs/MONITORING.md).
          ...(rule.inhibited_by?.length ? { inhibited_by: rule.inhibited_by.join(',') } : {})
        }
      }))
    }]
  }
}

const HEADER = `# Generated by \`npm run prometheus:rules\` from DEFAULT_ALERT_RULES
# (src/modules/monitoring/alerts/rules.ts): edit the rules there, then regenerate.
# PromQL over the metrics of GET /metrics; docs/MONITORING.md explains the mapping.
`

/** The rules file's text: the header, then YAML with block scalars for multi-line expressions. */
export function renderRulesFile (rules: readonly AlertRule[] = DEFAULT_ALERT_RULES): string {
  return HEADER + stringify(toPrometheusRules(rules), { lineWidth: 0, blockQuote: 'literal' })
}

function main (): number {
  const { values } = parseArgs({
    options: {
      check: { type: 'boolean', default: false },
      rules: { type: 'string' },
      out: { type: 'string', default: RULES_FILE }
    }
  })
  const text = renderRulesFile(values.rules ? loadAlertRules(values.rules) : DEFAULT_ALERT_RULES)
  if (values.out === '-') {
    process.stdout.write(text)
    return 0
  }
  if (values.check) {
    let current = ''
    try {
      current = readFileSync(values.out, 'utf8')
    } catch {}
    if (current === text) return 0
    process.stderr.write(`${path.relative(process.cwd(), values.out)} differs from the alert rules: run npm run prometheus:rules\n`)
    return 1
  }
  writeFileSync(values.out, text)
  process.stdout.write(`wrote ${path.relative(process.cwd(), values.out)}\n`)
  return 0
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    process.exitCode = main()
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`)
    process.exitCode = 2
  }
}
