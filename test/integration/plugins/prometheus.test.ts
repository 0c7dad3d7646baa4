import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { Registry } from 'prom-client'
import { parse } from 'yaml'
import { buildTestApp } from '../../support/helper.js'
import { createUser } from '../../support/fixtures.js'
import type { MetricsCollector } from '../../../src/lib/metrics/collector.js'
import type { PoolMonitor } from '../../../src/lib/metrics/pool-stats.js'
import { createPromMetrics, type BusinessFigures } from '../../../src/lib/metrics/prom.js'
import { DEFAULT_ALERT_RULES } from '../../../src/modules/monitoring/alerts/rules.js'
import type { AlertRule } from '../../../src/modules/monitoring/alerts/schemas.js'
import { PROMQL, PrometheusRulesError, RULES_FILE, promDuration, renderRulesFile, toPrometheusRules } from '../../../scripts/prometheus-rules.js'

// The operators' own tools check what this repository ships for Prometheus and Grafana:
// `promtool check metrics` on a real scrape, `promtool check rules` / `test rules` on the
// generated rules, `promtool check config` on the compose Prometheus config, and every
// metric a rule or a Grafana panel names must be in that scrape. promtool comes with
// Debian's `prometheus` package, which .ci/run installs: without it these tests fail.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const at = (...p: string[]) => path.join(ROOT, ...p)
// The token of test/plugins/metrics.test.ts, one of PUBLISHED_SECRETS (refused in production).
const METRICS_TOKEN = 'scrape-token-for-tests-0123456789'

function findPromtool (): string | undefined {
  const candidates = [process.env.PROMTOOL, ...(process.env.PATH ?? '').split(':').map((d) => path.join(d, 'promtool')), '/usr/bin/promtool']
  return candidates.find((c): c is string => !!c && existsSync(c))
}

function requirePromtool (): string {
  const promtool = findPromtool()
  assert.ok(promtool, 'promtool is not installed: these tests run Prometheus\' own checker (apt-get install -y prometheus; .ci/run installs it)')
  return promtool
}

interface Run { code: number | null, stdout: string, stderr: string }

function run (cmd: string, args: string[], opts: { input?: string, cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d })
    child.stderr.on('data', (d: Buffer) => { stderr += d })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(opts.input ?? '')
  })
}

const promtool = async (args: string[], opts: { input?: string, cwd?: string } = {}) => await run(requirePromtool(), args, opts)

// ---- One real scrape of the app, shared by the tests of this file --------------------------

let appPromise: Promise<FastifyInstance> | undefined
after(async () => { if (appPromise) await (await appPromise).close() })

async function app (): Promise<FastifyInstance> {
  appPromise ??= buildTestApp(undefined, { metricsToken: METRICS_TOKEN, rateLimitEnabled: false, loadSheddingEnabled: false })
  return await appPromise
}

async function scrape (): Promise<string> {
  const res = await (await app()).inject({ url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
  assert.equal(res.statusCode, 200)
  return res.body
}

let trafficScrape: Promise<string> | undefined

/** A scrape after traffic on the main paths (catalog, search, a 404) and the first business figures. */
function scrapeWithTraffic (): Promise<string> {
  trafficScrape ??= (async () => {
    const a = await app()
    for (const url of ['/api/v1/products?limit=5', '/api/v1/products?limit=5', '/api/v1/categories', '/api/v1/products/search?q=laptop', '/no/such/path']) {
      await a.inject(url)
    }
    // The business figures are computed in the background from onReady; their gauges appear with the first result.
    for (let i = 0; i < 100; i++) {
      const text = await scrape()
      if (text.includes('\ntechmart_business_orders_today ')) return text
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    assert.fail('the business gauges did not appear within 10 s')
  })()
  return trafficScrape
}

/** Every series name the scrape exposes: sample names, and each family's names from its TYPE line. */
function exposedNames (text: string): Set<string> {
  const names = new Set<string>()
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (type) {
      const [, name, kind] = type
      names.add(name)
      if (kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s)
      if (kind === 'summary') for (const s of ['_sum', '_count']) names.add(name + s)
    } else if (line && !line.startsWith('#')) {
      names.add(/^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)![0])
    }
  }
  return names
}

/** Series Prometheus makes itself: target health and the alerts of the rules it evaluates. */
const PROMETHEUS_OWN = new Set(['up', 'ALERTS', 'ALERTS_FOR_STATE'])

const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'inf', 'nan'])

/**
 * The metric names a PromQL expression reads: identifiers outside strings, label matchers,
 * ranges and label lists, that are not functions (followed by `(`) or keywords.
 */
function metricNames (expr: string): Set<string> {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
  const names = new Set<string>()
  for (const m of stripped.matchAll(/(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    if (/^\s*\(/.test(stripped.slice(m.index + m[0].length))) continue
    if (PROMQL_KEYWORDS.has(m[0].toLowerCase())) continue
    names.add(m[0])
  }
  return names
}

test('the metric-name reader finds the metrics of an expression, not its functions, labels or keywords', () => {
  assert.deepEqual([...metricNames('histogram_quantile(0.95, sum by (job, le) (rate(techmart_http_request_duration_seconds_bucket{job=~"$job", route="/a/:id"}[$__rate_interval]))) * 1000 > 200')],
    ['techmart_http_request_duration_seconds_bucket'])
  assert.deepEqual([...metricNames('avg_over_time(nodejs_eventloop_lag_p99_seconds[1m]) * 1000 > 100 and on (job, instance) techmart_instance_info')].sort(),
    ['nodejs_eventloop_lag_p99_seconds', 'techmart_instance_info'])
  assert.deepEqual([...metricNames('time() - max(techmart_business_computed_timestamp_seconds) or vector(0)')], ['techmart_business_computed_timestamp_seconds'])
})

// ---- /metrics -------------------------------------------------------------------------------

test('/metrics passes promtool check metrics', async () => {
  const text = await scrapeWithTraffic()
  const res = await promtool(['check', 'metrics'], { input: text })
  assert.equal(res.code, 0, `promtool check metrics failed:\n${res.stdout}${res.stderr}`)
  assert.equal(res.stdout + res.stderr, '')
  // prom-client's gauges with a counter's suffix are gone; their per-type siblings stay.
  const names = exposedNames(text)
  for (const kind of ['handles', 'requests', 'resources']) {
    assert.equal(names.has(`nodejs_active_${kind}_total`), false, `nodejs_active_${kind}_total is still exposed`)
    assert.ok(names.has(`nodejs_active_${kind}`), `nodejs_active_${kind} is missing`)
  }
})

test('promtool check metrics does reject a gauge with a counter suffix (the check is not vacuous)', async () => {
  const res = await promtool(['check', 'metrics'], { input: '# HELP x_total A gauge.\n# TYPE x_total gauge\nx_total 1\n' })
  assert.notEqual(res.code, 0)
  assert.match(res.stdout + res.stderr, /x_total non-counter metrics should not have "_total" suffix/)
})

test('the business gauges report the figures of GET /monitoring/business', async () => {
  const a = await app()
  await scrapeWithTraffic()
  const admin = await createUser(a, { role: 'admin' })
  const value = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1])
  let matched = false
  for (let i = 0; i < 5 && !matched; i++) {
    const business = (await a.inject({ url: '/api/v1/monitoring/business', headers: { authorization: `Bearer ${admin.token}` } })).json()
    const text = await scrape()
    // A recomputation between the two reads changes every figure: read both again.
    if (value(text, 'techmart_business_computed_timestamp_seconds') !== Date.parse(business.computed_at) / 1000) continue
    matched = true
    assert.equal(value(text, 'techmart_business_users'), business.users.total)
    assert.equal(value(text, 'techmart_business_products_low_stock'), business.products.low_stock)
    assert.equal(value(text, 'techmart_business_orders_today'), business.orders.today)
    assert.equal(value(text, 'techmart_business_orders_last_minute'), business.orders.per_minute.count.at(-2))
    assert.equal(value(text, 'techmart_business_revenue_30d'), business.revenue.month)
    assert.equal(value(text, 'techmart_business_cart_users_24h'), business.conversion.cart_users_24h)
  }
  assert.ok(matched, 'the scrape and the API never showed the same computation')
})

test('business gauges are absent until the first result, then set from it', async () => {
  const collector = { inFlight: 0, value: () => undefined } as unknown as MetricsCollector
  const pool = { stats: () => ({ size: 10, inUse: 0, free: 10, waiting: 0 }) } as unknown as PoolMonitor
  const prom = createPromMetrics({ collector, pool, instanceId: 'test:1', version: '0.0.0' })
  assert.ok(prom.registry instanceof Registry)
  assert.doesNotMatch(await prom.registry.metrics(), /techmart_business_/)
  const figures: BusinessFigures = {
    computed_at: '2026-03-01T10:00:00.000Z',
    users: { total: 40, active_today: 7, new_today: 2 },
    products: { active: 120, low_stock: 21 },
    orders: { today: 15, yesterday: 30, yesterday_same_time: 12, per_minute: { count: [0, 3, 1] } },
    revenue: { today: 1234.5, month: 40_000.25, avg_order_value: 88.1 },
    conversion: { ordering_users_24h: 5, cart_users_24h: 0 }
  }
  prom.business.update(figures)
  prom.business.update({ ...figures, orders: { ...figures.orders, today: 16 } })
  const text = await prom.registry.metrics()
  assert.match(text, /^techmart_business_computed_timestamp_seconds 1772359200$/m)
  assert.match(text, /^techmart_business_products_low_stock 21$/m)
  assert.match(text, /^techmart_business_orders_today 16$/m)
  // The last complete minute: per_minute ends with the running one.
  assert.match(text, /^techmart_business_orders_last_minute 3$/m)
  assert.match(text, /^techmart_business_cart_users_24h 0$/m)
  assert.equal((await promtool(['check', 'metrics'], { input: text })).code, 0)
})

// ---- Alert rules as a Prometheus rules file ---------------------------------------------------

test('deploy/prometheus/rules.yml is the generated output of the alert rules (npm run prometheus:rules)', () => {
  assert.equal(readFileSync(RULES_FILE, 'utf8'), renderRulesFile(DEFAULT_ALERT_RULES),
    'deploy/prometheus/rules.yml differs from DEFAULT_ALERT_RULES: run npm run prometheus:rules and commit it')
})

test('every built-in rule becomes a Prometheus alert with its thresholds, durations and labels', () => {
  const [group] = toPrometheusRules(DEFAULT_ALERT_RULES).groups
  assert.equal(group.rules.length, DEFAULT_ALERT_RULES.length)
  for (const [i, rule] of DEFAULT_ALERT_RULES.entries()) {
    const alert = group.rules[i]
    assert.equal(alert.alert, rule.id)
    assert.equal(alert.for, rule.for_s > 0 ? promDuration(rule.for_s) : undefined, rule.id)
    assert.equal(alert.keep_firing_for, rule.keep_firing_for_s > 0 ? promDuration(rule.keep_firing_for_s) : undefined, rule.id)
    assert.deepEqual(alert.labels, { severity: rule.severity, alertgroup: rule.group ?? rule.id, service: 'techmart' })
    assert.equal(alert.annotations.description, rule.description)
    if (rule.type === 'threshold') {
      assert.ok(alert.expr.includes(` ${rule.operator} ${rule.threshold}`), `${rule.id}: ${alert.expr}`)
      assert.ok(alert.expr.startsWith(PROMQL[rule.metric].value(promDuration(rule.window_s))), rule.id)
    } else {
      assert.ok(alert.expr.includes(`[${promDuration(rule.short_window_s)}]`) && alert.expr.includes(`[${promDuration(rule.long_window_s)}]`), rule.id)
      assert.equal(alert.expr.split(`/ (1 - ${rule.slo}) > ${rule.factor}`).length, 3, `${rule.id}: both windows compare with the factor`)
    }
  }
  assert.equal(promDuration(3600), '1h')
  assert.equal(promDuration(300), '5m')
  assert.equal(promDuration(90), '90s')
})

test('a window too short for two scrapes is refused, naming the rule', () => {
  const tooShort: AlertRule = { type: 'threshold', id: 'fast_errors', metric: 'http_error_rate', window_s: 20, operator: '>', threshold: 0.01, for_s: 0, keep_firing_for_s: 0, severity: 'warning', description: 'x' }
  assert.throws(() => toPrometheusRules([tooShort]), (err: Error) => err instanceof PrometheusRulesError &&
    /rule 'fast_errors': a 20 s window holds fewer than two scrapes at 15 s/.test(err.message))
  // Instant values (the last probe) have no window to fill.
  const probe: AlertRule = { ...tooShort, id: 'pg', metric: 'db_up', window_s: 5, operator: '<', threshold: 1 }
  assert.equal(toPrometheusRules([probe]).groups[0].rules[0].expr, 'techmart_dependency_up{dependency="postgres"} < 1')
})

test('npm run prometheus:rules -- --check fails on a stale file and names the fix', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'prom-rules-'))
  try {
    const stale = path.join(dir, 'rules.yml')
    writeFileSync(stale, 'groups: []\n')
    const res = await run(process.execPath, ['--import', 'tsx', at('scripts/prometheus-rules.ts'), '--check', '--out', stale])
    assert.equal(res.code, 1, res.stderr)
    assert.match(res.stderr, /differs from the alert rules: run npm run prometheus:rules/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('promtool check rules accepts the rules file', async () => {
  const res = await promtool(['check', 'rules', RULES_FILE])
  assert.equal(res.code, 0, res.stdout + res.stderr)
  assert.match(res.stdout, new RegExp(`SUCCESS: ${DEFAULT_ALERT_RULES.length} rules found`))
})

test('promtool test rules: latency, error-rate and burn-rate alerts fire and stay silent as specified', async () => {
  const file = at('deploy/prometheus/rules.test.yml')
  const res = await promtool(['test', 'rules', file])
  assert.equal(res.code, 0, res.stdout + res.stderr)
  assert.match(res.stdout, /SUCCESS/)
  // The unit tests cover each of these alerts both firing and not firing.
  const spec = parse(readFileSync(file, 'utf8')) as { tests: Array<{ alert_rule_test?: Array<{ alertname: string, exp_alerts?: unknown[] }> }> }
  const cases = spec.tests.flatMap((t) => t.alert_rule_test ?? [])
  for (const name of ['high_latency_p95', 'high_error_rate', 'slo_error_budget_burn']) {
    assert.ok(cases.some((c) => c.alertname === name && (c.exp_alerts?.length ?? 0) > 0), `${name}: no firing case`)
    assert.ok(cases.some((c) => c.alertname === name && (c.exp_alerts?.length ?? 0) === 0), `${name}: no silent case`)
  }
})

test('every metric the rules read is in a real scrape', async () => {
  const exposed = exposedNames(await scrapeWithTraffic())
  const [group] = toPrometheusRules(DEFAULT_ALERT_RULES).groups
  const read = new Set(group.rules.flatMap((r) => [...metricNames(r.expr)]))
  assert.ok(read.size >= 8, [...read].join(', '))
  for (const name of read) assert.ok(exposed.has(name), `rules read ${name}, which /metrics does not expose`)
})

// ---- Grafana ------------------------------------------------------------------------------

interface Target { refId: string, expr: string, datasource?: { type: string, uid: string } }
interface Panel { id: number, type: string, title: string, datasource?: { type: string, uid: string }, targets?: Target[] }
interface Dashboard { uid: string, title: string, panels: Panel[], templating: { list: Array<{ name: string, type: string, query: unknown, current?: { value: string } }> } }

const dashboard = (): Dashboard => JSON.parse(readFileSync(at('deploy/grafana/dashboards/techmart.json'), 'utf8')) as Dashboard
/** Grafana's variables, as the compose setup resolves them, so promtool can parse the queries. */
const resolveVariables = (expr: string) => expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', 'techmart')
const dataPanels = (d: Dashboard) => d.panels.filter((p) => p.type !== 'row')

test('the Grafana dashboard: every panel has the Prometheus data source and queries of metrics in a real scrape', async () => {
  const d = dashboard()
  assert.equal(d.uid, 'techmart')
  const dsVar = d.templating.list.find((v) => v.name === 'datasource')
  assert.equal(dsVar?.type, 'datasource')
  assert.equal(dsVar?.query, 'prometheus')
  const exposed = exposedNames(await scrapeWithTraffic())
  const panels = dataPanels(d)
  assert.ok(panels.length >= 30, `${panels.length} panels`)
  assert.equal(new Set(d.panels.map((p) => p.id)).size, d.panels.length, 'panel ids are unique')
  // Grafana's variable syntax, not a template literal: the dashboard picks its Prometheus data source.
  const datasource = { type: 'prometheus', uid: '$' + '{datasource}' }
  for (const p of panels) {
    assert.deepEqual(p.datasource, datasource, `${p.title}: data source`)
    assert.ok(p.targets && p.targets.length > 0, `${p.title}: no queries`)
    assert.equal(new Set(p.targets.map((t) => t.refId)).size, p.targets.length, `${p.title}: refIds are unique`)
    for (const t of p.targets) {
      assert.equal(t.datasource?.type, 'prometheus', `${p.title} ${t.refId}: data source`)
      const names = metricNames(resolveVariables(t.expr))
      assert.ok(names.size > 0, `${p.title} ${t.refId}: no metric in ${t.expr}`)
      for (const name of names) {
        assert.ok(exposed.has(name) || PROMETHEUS_OWN.has(name), `${p.title} ${t.refId}: ${name} is not exposed by /metrics`)
      }
    }
  }
})

test('the Grafana queries are valid PromQL (promtool parses them as recording rules)', async () => {
  const queries = dataPanels(dashboard()).flatMap((p) => (p.targets ?? []).map((t) => ({
    record: `techmart_dashboard:panel_${p.id}_${t.refId}`,
    expr: resolveVariables(t.expr)
  })))
  const dir = mkdtempSync(path.join(tmpdir(), 'grafana-promql-'))
  try {
    const file = path.join(dir, 'queries.yml')
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules: queries }] }))
    const res = await promtool(['check', 'rules', file])
    assert.equal(res.code, 0, res.stdout + res.stderr)
    assert.match(res.stdout, new RegExp(`SUCCESS: ${queries.length} rules found`))
    // A broken query is reported (the check is not vacuous).
    writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules: [{ record: 'x:y', expr: 'sum(rate(techmart_http_request_duration_seconds_count[1m])' }] }] }))
    assert.notEqual((await promtool(['check', 'rules', file])).code, 0)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the Grafana dashboard has a panel for every card, chart and panel of the built-in dashboard', () => {
  const html = readFileSync(at('src/dashboard/index.html'), 'utf8')
  const charts = readFileSync(at('src/dashboard/charts.js'), 'utf8')
  const builtIn = [
    ...[...html.matchAll(/<span class="k">([^<]+)<\/span>/g)].map((m) => m[1]),
    ...[...html.matchAll(/<h[23]>([^<]+?)\s*(?:<|$)/gm)].map((m) => m[1]),
    ...[...charts.matchAll(/title: '([^']+)'/g)].map((m) => m[1])
  ]
  // CPU profiles and EXPLAIN plans are files and rows, not metrics: the built-in dashboard keeps them.
  const notMetrics = new Set(['Profiles', 'Slow queries', 'TechMart monitoring', 'TechMart'])
  const norm = (s: string) => s.toLowerCase().replaceAll(' ', '').replaceAll('&amp;', '&')
  const grafana = dashboard().panels.map((p) => norm(p.title))
  const wanted = builtIn.filter((t) => !notMetrics.has(t.trim()))
  assert.ok(wanted.length >= 20, wanted.join(' | '))
  for (const title of wanted) {
    assert.ok(grafana.some((g) => g.startsWith(norm(title))), `the built-in '${title}' has no Grafana panel`)
  }
})

// ---- Prometheus config, Grafana provisioning, compose --------------------------------------

interface ComposeService { image?: string, profiles?: string[], volumes?: string[], secrets?: string[], command?: string[], depends_on?: unknown, ports?: string[] }
interface Compose { services: Record<string, ComposeService>, secrets?: Record<string, { environment?: string, file?: string }>, volumes?: Record<string, unknown> }

test('promtool check config accepts deploy/prometheus/prometheus.yml with its rules', async () => {
  const syntax = await promtool(['check', 'config', '--syntax-only', at('deploy/prometheus/prometheus.yml')])
  assert.equal(syntax.code, 0, syntax.stdout + syntax.stderr)
  // The full check also reads the rules and the token file: give it a token where compose mounts the secret.
  const config = parse(readFileSync(at('deploy/prometheus/prometheus.yml'), 'utf8')) as { rule_files: string[], scrape_configs: Array<{ job_name: string, authorization: { credentials_file: string }, static_configs: Array<{ targets: string[] }> }> }
  assert.deepEqual(config.rule_files, ['rules.yml'])
  const [job] = config.scrape_configs
  assert.equal(job.authorization.credentials_file, '/run/secrets/metrics_token')
  const dir = mkdtempSync(path.join(tmpdir(), 'prom-config-'))
  try {
    const token = path.join(dir, 'metrics_token')
    writeFileSync(token, METRICS_TOKEN)
    copyFileSync(RULES_FILE, path.join(dir, 'rules.yml'))
    const text = readFileSync(at('deploy/prometheus/prometheus.yml'), 'utf8').replace('/run/secrets/metrics_token', token)
    writeFileSync(path.join(dir, 'prometheus.yml'), text)
    const res = await promtool(['check', 'config', path.join(dir, 'prometheus.yml')])
    assert.equal(res.code, 0, res.stdout + res.stderr)
    assert.match(res.stdout, new RegExp(`SUCCESS: ${DEFAULT_ALERT_RULES.length} rules found`))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('docker-compose.yml: the monitoring profile runs Prometheus and Grafana provisioned from deploy/', () => {
  const compose = parse(readFileSync(at('docker-compose.yml'), 'utf8')) as Compose
  const { prometheus, grafana } = compose.services
  for (const [name, service] of Object.entries(compose.services)) {
    const monitoring = name === 'prometheus' || name === 'grafana'
    assert.deepEqual(service.profiles, monitoring ? ['monitoring'] : undefined, `${name}: profiles`)
  }
  const mounts = (s: ComposeService) => new Map((s.volumes ?? []).map((v) => { const [src, dst] = v.split(':'); return [dst, src] }))
  const pm = mounts(prometheus)
  assert.equal(pm.get('/etc/prometheus/prometheus.yml'), './deploy/prometheus/prometheus.yml')
  assert.equal(pm.get('/etc/prometheus/rules.yml'), './deploy/prometheus/rules.yml')
  assert.ok(prometheus.command?.includes('--config.file=/etc/prometheus/prometheus.yml'))
  assert.deepEqual(prometheus.secrets, ['metrics_token'])
  assert.deepEqual(compose.secrets?.metrics_token, { environment: 'METRICS_TOKEN' })
  // Its scrape targets are the compose app services, on the port they listen on.
  const config = parse(readFileSync(at('deploy/prometheus/prometheus.yml'), 'utf8')) as { scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> }
  for (const target of config.scrape_configs[0].static_configs[0].targets) {
    const [host, port] = target.split(':')
    assert.ok(compose.services[host], `scrape target ${target} is not a compose service`)
    assert.equal(port, '3000')
  }

  const gm = mounts(grafana)
  assert.equal(gm.get('/etc/grafana/provisioning'), './deploy/grafana/provisioning')
  const dashboardsMount = [...gm].find(([, src]) => src === './deploy/grafana/dashboards')?.[0]
  assert.ok(dashboardsMount, 'grafana mounts deploy/grafana/dashboards')
  for (const src of [...pm.values(), ...gm.values()].filter((s) => s.startsWith('./'))) {
    assert.ok(existsSync(at(src)), `${src} does not exist`)
  }

  // Provisioning: the data source the dashboard selects, and the folder compose mounts.
  const ds = parse(readFileSync(at('deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as { datasources: Array<{ uid: string, type: string, url: string }> }
  assert.equal(ds.datasources[0].type, 'prometheus')
  assert.equal(ds.datasources[0].url, 'http://prometheus:9090')
  const dsVar = dashboard().templating.list.find((v) => v.name === 'datasource')
  assert.equal(dsVar?.current?.value, ds.datasources[0].uid)
  assert.doesNotMatch(readFileSync(at('docker-compose.yml'), 'utf8'), /GF_SECURITY_ADMIN_PASSWORD:\s*\$\{\w+:-/, 'no fallback Grafana password')
  const providers = parse(readFileSync(at('deploy/grafana/provisioning/dashboards/techmart.yml'), 'utf8')) as { providers: Array<{ type: string, options: { path: string } }> }
  assert.equal(providers.providers[0].type, 'file')
  assert.equal(providers.providers[0].options.path, dashboardsMount)
})
