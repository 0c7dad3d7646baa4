/**
 * The server side of `npm run bench` (tools/bench/catalog.ts forks this file): a
 * bare Fastify hello-world, the app with the cache on and the app with
 * CACHE_ENABLED=false (one per pool size when the parent passes
 * `--pool-sizes 4,20`), all in this one process on 127.0.0.1, plus the sample
 * of real product ids and search queries the load is drawn from and one
 * access token per benchmark user. Both apps run the configuration `npm start`
 * runs (environment and defaults): rate limiting on, counted per user, access
 * log at `info` (this process's standard output, which the parent points at
 * /dev/null), load shedding on, profiling on; the only change is the per-user
 * budget of the benchmarked routes, raised through RATE_LIMIT_ROUTES (`--budget`)
 * so that a user of the benchmark, who sends far more than a shopper, is not
 * refused even with limits cut to a tenth at the critical load level. A
 * third, stripped app (no rate limiting, shedding, profiling or logging)
 * serves the extra rows that show what the shipped middleware costs.
 * Answers the parent over IPC: `reset` clears the server-side histograms,
 * `stats` returns their percentiles, the CPU time this process used and the
 * rate limiter's counts since the reset. Server-side latency is measured from the moment Node
 * hands a request to the server until the response is flushed; for the apps,
 * each request's database time is split (from `request.timings`) into the
 * time its queries waited for a pool connection and the time they ran.
 */
import { existsSync, readdirSync } from 'node:fs'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import Fastify, { type FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { buildApp, loadConfig, deleteKeysUnder } from '../../src/public.js'
import { BACKLOG, BENCH_ROUTES, microsHistogram as histogram, msPercentiles } from './common.js'

/**
 * `hello`, `cached` (shipped configuration), `stripped` (cache on, traffic control and logging off),
 * `floor` (bare Fastify sending the cached detail's own response), or `uncached-<pool size>`.
 */
export type ServerName = 'hello' | 'cached' | 'stripped' | 'floor' | `uncached-${number}`

export interface BenchData {
  ports: Record<ServerName, number>
  /** Connections in the pool of each app. */
  poolSizes: Partial<Record<ServerName, number>>
  /** Products whose detail is warmed in the cache. */
  hotIds: number[]
  /** A wide sample of active products for uncached detail reads. */
  sampleIds: number[]
  /** Two-word queries, brand plus a word of the product name, as shoppers type them. */
  queries: string[]
  /** `Bearer …` of each benchmark user (real active accounts first), one per request in turn. */
  authorizations: string[]
  /** Per-user budget of the benchmarked routes, points a minute (RATE_LIMIT_ROUTES). */
  budget: number
  /** The rate limiter's lease batch (RATE_LIMIT_LEASE_BATCH). */
  leaseBatch: number
}

/** What the rate limiter of an app did since the reset (leased routes). */
export interface LimiterStats {
  /** Requests decided from a lease held in process. */
  local: number
  /** Lease calls to Redis. */
  redisCalls: number
  /** Requests counted one by one (Redis unreachable). */
  perRequest: number
}

/** Milliseconds. `mean` is over every request, those that made no query included. */
export interface Percentiles { p50: number, p95: number, p99: number, mean: number }

export interface ServerStats {
  /** Request in to response flushed. */
  total: Percentiles & { count: number }
  /** Per request: time its queries waited for a pool connection (queued, connecting, or pipelined behind another query). */
  poolWait: Percentiles
  /** Per request: time its queries ran once they had their connection (summed; parallel queries overlap). */
  query: Percentiles
  /** Requests that made at least one query. */
  dbRequests: number
  /** Rate limiter counts since the reset (apps with rate limiting only). */
  limiter?: LimiterStats
  /** The app's load level when the stats were read, and the highest one seen since the reset. */
  loadLevel?: { now: string, highest: string }
}

export type ServerMessage =
  | { type: 'ready', data: BenchData }
  /** `cpuMs`: CPU time of this process (all servers; only the case's server is busy) since `reset`. */
  | { type: 'stats', stats: Record<ServerName, ServerStats>, cpuMs: number, profiles: number }
  | { type: 'reset-done' }
  /** After `settle`: how long the apps took to stop shedding. */
  | { type: 'settled', waitedMs: number }
  | { type: 'error', message: string }

const HOT_IDS = 1000
const SAMPLE_IDS = 20_000
const QUERIES = 200

/** Microsecond histograms of one server; requests without a query only count (cheap on the cached path). */
class Recorder {
  total = histogram()
  poolWait = histogram()
  query = histogram()
  noDb = 0

  reset (): void {
    this.total.reset()
    this.poolWait.reset()
    this.query.reset()
    this.noDb = 0
  }

  stats (): ServerStats {
    const dbRequests = this.query.totalCount
    return {
      total: { ...msPercentiles(this.total), count: this.total.totalCount },
      poolWait: msPercentiles(this.poolWait, this.noDb),
      query: msPercentiles(this.query, this.noDb),
      dbRequests
    }
  }
}

function timed (server: Server, recorder: Recorder): void {
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint()
    res.once('finish', () => { recorder.total.recordValue(Number((process.hrtime.bigint() - started) / 1000n)) })
  })
}

/** Splits each request's database time into pool wait and query time (lib/observability/instrumentation.ts, lib/metrics/pool-stats.ts). */
function timedDb (app: FastifyInstance, recorder: Recorder): void {
  app.addHook('onResponse', (request, _reply, done) => {
    const t = request.timings
    if (t === null || t.dbQueries === 0) {
      recorder.noDb++
    } else {
      recorder.poolWait.recordValue(Math.round(t.dbWaitMs * 1000))
      recorder.query.recordValue(Math.round(Math.max(0, t.dbMs - t.dbWaitMs) * 1000))
    }
    done()
  })
}

async function helloWorld (): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  app.get('/', async () => ({ hello: 'world' }))
  await app.listen({ port: 0, host: '127.0.0.1', backlog: BACKLOG })
  return app
}

// Set by Node for each response; the floor leaves them to Node as the app does.
const NODE_SET_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'])

/**
 * Bare Fastify answering every product detail with the headers and body the
 * shipped app sent for one cached product (asked once, as a benchmark user):
 * no hooks, no lookup, no log. What this response costs to write and to read
 * on this machine, against which the app's own work can be told apart.
 */
async function responseFloor (app: FastifyInstance, productId: number, authorization: string): Promise<FastifyInstance> {
  const res = await app.inject({ method: 'GET', url: `/api/v1/products/${productId}`, headers: { authorization } })
  if (res.statusCode !== 200) throw new Error(`floor: product ${productId} answered ${res.statusCode}`)
  const headers = Object.fromEntries(Object.entries(res.headers).filter(([name]) => !NODE_SET_HEADERS.has(name)))
  const body = res.rawPayload
  const floor = Fastify({ logger: false })
  floor.get('/api/v1/products/:id', (_request, reply) => { reply.headers(headers).send(body) })
  await floor.listen({ port: 0, host: '127.0.0.1', backlog: BACKLOG })
  return floor
}

interface AppOptions {
  cacheEnabled: boolean
  poolSize?: number
  /** Per-user budget of BENCH_ROUTES, points a minute. */
  budget: number
  /** Rate limiting, shedding, profiling and logging off: the extra rows. */
  stripped?: boolean
}

async function catalogApp (opts: AppOptions): Promise<FastifyInstance> {
  const common = {
    port: 0,
    cacheEnabled: opts.cacheEnabled,
    catalogWordsRefreshS: 0,
    redisKeyPrefix: `techmart-bench-${process.pid}`,
    ...(opts.poolSize === undefined ? {} : { databasePoolMax: opts.poolSize })
  }
  if (opts.stripped === true) {
    const config = loadConfig(process.env, { ...common, logLevel: 'silent', rateLimitEnabled: false, loadSheddingEnabled: false, profilingEnabled: false, accessLogEnabled: false })
    return buildApp(config, { logger: false })
  }
  // The shipped configuration; only the budgets of the benchmarked routes are sized for the benchmark.
  const shipped = loadConfig(process.env)
  const budgets = BENCH_ROUTES.map((route) => `${route}=${opts.budget}/60`)
  const config = loadConfig(process.env, {
    ...common,
    rateLimitRoutes: [shipped.rateLimitRoutes, ...budgets].filter(Boolean).join(',')
  })
  return buildApp(config)
}

const LEVELS = ['low', 'medium', 'high', 'critical']

/** Rate-limiter counts and the highest load level of an app since `reset`. */
function limiterRecorder (app: FastifyInstance) {
  let since = app.rateLimit.leaseStats()
  let highest = 0
  const unsubscribe = app.load.onSample((state) => { highest = Math.max(highest, LEVELS.indexOf(state.level)) })
  app.addHook('onClose', async () => { unsubscribe() })
  return {
    reset (): void {
      since = app.rateLimit.leaseStats()
      highest = LEVELS.indexOf(app.load.current().level)
    },
    stats (): Pick<ServerStats, 'limiter' | 'loadLevel'> {
      const now = app.rateLimit.leaseStats()
      return {
        limiter: { local: now.local - since.local, redisCalls: now.redisCalls - since.redisCalls, perRequest: now.perRequest - since.perRequest },
        loadLevel: { now: app.load.current().level, highest: LEVELS[Math.max(highest, LEVELS.indexOf(app.load.current().level))] }
      }
    }
  }
}

function words (name: string, brand: string): string[] {
  return name.toLowerCase().split(/[^a-z]+/).filter((w) => w.length >= 4 && w !== brand)
}

const SETTLE_TIMEOUT_MS = 300_000

/**
 * Waits until an app's start-up work is done (the suggestion index loaded: GET
 * /products/suggest says `ready`; the match index loads alongside) and, with
 * shedding on, until it sheds nothing: on a busy machine that work keeps the
 * event loop late enough to shed the first seconds of traffic.
 */
async function settle (app: FastifyInstance): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS
  const ready = async (): Promise<boolean> => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/products/suggest?q=a' })
    return res.statusCode === 200 && (res.json() as { ready: boolean }).ready
  }
  const shedding = () => app.hasDecorator('loadShedding') && app.loadShedding.state().shedding.length > 0
  while (!(await ready()) || shedding()) {
    if (Date.now() > deadline) throw new Error(`the app did not settle within ${SETTLE_TIMEOUT_MS / 1000} s (suggestion index loading, or shedding)`)
    await sleep(500)
  }
}

const CALM_TIMEOUT_MS = 60_000

/**
 * Waits until no app sheds. The servers share this process's event loop, so
 * the load of one case (hello-world at 1,000 connections saturates it too)
 * would otherwise leave the next case's app shedding from its first request.
 */
async function calm (apps: FastifyInstance[]): Promise<void> {
  const deadline = Date.now() + CALM_TIMEOUT_MS
  while (apps.some((app) => app.hasDecorator('loadShedding') && app.loadShedding.state().shedding.length > 0)) {
    if (Date.now() > deadline) throw new Error(`the apps still shed ${CALM_TIMEOUT_MS / 1000} s after the previous case`)
    await sleep(200)
  }
}

/** One access token per benchmark user: the active customers first, then made-up ids if there are fewer. */
async function authorizations (app: FastifyInstance, users: number): Promise<string[]> {
  const rows = await app.db.readSql<{ id: number }[]>`SELECT id FROM users WHERE is_active AND user_type = 'customer' ORDER BY id LIMIT ${users}`
  const ids = rows.map((r) => r.id)
  for (let id = 10_000_000; ids.length < users; id++) ids.push(id)
  return ids.map((id) => `Bearer ${app.signAccessToken({ id, role: 'customer' })}`)
}

async function sample (app: FastifyInstance): Promise<Omit<BenchData, 'ports' | 'poolSizes' | 'authorizations' | 'budget' | 'leaseBatch'>> {
  const sql = app.db.readSql
  const ids = await sql<{ id: number }[]>`SELECT id FROM products WHERE is_active ORDER BY random() LIMIT ${SAMPLE_IDS}`
  if (ids.length === 0) throw new Error('no active products: seed the database first (npm run seed)')
  const rows = await sql<{ brand: string, name: string }[]>`
    SELECT lower(brand) AS brand, name FROM products WHERE is_active AND brand ~ '^[A-Za-z]+$' ORDER BY random() LIMIT ${QUERIES * 2}`
  const queries = new Set<string>()
  for (const r of rows) {
    const candidates = words(r.name, r.brand)
    if (candidates.length > 0) queries.add(`${r.brand} ${candidates[Math.floor(Math.random() * candidates.length)]}`)
    if (queries.size >= QUERIES) break
  }
  return { hotIds: ids.slice(0, HOT_IDS).map((r) => r.id), sampleIds: ids.map((r) => r.id), queries: [...queries] }
}

async function main (): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      'pool-sizes': { type: 'string', default: '' },
      users: { type: 'string', default: '1000' },
      budget: { type: 'string', default: '12000' },
      stripped: { type: 'boolean', default: false },
      floor: { type: 'boolean', default: false }
    }
  })
  const defaultPool = loadConfig(process.env).databasePoolMax
  const pools = args['pool-sizes'] === '' ? [defaultPool] : args['pool-sizes'].split(',').map(Number)
  if (pools.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--pool-sizes takes pool sizes, e.g. 4,20; got '${args['pool-sizes']}'`)
  const users = Number(args.users)
  const budget = Number(args.budget)
  if (!Number.isInteger(users) || users < 1) throw new Error(`--users takes a positive integer, got '${args.users}'`)
  if (!Number.isInteger(budget) || budget < 1) throw new Error(`--budget takes a positive integer, got '${args.budget}'`)
  const apps: Partial<Record<ServerName, FastifyInstance>> = { cached: await catalogApp({ cacheEnabled: true, budget }) }
  if (args.stripped) apps.stripped = await catalogApp({ cacheEnabled: true, budget, stripped: true })
  for (const size of pools) apps[`uncached-${size}`] = await catalogApp({ cacheEnabled: false, poolSize: size, budget })
  const profileDir = apps.cached!.config.profileDir
  const profilesBefore = countProfiles(profileDir)
  const limiters: Partial<Record<ServerName, ReturnType<typeof limiterRecorder>>> = {}
  for (const [name, app] of Object.entries(apps) as [ServerName, FastifyInstance][]) {
    if (app.hasDecorator('rateLimit')) limiters[name] = limiterRecorder(app)
  }
  const recorders = {} as Record<ServerName, Recorder>
  const ports = {} as Record<ServerName, number>
  const poolSizes: BenchData['poolSizes'] = {}
  const servers: Partial<Record<ServerName, FastifyInstance>> = { hello: await helloWorld() }
  for (const [name, app] of Object.entries(apps) as [ServerName, FastifyInstance][]) {
    recorders[name] = new Recorder()
    timedDb(app, recorders[name])
    await app.listen({ port: 0, host: '127.0.0.1', backlog: BACKLOG })
    servers[name] = app
    poolSizes[name] = app.db.pool.stats().size
  }
  recorders.hello = new Recorder()
  const data = { ...await sample(apps.cached!), authorizations: await authorizations(apps.cached!, users) }
  if (args.floor) {
    servers.floor = await responseFloor(apps.cached!, data.hotIds[0], data.authorizations[0])
    recorders.floor = new Recorder()
  }
  for (const [name, server] of Object.entries(servers) as [ServerName, FastifyInstance][]) {
    timed(server.server, recorders[name])
    ports[name] = (server.server.address() as { port: number }).port
  }
  const send = (msg: ServerMessage) => process.send!(msg)
  for (const app of Object.values(apps)) if (app) await settle(app)
  send({
    type: 'ready',
    data: { ports, poolSizes, ...data, budget, leaseBatch: apps.cached!.config.rateLimitLeaseBatch }
  })

  let cpuSince = process.cpuUsage()
  process.on('message', (msg: { cmd: 'reset' | 'stats' | 'settle' | 'stop' }) => {
    if (msg.cmd === 'settle') {
      const started = Date.now()
      calm(Object.values(apps) as FastifyInstance[]).then(() => send({ type: 'settled', waitedMs: Date.now() - started }), (err: Error) => send({ type: 'error', message: err.message }))
    } else if (msg.cmd === 'reset') {
      for (const r of Object.values(recorders)) r.reset()
      for (const l of Object.values(limiters)) l?.reset()
      cpuSince = process.cpuUsage()
      send({ type: 'reset-done' })
    } else if (msg.cmd === 'stats') {
      const cpu = process.cpuUsage(cpuSince)
      const stats = Object.fromEntries(Object.entries(recorders).map(([k, r]) => [k, { ...r.stats(), ...limiters[k as ServerName]?.stats() }]))
      send({ type: 'stats', stats: stats as Record<ServerName, ServerStats>, cpuMs: (cpu.user + cpu.system) / 1000, profiles: countProfiles(profileDir) - profilesBefore })
    } else if (msg.cmd === 'stop') {
      stop()
    }
  })
  // Ctrl-C, or a parent that died without sending `stop`: clean up all the same.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, stop)
  process.once('disconnect', stop)
  let stopping = false
  function stop (): void {
    if (stopping) return
    stopping = true
    shutdown(servers as Record<ServerName, FastifyInstance>).catch((err: Error) => { process.stderr.write(`bench server: shutdown failed: ${err.message}\n`); process.exit(1) })
  }
}

/** `.cpuprofile` files in the profiles folder (the profiler is on, as shipped, and keeps its captures there). */
function countProfiles (dir: string): number {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).length : 0
}

/**
 * Closes the servers, then removes this run's Redis keys (SCAN, never KEYS)
 * on a connection of its own: the apps write monitoring keys while closing.
 */
async function shutdown (servers: Record<ServerName, FastifyInstance>): Promise<void> {
  const { prefix } = servers.cached.redis
  await Promise.all(Object.values(servers).map((s) => s.close()))
  const client = new Redis(loadConfig(process.env).redisUrl)
  await deleteKeysUnder(client, prefix)
  await client.quit()
  process.exit(0)
}

main().catch((err: Error) => {
  process.send?.({ type: 'error', message: err.message } satisfies ServerMessage)
  process.exit(1)
})
