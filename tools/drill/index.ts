/**
 * `npm run drill -- --drop-search-index`: the operator's drill of
 * docs/MONITORING.md. On a copy of the demo database (or in place, with
 * --in-place), starts the app as `npm start` does, runs steady traffic,
 * lets the query baselines settle, drops the search text indexes, and
 * prints the seconds from the drop to a slow-query capture with plan, a
 * profile of the search route, the latency alert pending and firing; then
 * restores the indexes. Exits 0 when every stage came within its limit,
 * 1 when one did not, 2 on a usage error or a database it refuses.
 */
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import os from 'node:os'
import path from 'node:path'
import postgres from 'postgres'
import { Redis } from 'ioredis'
import { ConfigError, loadConfig, type Config, deleteKeysUnder } from '../../src/public.js'
import { copyDatabase, databaseName, dropDatabase } from '../loadtest/db-copy.js'
import { createHttpClient, type HttpClient } from '../loadtest/http.js'
import { ensureUsers, mintToken } from '../loadtest/users.js'
import { checkSeededCatalog, DrillRefusal, dropSearchIndexes, loadDrillData, restoreIndexes, restorePending, type IndexDefinition } from './database.js'
import { freePort, startApp, type AppProcess } from './server.js'
import { latencyAlert, newStages, pollStages, searchBaselines, type Stage } from './stages.js'
import { describePhase, startTraffic, type Traffic } from './traffic.js'

export const USAGE = `Usage: npm run drill -- --drop-search-index [flags]

  --drop-search-index      the scenario: drop the search text indexes (GIN and RUM) under steady traffic
  --database-url URL       the seeded demo database (default DATABASE_URL, else the demo techmart)
  --in-place               drill on that database itself (indexes restored at the end and on Ctrl-C);
                           default: on a copy, techmart_drill (CREATE DATABASE ... TEMPLATE when nobody
                           is connected to the source, else pg_dump | psql), dropped at the end
  --keep-copy              keep the copy (indexes restored) for the next run
  --reuse-copy             use the kept copy instead of copying again
  --min-products N         refuse a database with fewer active products (default 10000)
  --clients N              concurrent shoppers, one request in flight each (default 6)
  --rate N                 requests per second per client, 0 = back to back (default 10)
  --search-share X         share of searches, the rest are cached product details (default 0.5)
  --no-in-stock            searches without in_stock=true (then the in-process match index serves them)
  --auth mint|whitelist    mint: each request carries one of --users tokens (limits on, as shipped);
                           whitelist: RATE_LIMIT_WHITELIST=127.0.0.1 for the server (default mint)
  --users N                accounts whose tokens are used in turn (default 2000)
  --settle-seconds N       traffic before the drop (default 60)
  --calm-seconds N         then at most this long until a search query has a baseline and the latency
                           alert is not active (default 90)
  --max-capture-seconds N  limit for the slow-query capture (default 30)
  --max-profile-seconds N  limit for the profile of the search route (default 30)
  --max-pending-seconds N  limit for the latency alert pending (default 75)
  --max-firing-seconds N   limit for the latency alert firing (default 75)
  --max-seconds N          how long to watch after the drop (default: the largest limit + 5)
  --seed N                 traffic random seed (default 1)
  -h, --help
`

const FLAGS = {
  'drop-search-index': { type: 'boolean' },
  'database-url': { type: 'string' },
  'in-place': { type: 'boolean' },
  'keep-copy': { type: 'boolean' },
  'reuse-copy': { type: 'boolean' },
  'min-products': { type: 'string' },
  clients: { type: 'string' },
  rate: { type: 'string' },
  'search-share': { type: 'string' },
  'no-in-stock': { type: 'boolean' },
  auth: { type: 'string' },
  users: { type: 'string' },
  'settle-seconds': { type: 'string' },
  'calm-seconds': { type: 'string' },
  'max-capture-seconds': { type: 'string' },
  'max-profile-seconds': { type: 'string' },
  'max-pending-seconds': { type: 'string' },
  'max-firing-seconds': { type: 'string' },
  'max-seconds': { type: 'string' },
  seed: { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const

export class UsageError extends Error {}

export interface DrillOptions {
  databaseUrl: string
  inPlace: boolean
  keepCopy: boolean
  reuseCopy: boolean
  minProducts: number
  clients: number
  rate: number
  searchShare: number
  inStock: boolean
  auth: 'mint' | 'whitelist'
  users: number
  settleS: number
  /** After the settle time, how long to wait for the search baselines and a calm latency alert. */
  calmS: number
  limits: { capture: number, profile: number, pending: number, firing: number }
  maxS: number
  seed: number
}

const COPY_NAME = 'techmart_drill'

function num (values: Record<string, unknown>, name: string, fallback: number, min: number, max: number): number {
  const raw = values[name]
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}, got '${String(raw)}'`)
  return n
}

/** Flags → options; `undefined` for --help. */
export function parseDrillArgs (argv: string[], config: Pick<Config, 'databaseUrl'>): DrillOptions | undefined {
  let values: Record<string, unknown>
  try {
    values = parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false }).values
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  if (values.help === true) return undefined
  if (values['drop-search-index'] !== true) throw new UsageError('name the scenario: --drop-search-index')
  if (values['in-place'] === true && (values['keep-copy'] === true || values['reuse-copy'] === true)) throw new UsageError('--in-place uses no copy: drop --keep-copy/--reuse-copy')
  const auth = String(values.auth ?? 'mint')
  if (auth !== 'mint' && auth !== 'whitelist') throw new UsageError(`--auth must be mint or whitelist, got '${auth}'`)
  const limits = {
    capture: num(values, 'max-capture-seconds', 30, 1, 3600),
    profile: num(values, 'max-profile-seconds', 30, 1, 3600),
    pending: num(values, 'max-pending-seconds', 75, 1, 3600),
    firing: num(values, 'max-firing-seconds', 75, 1, 3600)
  }
  return {
    databaseUrl: String(values['database-url'] ?? config.databaseUrl),
    inPlace: values['in-place'] === true,
    keepCopy: values['keep-copy'] === true,
    reuseCopy: values['reuse-copy'] === true,
    minProducts: num(values, 'min-products', 10_000, 1, 100_000_000),
    clients: num(values, 'clients', 6, 1, 200),
    rate: num(values, 'rate', 10, 0, 10_000),
    searchShare: num(values, 'search-share', 0.5, 0, 1),
    inStock: values['no-in-stock'] !== true,
    auth,
    users: num(values, 'users', 2000, 1, 100_000),
    settleS: num(values, 'settle-seconds', 60, 0, 3600),
    calmS: num(values, 'calm-seconds', 90, 0, 3600),
    limits,
    maxS: num(values, 'max-seconds', Math.max(...Object.values(limits)) + 5, 1, 7200),
    seed: num(values, 'seed', 1, 0, 2 ** 32 - 1)
  }
}

const say = (line: string) => process.stdout.write(`[drill ${new Date().toISOString().slice(11, 19)}] ${line}\n`)

function withDatabase (url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.href
}

/** The database the drill runs on: the source itself, a kept copy, or a fresh copy. */
async function prepareDatabase (opts: DrillOptions): Promise<string> {
  if (opts.inPlace) {
    say(`in place on ${databaseName(opts.databaseUrl)}: the search indexes are restored at the end, also on Ctrl-C`)
    return opts.databaseUrl
  }
  if (opts.reuseCopy) {
    const url = withDatabase(opts.databaseUrl, COPY_NAME)
    say(`reusing the kept copy ${COPY_NAME}`)
    return url
  }
  say(`copying ${databaseName(opts.databaseUrl)} to ${COPY_NAME} (a template copy needs nobody connected to the source; otherwise pg_dump | psql, slower)`)
  const started = Date.now()
  const url = await copyDatabase(opts.databaseUrl, COPY_NAME, say)
  say(`copy ready in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  return url
}

async function tokensFor (url: string, opts: DrillOptions, config: Readonly<Config>, adminId: number | undefined): Promise<{ users: string[], admin: string }> {
  if (adminId === undefined) throw new DrillRefusal(`${databaseName(url)} has no active admin account: the drill reads the monitoring API as an admin`)
  const ttl = opts.settleS + opts.maxS + 3600
  const admin = mintToken(config.jwtSecret, { id: adminId, role: 'admin' }, ttl)
  if (opts.auth === 'whitelist') return { users: [], admin }
  const sql = postgres(url, { max: 1, onnotice: () => {} })
  try {
    const accounts = await ensureUsers(sql, opts.users, config.demoPassword)
    return { users: accounts.map((a) => mintToken(config.jwtSecret, { id: a.id, role: 'customer' }, ttl)), admin }
  } finally {
    await sql.end({ timeout: 5 })
  }
}

async function expectStatus (http: HttpClient, path: string, token: string, what: string): Promise<void> {
  const res = await http.request({ method: 'GET', path, token })
  if (res.status !== 200) throw new Error(`${what}: GET ${path} answered ${res.status || res.error} (the tokens are signed with JWT_SECRET, which must be the server's)`)
}

interface Run { opts: DrillOptions, config: Readonly<Config>, url?: string, app?: AppProcess, http?: HttpClient, traffic?: Traffic, dropped?: IndexDefinition[], redisPrefix: string }

async function cleanup (run: Run): Promise<void> {
  await run.traffic?.stop().catch(() => {})
  if (run.url && run.dropped) {
    say('restoring the search indexes')
    const started = Date.now()
    await restoreIndexes(run.url, run.dropped, run.opts.inPlace)
    say(`restored ${run.dropped.map((d) => d.name).join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    run.dropped = undefined
  }
  run.http?.close()
  if (run.app) {
    const code = await run.app.stop()
    say(`server stopped (exit ${code}); its log: ${run.app.logFile}`)
    run.app = undefined
  }
  const redis = new Redis(run.config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await redis.connect().then(() => deleteKeysUnder(redis, run.redisPrefix)).catch(() => {}).finally(() => redis.disconnect())
  if (run.url && !run.opts.inPlace && !run.opts.keepCopy) {
    await dropDatabase(run.opts.databaseUrl, COPY_NAME)
    say(`dropped the copy ${COPY_NAME}`)
  }
}

function summary (stages: Stage[]): boolean {
  say('summary (seconds from the drop; limit in brackets):')
  let ok = true
  for (const s of stages) {
    const within = s.seconds !== undefined && s.seconds <= (s.limitS ?? Infinity)
    if (s.limitS !== undefined) ok &&= within
    const verdict = s.limitS === undefined ? 'info' : within ? 'PASS' : 'FAIL'
    const shown = s.seconds === undefined ? 'not seen' : `${s.seconds.toFixed(1)} s`
    process.stdout.write(`  ${verdict.padEnd(4)}  ${s.label}: ${shown}${s.limitS === undefined ? '' : ` [${s.limitS} s]`}${s.detail ? `  ${s.detail}` : ''}\n`)
  }
  process.stdout.write(`  machine: load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} cores\n`)
  return ok
}

/** Active (pending or firing) latency alert, or undefined when it is calm. */
async function activeLatencyAlert (http: HttpClient, admin: string) {
  const alert = await latencyAlert(http, admin)
  return alert && alert.state !== 'inactive' && alert.state !== 'resolved' ? alert : undefined
}

/**
 * Steady traffic until the search baselines exist and the latency alert is
 * calm (a drop into an alert already active measures nothing); returns the
 * alert state at the drop when it never calmed down.
 */
async function settle (run: Run, http: HttpClient, admin: string): Promise<string | undefined> {
  say(`steady traffic for ${run.opts.settleS} s so the query baselines settle`)
  await sleep(run.opts.settleS * 1000)
  const deadline = Date.now() + run.opts.calmS * 1000
  let baselines = await searchBaselines(http, admin)
  let alert = await activeLatencyAlert(http, admin)
  if (alert) say(`${alert.id} is ${alert.state} before the drop (${alert.summary}): waiting up to ${run.opts.calmS} s for it to end`)
  while ((!baselines.some((b) => b.baseline_ms !== null) || alert) && Date.now() < deadline) {
    await sleep(2000)
    baselines = await searchBaselines(http, admin)
    alert = await activeLatencyAlert(http, admin)
  }
  const shown = baselines.map((b) => `${b.name} p95 ${b.p95_ms ?? '–'} ms, baseline ${b.baseline_ms ?? 'not yet'} ms`).join('; ')
  say(`before the drop: ${describePhase(run.traffic!.nextPhase())}`)
  say(`search query baselines: ${shown || 'none (the relative capture has nothing to compare with; only SLOW_QUERY_MS applies)'}`)
  if (!alert) return undefined
  say(`${alert.id} is still ${alert.state} at the drop (${alert.summary}): the traffic or the machine is too heavy for a steady start, the alert stages cannot be timed (lower --rate, or a quieter machine)`)
  return alert.state
}

async function observe (run: Run, http: HttpClient, admin: string, droppedAtMs: number): Promise<Stage[]> {
  const stages = newStages(run.opts.limits)
  while (Date.now() - droppedAtMs < run.opts.maxS * 1000 && stages.some((s) => s.limitS !== undefined && s.seconds === undefined)) {
    await sleep(1000)
    for (const s of await pollStages(http, admin, droppedAtMs, stages)) say(`+${s.seconds!.toFixed(1)} s  ${s.label}: ${s.detail}`)
  }
  say(`after the drop: ${describePhase(run.traffic!.nextPhase())}`)
  return stages
}

async function drill (run: Run): Promise<boolean> {
  const { opts, config } = run
  const source = await checkSeededCatalog(opts.databaseUrl, opts.minProducts)
  say(`${databaseName(opts.databaseUrl)}: ${source.products} active products, text indexes ${source.indexes.join(', ')}`)
  run.url = await prepareDatabase(opts)
  const repaired = await restorePending(run.url, opts.inPlace)
  if (repaired.length > 0) say(`restored ${repaired.join(', ')}, left dropped by an interrupted drill`)
  await checkSeededCatalog(run.url, opts.minProducts)
  const data = await loadDrillData(run.url)
  const tokens = await tokensFor(run.url, opts, config, data.adminId)
  const port = await freePort()
  const env: Record<string, string> = { DATABASE_URL: run.url, REDIS_KEY_PREFIX: run.redisPrefix, METRICS_INSTANCE_ID: `drill-${process.pid}` }
  if (opts.auth === 'whitelist') env.RATE_LIMIT_WHITELIST = '127.0.0.1'
  say(`starting the app as npm start does, on port ${port} (Redis prefix ${run.redisPrefix}${opts.auth === 'whitelist' ? ', RATE_LIMIT_WHITELIST=127.0.0.1' : ''})`)
  run.app = await startApp(env, port, path.join('.data', 'drill', `server-${process.pid}.log`), 300_000)
  const http = createHttpClient({ baseUrl: run.app.baseUrl, connections: opts.clients + 4, timeoutMs: 30_000, acceptEncoding: 'gzip' })
  run.http = http
  await expectStatus(http, '/api/v1/monitoring/slow-queries?limit=1', tokens.admin, 'the admin token')
  if (tokens.users.length > 0) await expectStatus(http, '/api/v1/users/profile', tokens.users[0], 'a shopper token')
  say(`traffic: ${opts.clients} clients at ${opts.rate || 'max'} req/s each, ${Math.round(opts.searchShare * 100)}% uncached searches of ${data.words.length} catalog words${opts.inStock ? ' (in_stock=true)' : ''}, the rest cached details; ${opts.auth === 'mint' ? `tokens of ${tokens.users.length} users in turn` : 'loopback whitelisted'}`)
  run.traffic = startTraffic({ http, clients: opts.clients, ratePerClient: opts.rate, searchShare: opts.searchShare, words: data.words, productIds: data.productIds, tokens: tokens.users, inStock: opts.inStock, seed: opts.seed })
  const alertAtDrop = await settle(run, http, tokens.admin)
  const droppedAtMs = Date.now()
  run.dropped = await dropSearchIndexes(run.url)
  say(`dropped ${run.dropped.map((d) => d.name).join(', ')} in ${Date.now() - droppedAtMs} ms; watching for ${opts.maxS} s at most`)
  const stages = await observe(run, http, tokens.admin, droppedAtMs)
  if (alertAtDrop) for (const s of stages) if ((s.name === 'pending' || s.name === 'firing') && s.seconds === undefined) s.detail = `the alert was already ${alertAtDrop} at the drop`
  await run.traffic.stop()
  run.traffic = undefined
  await cleanup(run)
  return summary(stages)
}

async function main (): Promise<number> {
  let config: Readonly<Config>
  let opts: DrillOptions | undefined
  try {
    config = loadConfig()
    opts = parseDrillArgs(process.argv.slice(2), config)
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n\n${USAGE}`)
      return 2
    }
    throw err
  }
  if (!opts) {
    process.stdout.write(USAGE)
    return 0
  }
  const run: Run = { opts, config, redisPrefix: `techmart-drill-${process.pid}` }
  let interrupted = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return
    interrupted = true
    say(`${signal}: cleaning up`)
    cleanup(run).catch((err: Error) => say(`cleanup failed: ${err.message}`)).finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    return await drill(run) ? 0 : 1
  } catch (err) {
    if (interrupted) return new Promise(() => {}) // the signal handler exits
    say(err instanceof DrillRefusal ? `refused: ${err.message}` : `failed: ${(err as Error).stack ?? String(err)}`)
    await cleanup(run).catch((e: Error) => say(`cleanup failed: ${e.message}`))
    return err instanceof DrillRefusal ? 2 : 1
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = await main()
}
