/**
 * `npm run cluster:demo -- [checks|rolling-restart] [flags]`: starts the local
 * topology (scripts/cluster-local.sh: two instances behind nginx) on the demo
 * database, runs against it, prints PASS/FAIL per check, stops it, and exits
 * 0 only when everything passed.
 *
 *   checks            (a) an update through A is seen at once through B and nginx, (b) one
 *                     rate-limit budget per client across instances, (c) the dashboard lists both
 *                     instances and their total, (d) an alert true on both instances notifies once
 *   rolling-restart   steady load through nginx while A, then B, is drained, stopped and started:
 *                     requests, non-2xx, connection errors, orders acknowledged vs stored
 *
 * Flags: --connections N (50) --rate N requests/s (300) --lead S (5) --tail S (5)
 *        --no-drain (restart with SIGTERM only) --keep (leave the topology running)
 * Environment: DATABASE_URL (default the demo database), REDIS_URL, DEMO_PASSWORD,
 * CLUSTER_PORT / CLUSTER_PORT_A / CLUSTER_PORT_B / CLUSTER_DIR / CLUSTER_SOURCE (as for cluster-local.sh),
 * REDIS_KEY_PREFIX (default techmart-cluster-demo: its own keys, removed at the end, and its own alert lease).
 */
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import postgres from 'postgres'
import { loadConfig, deleteKeysUnder } from '../../src/public.js'
import { checkAlertOnce, checkDashboard, checkSharedRateLimit, checkUpdateSeenEverywhere, demoAlertRules, startWebhookReceiver, type CheckResult } from './checks.js'
import { login } from './http.js'
import { formatReport, registerCustomers, rollingRestartPassed, runRollingRestart } from './rolling-restart.js'
import { createTopology, type Topology } from './topology.js'

const DEFAULT_REDIS_PREFIX = 'techmart-cluster-demo'
// Products with this much stock take thousands of orders without a 409.
const LOAD_MIN_STOCK = 200
const LOAD_PRODUCTS = 500

const print = (line = '') => process.stdout.write(`${line}\n`)

function parse () {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      connections: { type: 'string', default: '50' },
      rate: { type: 'string', default: '300' },
      lead: { type: 'string', default: '5' },
      tail: { type: 'string', default: '5' },
      'no-drain': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false }
    }
  })
  const command = positionals[0] ?? 'checks'
  if (!['checks', 'rolling-restart'].includes(command)) throw new Error(`unknown command '${command}': checks or rolling-restart`)
  return {
    command,
    connections: Number(values.connections),
    rate: Number(values.rate),
    leadS: Number(values.lead),
    tailS: Number(values.tail),
    drain: !values['no-drain'],
    keep: values.keep
  }
}

function header (title: string, config: ReturnType<typeof loadConfig>, t: Topology): void {
  let commit = '(not a git checkout)'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {}
  const redacted = new URL(config.databaseUrl)
  redacted.password = ''
  print(`# ${title}`)
  print(`run at ${new Date().toISOString()} on commit ${commit}; ${os.cpus().length} cores; load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`)
  print(`topology: nginx ${t.url} → ${t.instanceName.a} ${t.instanceUrl.a}, ${t.instanceName.b} ${t.instanceUrl.b} (${t.options.fromSource ? 'src/ through tsx' : 'dist/'}); database ${redacted.href}`)
  const e = t.options.env
  print(`instance settings: REDIS_KEY_PREFIX=${e.REDIS_KEY_PREFIX} RATE_LIMIT_WHITELIST=${e.RATE_LIMIT_WHITELIST} LOAD_SHEDDING_ENABLED=${e.LOAD_SHEDDING_ENABLED} LOAD_SAMPLE_INTERVAL_MS=${e.LOAD_SAMPLE_INTERVAL_MS}`)
}

function topologyFor (env: Record<string, string>): Topology {
  return createTopology({
    dir: process.env.CLUSTER_DIR ?? path.join(os.tmpdir(), `techmart-cluster-${process.getuid?.() ?? 'user'}`),
    port: Number(process.env.CLUSTER_PORT ?? 8080),
    portA: Number(process.env.CLUSTER_PORT_A ?? 3001),
    portB: Number(process.env.CLUSTER_PORT_B ?? 3002),
    name: 'techmart',
    fromSource: process.env.CLUSTER_SOURCE === '1',
    env: {
      ...process.env as Record<string, string>,
      REDIS_KEY_PREFIX: process.env.REDIS_KEY_PREFIX ?? DEFAULT_REDIS_PREFIX,
      // The demo and its load come from 127.0.0.1; the rate-limit check sends its own client addresses.
      RATE_LIMIT_WHITELIST: '127.0.0.1',
      // On this shared, busy machine a cold instance's event-loop delay trips load shedding (503) at
      // once, and each instance scales its limits by its own load level, so A and B would enforce
      // different limits on one budget; both have their own tests and would hide what is checked here.
      LOAD_SHEDDING_ENABLED: process.env.LOAD_SHEDDING_ENABLED ?? 'false',
      LOAD_SAMPLE_INTERVAL_MS: process.env.LOAD_SAMPLE_INTERVAL_MS ?? '0',
      ...env
    },
    onLine: (line) => print(`  ${line}`)
  })
}

async function runChecks (config: ReturnType<typeof loadConfig>, sql: postgres.Sql, keep: boolean): Promise<boolean> {
  const webhook = await startWebhookReceiver()
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'techmart-cluster-demo-'))
  const ruleId = `cluster_demo_${Date.now().toString(36)}`
  const rulesFile = path.join(scratch, 'alert-rules.json')
  await writeFile(rulesFile, JSON.stringify(demoAlertRules(ruleId), null, 2))
  const t = topologyFor({ ALERT_RULES_FILE: rulesFile, ALERT_WEBHOOK_URLS: webhook.url, ALERT_EVAL_INTERVAL_MS: '1000', ALERT_GROUP_WAIT_MS: '500' })
  header('Two instances behind nginx: shared cache invalidation, rate limits, dashboard, alerts', config, t)
  print(`alert rules: ${rulesFile} (one rule, ${ruleId}); webhook receiver ${webhook.url}`)
  print()
  const results: CheckResult[] = []
  try {
    await t.start()
    print((await t.status()).text)
    const admin = await login(t.url, 'admin@techmart.local', config.demoPassword)
    const [product] = await sql<{ id: number }[]>`SELECT id FROM products WHERE is_active AND sale_price IS NULL ORDER BY id LIMIT 1`
    const update = await checkUpdateSeenEverywhere(t, admin, product.id)
    results.push(update)
    await update.restore()
    results.push(await checkSharedRateLimit(t))
    results.push(await checkDashboard(t, admin))
    results.push(await checkAlertOnce(t, webhook, ruleId, admin, 5000))
  } finally {
    if (!keep) await t.stop()
    await webhook.close()
    await rm(scratch, { recursive: true, force: true })
  }
  print()
  for (const r of results) {
    print(`${r.pass ? 'PASS' : 'FAIL'}  ${r.title}`)
    for (const line of r.lines) print(`      ${line}`)
  }
  const passed = results.length === 4 && results.every((r) => r.pass)
  print()
  print(passed ? 'ALL PASS' : 'FAIL')
  return passed
}

async function runRolling (config: ReturnType<typeof loadConfig>, sql: postgres.Sql, o: ReturnType<typeof parse>): Promise<boolean> {
  const t = topologyFor({})
  header('Rolling restart of both instances behind nginx under load', config, t)
  print()
  let ok = false
  try {
    await t.start()
    print((await t.status()).text)
    const users = await registerCustomers(t.url, o.connections, Date.now().toString(36))
    const products = await sql<{ id: number }[]>`SELECT id FROM products WHERE is_active AND stock_quantity >= ${LOAD_MIN_STOCK} ORDER BY id LIMIT ${LOAD_PRODUCTS}`
    print(`${users.length} customers registered through nginx; ${products.length} products with stock >= ${LOAD_MIN_STOCK}`)
    print()
    const report = await runRollingRestart({
      topology: t,
      users,
      productIds: products.map((p) => p.id),
      connections: o.connections,
      rate: o.rate,
      leadS: o.leadS,
      tailS: o.tailS,
      drain: o.drain,
      ordersInDatabase: async (ids) => (await sql<{ id: number }[]>`SELECT id FROM orders WHERE user_id = ANY(${ids}::int[])`).map((r) => r.id)
    })
    print()
    for (const line of formatReport(report)) print(line)
    ok = rollingRestartPassed(report)
  } finally {
    if (!o.keep) await t.stop()
  }
  return ok
}

/** Deletes the demo's Redis keys (SCAN, never KEYS) once its instances are gone. */
async function removeKeys (redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true })
  await redis.connect()
  try {
    await deleteKeysUnder(redis, prefix)
  } finally {
    redis.disconnect()
  }
}

async function main (): Promise<number> {
  const o = parse()
  const config = loadConfig()
  const sql = postgres(config.databaseUrl, { max: 2, onnotice: () => {} })
  try {
    return (o.command === 'checks' ? await runChecks(config, sql, o.keep) : await runRolling(config, sql, o)) ? 0 : 1
  } finally {
    await sql.end({ timeout: 5 })
    // Only its own default prefix: a REDIS_KEY_PREFIX given by the caller may be shared with other servers.
    if (!o.keep && process.env.REDIS_KEY_PREFIX === undefined) await removeKeys(config.redisUrl, DEFAULT_REDIS_PREFIX)
  }
}

main().then((code) => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`cluster demo failed: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 2
})
