/**
 * The server side of `npm run bench` (scripts/bench.ts forks this file): a
 * bare Fastify hello-world, the app with the cache on and the app with
 * CACHE_ENABLED=false (one per pool size when the parent passes
 * `--pool-sizes 4,20`), all in this one process on 127.0.0.1, plus the sample
 * of real product ids and search queries the load is drawn from. Answers the
 * parent over IPC: `reset` clears the server-side histograms, `stats` returns
 * their percentiles and the CPU time this process used since the reset. Server-side latency is measured from the moment Node
 * hands a request to the server until the response is flushed; for the apps,
 * each request's database time is split (from `request.timings`) into the
 * time its queries waited for a pool connection and the time they ran.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { parseArgs } from 'node:util'
import Fastify, { type FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { deleteKeysUnder } from '../src/lib/redis-keys.js'
import { BACKLOG, microsHistogram as histogram, msPercentiles } from './bench-common.js'

/** `hello`, `cached`, or `uncached-<pool size>`. */
export type ServerName = 'hello' | 'cached' | `uncached-${number}`

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
}

export type ServerMessage =
  | { type: 'ready', data: BenchData }
  /** `cpuMs`: CPU time of this process (all servers; only the case's server is busy) since `reset`. */
  | { type: 'stats', stats: Record<ServerName, ServerStats>, cpuMs: number }
  | { type: 'reset-done' }
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

/** Splits each request's database time into pool wait and query time (lib/instrumentation.ts, lib/pool-stats.ts). */
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

async function catalogApp (cacheEnabled: boolean, poolSize?: number): Promise<FastifyInstance> {
  // Traffic control is off (one client address would be limited or shed); the rest of the middleware stays on.
  const config = loadConfig(process.env, {
    port: 0,
    logLevel: 'silent',
    cacheEnabled,
    rateLimitEnabled: false,
    loadSheddingEnabled: false,
    profilingEnabled: false,
    catalogWordsRefreshS: 0,
    redisKeyPrefix: `techmart-bench-${process.pid}`,
    ...(poolSize === undefined ? {} : { databasePoolMax: poolSize })
  })
  return buildApp(config, { logger: false })
}

function words (name: string, brand: string): string[] {
  return name.toLowerCase().split(/[^a-z]+/).filter((w) => w.length >= 4 && w !== brand)
}

async function sample (app: FastifyInstance): Promise<Omit<BenchData, 'ports' | 'poolSizes'>> {
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
  const { values: args } = parseArgs({ options: { 'pool-sizes': { type: 'string', default: '' } } })
  const defaultPool = loadConfig(process.env).databasePoolMax
  const pools = args['pool-sizes'] === '' ? [defaultPool] : args['pool-sizes'].split(',').map(Number)
  if (pools.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--pool-sizes takes pool sizes, e.g. 4,20; got '${args['pool-sizes']}'`)
  const apps: Partial<Record<ServerName, FastifyInstance>> = { cached: await catalogApp(true) }
  for (const size of pools) apps[`uncached-${size}`] = await catalogApp(false, size)
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
  for (const [name, server] of Object.entries(servers) as [ServerName, FastifyInstance][]) {
    timed(server.server, recorders[name])
    ports[name] = (server.server.address() as { port: number }).port
  }
  const send = (msg: ServerMessage) => process.send!(msg)
  send({ type: 'ready', data: { ports, poolSizes, ...await sample(apps.cached!) } })

  let cpuSince = process.cpuUsage()
  process.on('message', (msg: { cmd: 'reset' | 'stats' | 'stop' }) => {
    if (msg.cmd === 'reset') {
      for (const r of Object.values(recorders)) r.reset()
      cpuSince = process.cpuUsage()
      send({ type: 'reset-done' })
    } else if (msg.cmd === 'stats') {
      const cpu = process.cpuUsage(cpuSince)
      const stats = Object.fromEntries(Object.entries(recorders).map(([k, r]) => [k, r.stats()]))
      send({ type: 'stats', stats: stats as Record<ServerName, ServerStats>, cpuMs: (cpu.user + cpu.system) / 1000 })
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
