/**
 * The server side of `npm run bench:search` (tools/bench/search.ts forks
 * this file): the app as `npm start` configures it — rate limiting on (per
 * user, from the bearer token), load shedding, profiling, the access log at
 * `info` (written to this process's stdout, which the parent discards) — and
 * a bare Fastify hello-world as the baseline of the same run. Hands the
 * parent the tokens of 1,000 customers and the words the load is drawn from;
 * records per request the time from request in to response flushed, the
 * database time split into pool wait and queries, and whether the cache
 * answered.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import { buildApp, loadConfig, deleteKeysUnder } from '../../src/public.js'
import { BACKLOG, microsHistogram as histogram, msPercentiles, type MsPercentiles } from './common.js'

export interface SearchBenchData {
  ports: { app: number, hello: number }
  /** Bearer tokens of distinct customers: each request carries one, so each user has its own limit. */
  tokens: string[]
  /** The words in the most product names and brands. */
  broadWords: string[]
  /** Words drawn uniformly from the spelling vocabulary (names and brands). */
  randomWords: string[]
  textIndex: string
  products: number
}

export type Percentiles = MsPercentiles
export interface SearchServerStats {
  total: Percentiles & { count: number }
  poolWait: Percentiles
  query: Percentiles
  /** Requests answered from the cache (L1 or L2); a search bench wants none. */
  cacheHits: number
  statuses: Record<string, number>
}
export type SearchServerMessage =
  | { type: 'ready', data: SearchBenchData }
  | { type: 'stats', stats: { app: SearchServerStats, hello: SearchServerStats }, cpuMs: number }
  | { type: 'reset-done' }
  | { type: 'error', message: string }

const USERS = 1000
const BROAD_WORDS = 30
const RANDOM_WORDS = 3000
/** After the suggestion index loaded: the vocabulary rebuild starts 5 s after start and takes seconds at 500,000 products. */
const SETTLE_MS = 15_000

class Recorder {
  total = histogram()
  poolWait = histogram()
  query = histogram()
  cacheHits = 0
  statuses: Record<string, number> = {}

  reset (): void {
    this.total.reset()
    this.poolWait.reset()
    this.query.reset()
    this.cacheHits = 0
    this.statuses = {}
  }

  stats (): SearchServerStats {
    return {
      total: { ...msPercentiles(this.total), count: this.total.totalCount },
      poolWait: msPercentiles(this.poolWait),
      query: msPercentiles(this.query),
      cacheHits: this.cacheHits,
      statuses: this.statuses
    }
  }
}

function timed (server: Server, recorder: Recorder): void {
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint()
    res.once('finish', () => {
      recorder.total.recordValue(Number((process.hrtime.bigint() - started) / 1000n))
      recorder.statuses[res.statusCode] = (recorder.statuses[res.statusCode] ?? 0) + 1
    })
  })
}

/**
 * Waits until the app's start-up work is done: the suggestion index loaded
 * (GET /products/suggest says `ready`; the match index loads alongside and is
 * awaited after) and the search vocabulary rebuilt
 * (5 s after start; seconds of database time at 500,000 products), so that
 * neither runs during the first measured case.
 */
async function settle (port: number): Promise<void> {
  const deadline = Date.now() + 180_000
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/products/suggest?q=a`)
    if (res.ok && (await res.json() as { ready: boolean }).ready) break
    if (Date.now() > deadline) throw new Error('the suggestion index did not load within 180 s')
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
}

/**
 * Search budget per user and minute in the benchmark: 1,000 users sending 1,000+ searches a second
 * is 60+ a minute each, past the shipped search limit; a peak's shoppers search less often.
 */
const SEARCH_BUDGET_PER_MIN = 12_000

async function main (): Promise<void> {
  // The shipped configuration; only the search route's per-user budget is sized for the benchmark (as npm run bench sizes its routes').
  const shipped = loadConfig(process.env)
  const config = loadConfig(process.env, {
    port: 0,
    redisKeyPrefix: `techmart-bench-search-${process.pid}`,
    rateLimitRoutes: [shipped.rateLimitRoutes, `GET /api/v1/products/search=${SEARCH_BUDGET_PER_MIN}/60`].filter(Boolean).join(',')
  })
  const app = await buildApp(config)
  const recorder = new Recorder()
  app.addHook('onResponse', (request, _reply, done) => {
    const t = request.timings
    if (t !== null && t.dbQueries > 0) {
      recorder.poolWait.recordValue(Math.round(t.dbWaitMs * 1000))
      recorder.query.recordValue(Math.round(Math.max(0, t.dbMs - t.dbWaitMs) * 1000))
    }
    if (t !== null && (t.cacheStatus === 'hit' || t.cacheStatus === 'stale')) recorder.cacheHits++
    done()
  })
  await app.listen({ port: 0, host: '127.0.0.1', backlog: BACKLOG })
  const hello = Fastify({ logger: false })
  hello.get('/', async () => ({ hello: 'world' }))
  await hello.listen({ port: 0, host: '127.0.0.1', backlog: BACKLOG })
  const helloRecorder = new Recorder()
  timed(app.server, recorder)
  timed(hello.server, helloRecorder)

  const sql = app.db.readSql
  const users = await sql<{ id: number, token_version: number }[]>`
    SELECT id, token_version FROM users WHERE is_active AND user_type = 'customer' ORDER BY id LIMIT ${USERS}`
  if (users.length === 0) throw new Error('no customers: seed the database first (npm run seed)')
  const broad = await sql<{ word: string }[]>`SELECT word FROM catalog_search_words ORDER BY ndoc DESC, word LIMIT ${BROAD_WORDS}`
  const random = await sql<{ word: string }[]>`SELECT word FROM catalog_search_words ORDER BY random() LIMIT ${RANDOM_WORDS}`
  const [{ n }] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM products WHERE is_active`
  const [{ rum }] = await sql<{ rum: number }[]>`SELECT count(*)::int AS rum FROM pg_indexes WHERE indexname IN ('products_title_rum_idx', 'products_search_rum_idx')`
  const data: SearchBenchData = {
    ports: { app: (app.server.address() as { port: number }).port, hello: (hello.server.address() as { port: number }).port },
    tokens: users.map((u) => app.signAccessToken({ id: u.id, role: 'customer', tokenVersion: u.token_version })),
    broadWords: broad.map((r) => r.word),
    randomWords: random.map((r) => r.word),
    textIndex: config.searchTextIndex === 'gin' || rum < 2 ? 'gin' : 'rum',
    products: n
  }
  await settle(data.ports.app)
  await app.catalogSearch.loaded()
  const send = (msg: SearchServerMessage) => process.send!(msg)
  send({ type: 'ready', data })

  let cpuSince = process.cpuUsage()
  process.on('message', (msg: { cmd: 'reset' | 'stats' | 'stop' }) => {
    if (msg.cmd === 'reset') {
      recorder.reset()
      helloRecorder.reset()
      cpuSince = process.cpuUsage()
      send({ type: 'reset-done' })
    } else if (msg.cmd === 'stats') {
      const cpu = process.cpuUsage(cpuSince)
      send({ type: 'stats', stats: { app: recorder.stats(), hello: helloRecorder.stats() }, cpuMs: (cpu.user + cpu.system) / 1000 })
    } else {
      stop()
    }
  })
  /** Closes both servers, then removes this run's Redis keys (SCAN, never KEYS). */
  async function shutdown (): Promise<void> {
    const { prefix } = app.redis
    await Promise.all([app.close(), hello.close()])
    const client = new Redis(config.redisUrl)
    await deleteKeysUnder(client, prefix)
    await client.quit()
    process.exit(0)
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, stop)
  process.once('disconnect', stop)
  let stopping = false
  function stop (): void {
    if (stopping) return
    stopping = true
    shutdown().catch((err: Error) => { process.stderr.write(`bench search server: shutdown failed: ${err.message}\n`); process.exit(1) })
  }
}

main().catch((err: Error) => {
  process.send?.({ type: 'error', message: err.message } satisfies SearchServerMessage)
  process.exit(1)
})
