/**
 * `npm run bench:suggest`: GET /api/v1/products/suggest on the shipped
 * configuration (rate limiting with Redis, access log, load shedding,
 * profiling, compression), against a bare Fastify hello-world in the same run.
 *
 *   npm run bench:suggest -- [--duration 10] [--warmup 3] [--connections 1,10,100] [--index-scale 1] [--json FILE]
 *
 * A child process (this file with `--serve`) runs both servers on 127.0.0.1;
 * this process only generates load with autocannon. The app's access log goes
 * to /dev/null (written all the same). Every request comes from its own
 * client address (X-Forwarded-For from a pool of 65,536, the app trusting the
 * loopback proxy), so the per-client limit of 300 per minute is checked on
 * every request, as in production, without refusing the benchmark. Queries
 * are random prefixes of the catalog's names as typed: one to three words of
 * a name, the last one cut at a random length. Server-side time is from the
 * moment Node hands the request to the server until the response is flushed.
 * The `suggest-rebuilding` case runs the same load while the index is rebuilt
 * again and again (a product write is announced every 2 s), to show what a
 * rebuild costs the requests served meanwhile. Before the load, the server
 * process builds a second index of its own and reports its build time, the
 * longest event-loop stall during the build, its heap, and the time of the
 * lookups alone (no HTTP); with `--index-scale 10` that index holds the
 * catalog ten times over, each copied name made distinct (the HTTP runs
 * still use the app's own index). Reads DATABASE_URL (default:
 * the demo database, only read) and REDIS_URL; Redis keys go under a
 * throw-away prefix removed at the end.
 */
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import Fastify, { type FastifyInstance } from 'fastify'
import type * as hdr from 'hdr-histogram-js'
import { Redis } from 'ioredis'
import { buildApp, loadConfig, deleteKeysUnder, CatalogTags, answer, buildFromRows, type Built, type CategoryRow, type ProductRow } from '../../src/public.js'
import { autocannon, microsHistogram as histogram } from './common.js'

type Server = 'hello' | 'app'
type CaseName = 'hello' | 'suggest' | 'suggest-rebuilding'
const CASES: Record<CaseName, Server> = { hello: 'hello', suggest: 'app', 'suggest-rebuilding': 'app' }
interface Pct { p50: number, p95: number, p99: number, max: number }
type Msg =
  | { type: 'ready', ports: Record<Server, number>, prefixes: string[], products: number, index: IndexFigures }
  | { type: 'stats', server: Pct & { count: number }, cpuMs: number, rebuilds: number }
  | { type: 'ok' }
  | { type: 'error', message: string }
type Cmd = { cmd: 'reset' | 'stop' } | { cmd: 'stats', server: Server } | { cmd: 'rebuilding', on: boolean }

/** A second index built in the server process alone: its build time, event-loop stalls and heap, and lookups without HTTP. */
interface IndexFigures { entries: number, buildMs: number, maxStallMs: number, maxCpuStallMs: number, heapMb: number, lookup: Pct }

const PREFIXES = 2000
const REBUILD_EVERY_MS = 2000

/** A name as typed so far: its first one to three words, the last one cut at a random length. */
function typedPrefix (name: string): string {
  const words = name.split(/\s+/).filter(Boolean)
  const n = 1 + Math.floor(Math.random() * Math.min(3, words.length))
  const last = words[n - 1]
  return [...words.slice(0, n - 1), last.slice(0, 1 + Math.floor(Math.random() * last.length))].join(' ')
}

/**
 * The catalog's active products `scale` times: copy k > 0 gets new ids and a model code appended to the
 * name ("… K3-417"), so every name is distinct and no entry is merged with another (the index's worst case).
 */
async function catalogRows (app: FastifyInstance, scale: number): Promise<{ rows: ProductRow[], categories: CategoryRow[] }> {
  const base = await app.db.readSql<ProductRow[]>`
    SELECT id, name, slug, brand, category_id, rating_count, (rating_avg * 100)::int AS rating_cents FROM products WHERE is_active ORDER BY id`
  const categories = await app.db.readSql<CategoryRow[]>`SELECT id, name, slug, parent_id FROM categories WHERE is_active`
  const rows: ProductRow[] = []
  for (let k = 0; k < scale; k++) {
    for (const r of base) rows.push(k === 0 ? r : { ...r, id: r.id + k * 10_000_000, name: `${r.name} K${k}-${r.id % 997}`, slug: `${r.slug}-k${k}` })
  }
  return { rows, categories }
}

/** Builds an index of its own (the app's is loaded already), then times its lookups: the part of a request that is the index. */
async function measureIndex (app: FastifyInstance, prefixes: string[], scale: number): Promise<IndexFigures> {
  globalThis.gc?.()
  const heapBefore = process.memoryUsage().heapUsed
  let data: { rows: ProductRow[], categories: CategoryRow[] } | undefined = await catalogRows(app, scale)
  // A stall is a gap between two 1 ms ticks. On a shared machine a gap is also time the process was not
  // scheduled: the CPU time this process used during the gap (all its threads) bounds what was blocking.
  const stalls = monitorEventLoopDelay({ resolution: 1 })
  stalls.enable()
  let maxCpuStallMs = 0
  let lastTick = performance.now()
  let lastCpu = process.cpuUsage()
  const ticker = setInterval(() => {
    const nowMs = performance.now()
    const cpu = process.cpuUsage(lastCpu)
    maxCpuStallMs = Math.max(maxCpuStallMs, Math.min(nowMs - lastTick, (cpu.user + cpu.system) / 1000))
    lastTick = nowMs
    lastCpu = process.cpuUsage()
  }, 1)
  const started = performance.now()
  const built: Built = await buildFromRows(data.rows, data.categories)
  const buildMs = performance.now() - started
  clearInterval(ticker)
  stalls.disable()
  // The rows go once built, as in the app: the heap left is the index (and the names and slugs it keeps).
  data = undefined
  globalThis.gc?.()
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6
  const lookups = histogram()
  for (let round = 0; round < 5; round++) {
    for (const q of prefixes) {
      const t0 = process.hrtime.bigint()
      answer(built, q, 8)
      if (round > 0) lookups.recordValue(Math.min(Number(process.hrtime.bigint() - t0), 59_999_999))
    }
  }
  const us = (p: number) => lookups.getValueAtPercentile(p) / 1e6
  return { entries: built.products.items.length, buildMs, maxStallMs: stalls.max / 1e6, maxCpuStallMs, heapMb, lookup: { p50: us(50), p95: us(95), p99: us(99), max: lookups.maxValue / 1e6 } }
}

async function serve (): Promise<void> {
  const send = (m: Msg) => process.send!(m)
  const hello = Fastify({ logger: false })
  hello.get('/', async () => ({ hello: 'world' }))
  await hello.listen({ port: 0, host: '127.0.0.1', backlog: 4096 })
  const config = loadConfig(process.env, { port: 0, trustProxy: '127.0.0.1', redisKeyPrefix: `techmart-bench-suggest-${process.pid}` })
  const app = await buildApp(config)
  await app.listen({ port: 0, host: '127.0.0.1', backlog: 4096 })
  const port = (s: FastifyInstance) => (s.server.address() as { port: number }).port
  for (let ready = false; !ready;) {
    ready = (await app.inject({ url: '/api/v1/products/suggest?q=a', headers: { 'x-forwarded-for': '10.255.0.1' } })).json<{ ready: boolean }>().ready
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 200))
  }
  const names = await app.db.readSql<{ name: string }[]>`SELECT name FROM products WHERE is_active ORDER BY random() LIMIT ${PREFIXES}`
  const [{ n }] = await app.db.readSql<{ n: string }[]>`SELECT count(*) AS n FROM products WHERE is_active`
  const scaleAt = process.argv.indexOf('--index-scale')
  const index = await measureIndex(app, names.map((r) => typedPrefix(r.name)), scaleAt > 0 ? Number(process.argv[scaleAt + 1]) : 1)
  const recorders: Record<Server, hdr.Histogram> = { hello: histogram(), app: histogram() }
  for (const [name, s] of [['hello', hello], ['app', app]] as const) {
    s.server.on('request', (_req, res) => {
      const started = process.hrtime.bigint()
      res.once('finish', () => { recorders[name].recordValue(Number((process.hrtime.bigint() - started) / 1000n)) })
    })
  }
  let rebuilds = 0
  let rebuilding: NodeJS.Timeout | undefined
  app.cache.onInvalidate(() => { rebuilds++ })
  let cpuSince = process.cpuUsage()
  process.on('message', (msg: Cmd) => {
    if (msg.cmd === 'reset') {
      for (const h of Object.values(recorders)) h.reset()
      cpuSince = process.cpuUsage()
      rebuilds = 0
      send({ type: 'ok' })
    } else if (msg.cmd === 'rebuilding') {
      clearInterval(rebuilding)
      // The tag every product write bumps: each instance's index is rebuilt a second later.
      if (msg.on) rebuilding = setInterval(() => { app.cache.invalidate([CatalogTags.scope('all', 'base')]).catch(() => {}) }, REBUILD_EVERY_MS)
      send({ type: 'ok' })
    } else if (msg.cmd === 'stats') {
      const cpu = process.cpuUsage(cpuSince)
      const h = recorders[msg.server]
      const ms = (p: number) => h.getValueAtPercentile(p) / 1000
      send({ type: 'stats', server: { p50: ms(50), p95: ms(95), p99: ms(99), max: h.maxValue / 1000, count: h.totalCount }, cpuMs: (cpu.user + cpu.system) / 1000, rebuilds })
    } else {
      clearInterval(rebuilding)
      Promise.all([hello.close(), app.close()])
        .then(async () => {
          const client = new Redis(config.redisUrl)
          await deleteKeysUnder(client, app.redis.prefix)
          await client.quit()
          process.exit(0)
        })
        .catch((err: Error) => { process.stderr.write(`bench server: ${err.message}\n`); process.exit(1) })
    }
  })
  send({ type: 'ready', ports: { hello: port(hello), app: port(app) }, prefixes: names.map((r) => typedPrefix(r.name)), products: Number(n), index })
}

const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)]

async function main (): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '3' },
      connections: { type: 'string', default: '1,10,100' },
      // The index figures (not the HTTP runs) on the catalog this many times over, every copied name made distinct.
      'index-scale': { type: 'string', default: '1' },
      json: { type: 'string' }
    }
  })
  // The child's stdout (the access log) goes nowhere; its errors show.
  const child = fork(fileURLToPath(import.meta.url), ['--serve', '--index-scale', args['index-scale']], { execArgv: process.execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  const ask = async (cmd: Cmd): Promise<Msg> => {
    const reply = once(child, 'message') as Promise<[Msg]>
    child.send(cmd)
    return (await reply)[0]
  }
  try {
    const [ready] = await once(child, 'message') as [Msg]
    if (ready.type !== 'ready') throw new Error(`bench server failed: ${ready.type === 'error' ? ready.message : ready.type}`)
    process.stdout.write(`${os.cpus().length} CPUs, load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${ready.products} active products; ` +
      `${ready.prefixes.length} typed prefixes (e.g. "${ready.prefixes.slice(0, 4).join('", "')}"), ${args.duration} s per run\n\n`)
    const ix = ready.index
    process.stdout.write(`index of ${ix.entries} product entries built in the server process while idle: ${(ix.buildMs / 1000).toFixed(2)} s, longest event-loop stall ${ix.maxStallMs.toFixed(1)} ms (of which CPU of this process at most ${ix.maxCpuStallMs.toFixed(1)} ms), ` +
      `heap ${ix.heapMb.toFixed(0)} MB${globalThis.gc ? '' : ' (approximate: run node with --expose-gc for an exact figure)'}; ` +
      `lookup alone (8 suggestions, 4 × ${ready.prefixes.length} prefixes) p50 / p95 / p99 / max ${ix.lookup.p50.toFixed(3)} / ${ix.lookup.p95.toFixed(3)} / ${ix.lookup.p99.toFixed(3)} / ${ix.lookup.max.toFixed(2)} ms\n\n`)
    const rows: Record<string, unknown>[] = []
    const lines = ['| case | connections | req/s | server p50 / p95 / p99 / max ms | client p50 / p95 / p99 ms | server CPU µs/req | non-2xx | product writes announced |', '| --- | ---: | ---: | --- | --- | ---: | ---: | ---: |']
    const rps: Record<string, number> = {}
    let ip = 0
    for (const c of args.connections.split(',').map(Number)) {
      for (const name of Object.keys(CASES) as CaseName[]) {
        const server = CASES[name]
        const path = () => server === 'hello' ? '/' : `/api/v1/products/suggest?q=${encodeURIComponent(pick(ready.prefixes))}`
        const run = (duration: number) => {
          const client = histogram()
          const ac = autocannon({
            url: `http://127.0.0.1:${ready.ports[server]}`,
            connections: c,
            duration,
            requests: [{ setupRequest: (r) => ({ ...r, method: 'GET', path: path(), headers: { 'x-forwarded-for': `10.9.${(ip >> 8) & 255}.${ip++ & 255}` } }) }]
          })
          ac.on('response', (_c, _s, _b, ms) => client.recordValue(Math.max(1, Math.round(ms * 1000))))
          return { ac, client }
        }
        await ask({ cmd: 'rebuilding', on: name === 'suggest-rebuilding' })
        if (Number(args.warmup) > 0) await run(Number(args.warmup)).ac
        await ask({ cmd: 'reset' })
        const { ac, client } = run(Number(args.duration))
        const result = await ac
        const stats = await ask({ cmd: 'stats', server })
        if (stats.type !== 'stats') throw new Error('no stats from the bench server')
        const s = stats.server
        const cl = (p: number) => client.getValueAtPercentile(p) / 1000
        rps[`${name}@${c}`] = result.requests.average
        const row = { case: name, connections: c, rps: Math.round(result.requests.average), server: s, client: { p50: cl(50), p95: cl(95), p99: cl(99) }, cpuUs: stats.cpuMs * 1000 / Math.max(1, s.count), non2xx: result.non2xx, rebuilds: stats.rebuilds }
        rows.push(row)
        lines.push(`| ${name} | ${c} | ${row.rps} | ${s.p50.toFixed(2)} / ${s.p95.toFixed(2)} / ${s.p99.toFixed(2)} / ${s.max.toFixed(1)} | ${cl(50).toFixed(2)} / ${cl(95).toFixed(2)} / ${cl(99).toFixed(2)} | ${row.cpuUs.toFixed(0)} | ${result.non2xx} | ${name === 'suggest-rebuilding' ? stats.rebuilds : '—'} |`)
      }
    }
    process.stdout.write(`${lines.join('\n')}\n\n`)
    for (const c of args.connections.split(',').map(Number)) {
      process.stdout.write(`suggest / hello-world requests/s at ${c} connection(s): ${(100 * rps[`suggest@${c}`] / rps[`hello@${c}`]).toFixed(1)} %\n`)
    }
    process.stdout.write(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`)
    if (args.json) writeFileSync(args.json, JSON.stringify({ at: new Date().toISOString(), loadavg: os.loadavg(), index: ready.index, rows }, null, 2))
  } finally {
    child.send({ cmd: 'stop' })
    await once(child, 'exit')
  }
}

if (process.argv.includes('--serve')) {
  serve().catch((err: Error) => { process.send?.({ type: 'error', message: err.message } satisfies Msg); process.exit(1) })
} else {
  main().catch((err: Error) => { process.stderr.write(`bench:suggest: ${err.message}\n`); process.exit(1) })
}
