/**
 * The server side of `npm run bench` (scripts/bench.ts forks this file): a
 * bare Fastify hello-world, the app with the cache on and the app with
 * CACHE_ENABLED=false, all in this one process on 127.0.0.1, plus the sample
 * of real product ids and search queries the load is drawn from. Answers the
 * parent over IPC: `reset` clears the server-side latency histograms,
 * `stats` returns their percentiles. Server-side latency is measured from the
 * moment Node hands a request to the server until the response is flushed.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import Fastify, { type FastifyInstance } from 'fastify'
import * as hdr from 'hdr-histogram-js'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

export type ServerName = 'hello' | 'cached' | 'uncached'

export interface BenchData {
  ports: Record<ServerName, number>
  /** Products whose detail is warmed in the cache. */
  hotIds: number[]
  /** A wide sample of active products for uncached detail reads. */
  sampleIds: number[]
  /** Two-word queries, brand plus a word of the product name, as shoppers type them. */
  queries: string[]
}

export type ServerMessage =
  | { type: 'ready', data: BenchData }
  | { type: 'stats', stats: Record<ServerName, { p50: number, p95: number, p99: number, count: number }> }
  | { type: 'reset-done' }
  | { type: 'error', message: string }

const HOT_IDS = 1000
const SAMPLE_IDS = 20_000
const QUERIES = 200

function timed (server: Server, histogram: hdr.Histogram): void {
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint()
    res.once('finish', () => { histogram.recordValue(Number((process.hrtime.bigint() - started) / 1000n)) })
  })
}

async function helloWorld (): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  app.get('/', async () => ({ hello: 'world' }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app
}

async function catalogApp (cacheEnabled: boolean): Promise<FastifyInstance> {
  // Traffic control is off (one client address would be limited or shed); the rest of the middleware stays on.
  const config = loadConfig(process.env, {
    port: 0,
    logLevel: 'silent',
    cacheEnabled,
    rateLimitEnabled: false,
    loadSheddingEnabled: false,
    profilingEnabled: false,
    catalogWordsRefreshS: 0,
    redisKeyPrefix: `techmart-bench-${process.pid}`
  })
  const app = await buildApp(config, { logger: false })
  await app.listen({ port: 0, host: '127.0.0.1' })
  return app
}

function words (name: string, brand: string): string[] {
  return name.toLowerCase().split(/[^a-z]+/).filter((w) => w.length >= 4 && w !== brand)
}

async function sample (app: FastifyInstance): Promise<Omit<BenchData, 'ports'>> {
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
  const hello = await helloWorld()
  const cached = await catalogApp(true)
  const uncached = await catalogApp(false)
  const servers: Record<ServerName, FastifyInstance> = { hello, cached, uncached }
  const histograms = {} as Record<ServerName, hdr.Histogram>
  const ports = {} as Record<ServerName, number>
  for (const name of Object.keys(servers) as ServerName[]) {
    histograms[name] = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 })
    timed(servers[name].server, histograms[name])
    ports[name] = (servers[name].server.address() as { port: number }).port
  }
  const send = (msg: ServerMessage) => process.send!(msg)
  send({ type: 'ready', data: { ports, ...await sample(cached) } })

  process.on('message', (msg: { cmd: 'reset' | 'stats' | 'stop' }) => {
    if (msg.cmd === 'reset') {
      for (const h of Object.values(histograms)) h.reset()
      send({ type: 'reset-done' })
    } else if (msg.cmd === 'stats') {
      const ms = (h: hdr.Histogram, p: number) => h.getValueAtPercentile(p) / 1000
      const stats = Object.fromEntries(Object.entries(histograms).map(([k, h]) => [k, { p50: ms(h, 50), p95: ms(h, 95), p99: ms(h, 99), count: h.totalCount }]))
      send({ type: 'stats', stats: stats as Record<ServerName, { p50: number, p95: number, p99: number, count: number }> })
    } else if (msg.cmd === 'stop') {
      shutdown(servers).catch((err: Error) => { process.stderr.write(`bench server: shutdown failed: ${err.message}\n`); process.exit(1) })
    }
  })
}

/** Closes the servers and removes this run's Redis keys (SCAN, never KEYS). */
async function shutdown (servers: Record<ServerName, FastifyInstance>): Promise<void> {
  const { client, prefix } = servers.cached.redis
  let cursor = '0'
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
    if (keys.length > 0) await client.unlink(...keys)
    cursor = next
  } while (cursor !== '0')
  await Promise.all(Object.values(servers).map((s) => s.close()))
  process.exit(0)
}

main().catch((err: Error) => {
  process.send?.({ type: 'error', message: err.message } satisfies ServerMessage)
  process.exit(1)
})
