/**
 * `npm run bench:search` (also the second part of `npm run bench`): catalog
 * search against the seeded database, on the configuration `npm start` runs
 * (rate limiting with a bearer token per request from 1,000 customers, load
 * shedding, profiling, access log), every request a cache miss.
 *
 *   npm run bench:search -- [--duration 10] [--warmup 2] [--connections 32] [--only broad-serial,...] [--profile DIR] [--json FILE]
 *
 * Cases:
 * - broad words, one connection: the 30 words in the most product names,
 *   one request at a time (the search's own service time);
 * - random words with random price filters at 10 connections: a word drawn
 *   from the whole vocabulary, a random min/max price;
 * - the same at `--connections` (throughput);
 * - a bare Fastify hello-world at the same connections, served by the same
 *   process, as the baseline of the run (absolute figures move with the machine).
 *
 * A search result is cached by its query, so each request must be a miss: the
 * broad words vary their letter case and append stop words that count the
 * requests ("black", "Black a", "bLACK of the"), which the search ignores but
 * the cache key does not;
 * the random cases have random prices. The server reports how many requests
 * the cache answered. Server-side times run from the request reaching Node to
 * the response flushed, split into waiting for a pool connection and queries.
 * Reads DATABASE_URL (default: the demo database) and REDIS_URL.
 */
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import * as hdr from 'hdr-histogram-js'
import { autocannon } from './common.js'
import { SERVER_NODE_FLAGS } from '../../scripts/server-node-flags.mjs'
import type { Percentiles, SearchBenchData, SearchServerMessage, SearchServerStats } from './search-server.js'

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
    only: { type: 'string' },
    // Writes a CPU profile of the server process (node --cpu-prof) into this folder.
    profile: { type: 'string' },
    json: { type: 'string' }
  }
})

const STOP_WORDS = ['the', 'a', 'of', 'and', 'for', 'with', 'in', 'on', 'to', 'by', 'at', 'an']
const rnd = (n: number) => Math.floor(Math.random() * n)
const pick = <T>(list: T[]): T => list[rnd(list.length)]

/** The same search under another cache key: random letter case, zero to three stop words after it. */
let variants = 0

/**
 * The word in random letter case, followed by stop words that spell a running count in base 12
 * ("black", "Black a", "bLACK of the"): no two requests of a run share a cache key, so every
 * request is a miss (a random pick of 0–3 stop words repeated a query in about one request of five).
 */
function variant (word: string): string {
  const cased = [...word].map((c) => Math.random() < 0.5 ? c.toUpperCase() : c).join('')
  const stops: string[] = []
  for (let n = variants++; n > 0; n = Math.floor(n / STOP_WORDS.length)) stops.push(STOP_WORDS[n % STOP_WORDS.length])
  return [cased, ...stops].join(' ')
}

/** A random price range: min 0–300.00, width 20–2,000.00, in cents. */
function priceFilter (): string {
  const min = rnd(30_000) / 100
  return `&min_price=${min.toFixed(2)}&max_price=${(min + 20 + rnd(198_000) / 100).toFixed(2)}`
}

type CaseName = 'broad-serial' | 'random-filtered' | 'random-throughput' | 'hello'
interface Case { name: CaseName, label: string, connections: number, server: 'app' | 'hello', path: (d: SearchBenchData) => string }

function cases (throughput: number): Case[] {
  const search = (q: string) => `/api/v1/products/search?q=${encodeURIComponent(q)}`
  return [
    { name: 'broad-serial', label: 'broad single word, one connection', connections: 1, server: 'app', path: (d) => search(variant(pick(d.broadWords))) },
    { name: 'random-filtered', label: 'random word + random price range', connections: 10, server: 'app', path: (d) => search(variant(pick(d.randomWords))) + priceFilter() },
    { name: 'random-throughput', label: 'random word + random price range', connections: throughput, server: 'app', path: (d) => search(variant(pick(d.randomWords))) + priceFilter() },
    { name: 'hello', label: 'hello-world (bare Fastify, baseline)', connections: throughput, server: 'hello', path: () => '/' }
  ]
}

interface Row {
  case: CaseName
  label: string
  connections: number
  rps: number
  ok: number
  client: { p50: number, p95: number, p975: number, p99: number }
  server: Percentiles
  poolWait: Percentiles
  query: Percentiles
  cacheHits: number
  requests: number
  statuses: Record<string, number>
  cpuUs: number
  errors: number
}

async function load (port: number, connections: number, duration: number, path: () => string, token: () => string | undefined) {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000, numberOfSignificantValueDigits: 3 })
  const run = autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration,
    requests: [{
      setupRequest: (r) => {
        const bearer = token()
        const headers: Record<string, string> = bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }
        return { ...r, method: 'GET', path: path(), headers }
      }
    }]
  })
  run.on('response', (_c, _status, _bytes, ms) => { histogram.recordValue(Math.max(1, Math.round(ms))) })
  return { result: await run, histogram }
}

function ask (child: ReturnType<typeof fork>, cmd: 'reset' | 'stats'): Promise<SearchServerMessage> {
  const reply = once(child, 'message') as Promise<[SearchServerMessage]>
  child.send({ cmd })
  return reply.then(([msg]) => msg)
}

async function measure (child: ReturnType<typeof fork>, data: SearchBenchData, c: Case): Promise<Row> {
  const port = data.ports[c.server]
  const token = () => c.server === 'app' ? pick(data.tokens) : undefined
  const duration = Number(args.duration)
  if (Number(args.warmup) > 0) await load(port, c.connections, Number(args.warmup), () => c.path(data), token)
  await ask(child, 'reset')
  const { result, histogram } = await load(port, c.connections, duration, () => c.path(data), token)
  const msg = await ask(child, 'stats')
  if (msg.type !== 'stats') throw new Error('the bench server did not answer with stats')
  const s: SearchServerStats = msg.stats[c.server]
  const ok = s.statuses['200'] ?? 0
  return {
    case: c.name,
    label: c.label,
    connections: c.connections,
    rps: Math.round(s.total.count / duration),
    ok: Math.round(ok / duration),
    client: { p50: histogram.getValueAtPercentile(50), p95: histogram.getValueAtPercentile(95), p975: histogram.getValueAtPercentile(97.5), p99: histogram.getValueAtPercentile(99) },
    server: s.total,
    poolWait: s.poolWait,
    query: s.query,
    cacheHits: s.cacheHits,
    requests: s.total.count,
    statuses: s.statuses,
    cpuUs: s.total.count > 0 ? msg.cpuMs * 1000 / s.total.count : 0,
    errors: result.errors + result.timeouts
  }
}

const f = (n: number) => n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)
const four = (p: { p50: number, p95: number, p975: number, p99: number }) => `${f(p.p50)} / ${f(p.p95)} / ${f(p.p975)} / ${f(p.p99)}`
const statusList = (r: Row) => Object.entries(r.statuses).map(([s, n]) => `${n}×${s}`).join(', ')

function print (rows: Row[]): void {
  const lines = [
    '| case | connections | answers/s (200/s) | client p50 / p95 / p97.5 / p99 ms | server p50 / p95 / p97.5 / p99 ms | pool wait p95 / query p95 ms | CPU µs/req (server process) | cache hits | statuses |',
    '| --- | ---: | ---: | --- | --- | --- | ---: | ---: | --- |',
    ...rows.map((r) => `| ${r.label} | ${r.connections} | ${r.rps} (${r.ok}) | ${four(r.client)} | ${four(r.server)} | ${r.case === 'hello' ? '—' : `${f(r.poolWait.p95)} / ${f(r.query.p95)}`} | ${r.cpuUs.toFixed(0)} | ${r.case === 'hello' ? '—' : `${r.cacheHits} of ${r.requests}`} | ${statusList(r)}${r.errors > 0 ? `; ${r.errors} errors/timeouts` : ''} |`)
  ]
  process.stdout.write(`${lines.join('\n')}\n\n`)
  const row = (name: CaseName) => rows.find((r) => r.case === name)
  const verdict = (ok: boolean) => ok ? 'met' : 'NOT met'
  const broad = row('broad-serial')
  const filtered = row('random-filtered')
  const throughput = row('random-throughput')
  const hello = row('hello')
  if (broad) process.stdout.write(`broad single word, one connection: server p95 ${f(broad.server.p95)} ms (target <= 3 ms: ${verdict(broad.server.p95 <= 3)})\n`)
  if (filtered) process.stdout.write(`random word + price range, 10 connections: server p97.5 ${f(filtered.server.p975)} ms (target <= 25 ms: ${verdict(filtered.server.p975 <= 25)})\n`)
  if (throughput) {
    process.stdout.write(`uncached searches answered 200 per second at ${throughput.connections} connections: ${throughput.ok} (target >= 1,000: ${verdict(throughput.ok >= 1000)})` +
      `${hello ? `; hello-world ${hello.rps}/s in the same run, ratio ${(throughput.ok / hello.rps * 100).toFixed(1)}%` : ''}\n`)
  }
}

async function main (): Promise<void> {
  // The server's stdout carries the shipped access log: discarded, but written.
  const profile = args.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${args.profile}`]
  const child = fork(fileURLToPath(new URL('./search-server.ts', import.meta.url)), [], { execArgv: [...process.execArgv, ...SERVER_NODE_FLAGS, ...profile], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
  try {
    const [first] = await once(child, 'message') as [SearchServerMessage]
    if (first.type !== 'ready') throw new Error(`bench search server failed: ${first.type === 'error' ? first.message : first.type}`)
    const data = first.data
    process.stdout.write(`${os.cpus().length} CPUs, load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${data.products.toLocaleString('en-US')} active products, ` +
      `text index ${data.textIndex}; ${data.tokens.length} customer tokens; broad words e.g. "${data.broadWords.slice(0, 5).join('", "')}"; ` +
      `${data.randomWords.length} random words; ${args.duration} s per case after ${args.warmup} s of warm-up; shipped configuration (rate limiting with the search budget at 12,000/min per user, shedding, profiling, access log)\n\n`)
    const rows: Row[] = []
    const only = args.only?.split(',')
    for (const c of cases(Number(args.connections))) if (only === undefined || only.includes(c.name)) rows.push(await measure(child, data, c))
    print(rows)
    process.stdout.write(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`)
    if (args.json) writeFileSync(args.json, JSON.stringify({ at: new Date().toISOString(), loadavg: os.loadavg(), products: data.products, textIndex: data.textIndex, rows }, null, 2))
  } finally {
    child.send({ cmd: 'stop' })
    await once(child, 'exit')
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench search: ${err.message}\n`)
  process.exit(1)
})
