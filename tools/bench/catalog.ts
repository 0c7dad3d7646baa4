/**
 * `npm run bench:catalog` (the first half of `npm run bench`): catalog and cache throughput against the seeded database.
 *
 *   npm run bench:catalog -- [--duration 10] [--warmup 3] [--connections 100,1000] [--rounds 1] [--only hello,cached-detail,...]
 *                            [--users 1000] [--budget 12000] [--pool-sizes 4,20] [--build] [--profile DIR] [--json FILE]
 *
 * A child process (tools/bench/catalog-servers.ts) serves, in the same run, a bare
 * Fastify hello-world, the app with its cache, and the app with
 * CACHE_ENABLED=false, both apps in the configuration `npm start` runs (rate
 * limiting, access log, load shedding, profiling on); this process only
 * generates load (autocannon in the same event loop as the server would
 * measure itself). Every request carries the access token of one of `--users`
 * users in turn (1,000 by default: the logged-in shoppers of a promotion
 * peak, each seen many times in a run as in a long-running server; with far
 * more users than a short run can revisit, most requests are a user's first:
 * a token to verify and a lease to take), so the limiter counts each request
 * against a user's budget; `--budget` sizes that budget (points a minute on
 * the benchmarked routes, through RATE_LIMIT_ROUTES) so that the benchmark is
 * not refused: a closed loop sends each of 1,000 users several requests a
 * second, and a saturated process reaches the critical load level, where
 * limits are cut to a tenth. The
 * `cached-detail-stripped` case is an extra row: the same cached detail on an
 * app with rate limiting, shedding, profiling and logging off; `cached-detail-floor`
 * another: bare Fastify sending the headers and body the shipped app sent for
 * one cached product, with no hook and no lookup, so the response's own cost
 * (written by the server, parsed by the load generator) is told apart from
 * the app's work. For each case and
 * connection count it prints requests/s and latency p50/p95/p99 seen by the
 * client and by the server (request in to response flushed, which includes
 * time queued inside the server), then where the server's time went: per
 * request, the time its queries waited for a pool connection and the time
 * they ran; and the CPU time per request of the server process and of this
 * load generator (on a shared machine requests/s swing with the neighbours,
 * CPU per request much less). Then the ratio of cached detail to hello-world
 * requests/s at the highest connection count. With `--pool-sizes` the cache-off cases run once
 * per database pool size (one app each, in the same rounds), so pool sizes
 * are compared under the same machine load; otherwise the app's pool is
 * DATABASE_POOL_MAX. With `--build` the servers run the compiled app
 * (dist/, `npm run build` first) as `npm start` does; by default they run
 * the TypeScript sources through tsx, whose transform adds work per call
 * (esbuild names every closure it creates). With `--rounds N` every case runs N times (odd rounds in
 * reverse order, so the drift of a shared machine hits all cases alike) and
 * the tables show medians. Reads DATABASE_URL (default: the demo database)
 * and REDIS_URL; keys go under a throw-away prefix that is removed at the end.
 */
import { fork, type StdioOptions } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, openSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import * as hdr from 'hdr-histogram-js'
import { autocannon, BENCH_ROUTES } from './common.js'
import { SERVER_NODE_FLAGS } from '../../scripts/server-node-flags.mjs'
import type { BenchData, Percentiles, ServerMessage, ServerName } from './catalog-servers.js'

/** Which app serves a case: the bare hello-world, the app with its cache, the same stripped of traffic control and logging, or the app without cache (one per pool size). */
type ServerKind = 'hello' | 'cached' | 'stripped' | 'floor' | 'uncached'

const CASES = {
  hello: { server: 'hello', label: 'hello-world (bare Fastify)' },
  'cached-detail': { server: 'cached', label: 'cached product detail' },
  // Extra row, not the headline: what the shipped middleware costs on the same route.
  'cached-detail-stripped': { server: 'stripped', label: 'cached product detail, STRIPPED app (no rate limit, shedding, profiling, log)' },
  // Extra row: the same response's headers and body from bare Fastify, what writing and reading it costs.
  'cached-detail-floor': { server: 'floor', label: 'cached product detail\'s response from bare Fastify (no app)' },
  'cached-search': { server: 'cached', label: 'cached search' },
  'uncached-search': { server: 'uncached', label: 'uncached search (cache off)' },
  'uncached-detail': { server: 'uncached', label: 'uncached product detail (cache off)' },
  // One request at a time: the search's own service time, without queueing behind other requests.
  'uncached-search-serial': { server: 'uncached', label: 'uncached search, one connection (service time)' }
} as const satisfies Record<string, { server: ServerKind, label: string }>
type CaseName = keyof typeof CASES

interface Row {
  case: CaseName
  connections: number
  /** Database pool size of the app that served the case (none for hello-world). */
  pool?: number
  rps: number
  /** Successful (2xx) requests/s: a shed or refused answer is cheap and must not count as throughput. */
  okRps: number
  client: { p50: number, p95: number, p99: number }
  /** Server side, ms: request in to response flushed. */
  server: Percentiles
  /** Server side, ms per request: waiting for a pool connection, and the queries' own time. */
  poolWait: Percentiles
  query: Percentiles
  /** Share of the case's requests that made a query. */
  dbShare: number
  /** CPU time per request (µs) of the server process and of this load generator. */
  cpu: { server: number, client: number }
  non2xx: number
  errors: number
  timeouts: number
  /** Count of each non-2xx status. */
  statuses: Record<string, number>
  /** Rate limiter: lease calls to Redis per 1,000 requests (undefined where rate limiting is off). */
  redisCallsPer1k?: number
  /** Highest load level the app was at during the case. */
  highestLevel?: string
}

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '100,1000' },
    rounds: { type: 'string', default: '1' },
    only: { type: 'string', default: Object.keys(CASES).join(',') },
    // Distinct users whose tokens the requests carry in turn, and their per-minute budget on the benchmarked routes.
    users: { type: 'string', default: '1000' },
    budget: { type: 'string', default: '12000' },
    'pool-sizes': { type: 'string', default: '' },
    // Serve the compiled app (dist/, from `npm run build`), as `npm start` runs it, instead of the sources through tsx.
    build: { type: 'boolean', default: false },
    // Writes a CPU profile of the server process (node --cpu-prof) into this folder.
    profile: { type: 'string' },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h' }
  }
})

const USAGE = `npm run bench:catalog -- [--duration 10] [--warmup 3] [--connections 100,1000] [--rounds 1]
  [--only ${Object.keys(CASES).join(',')}]
  [--users 1000] [--budget 12000] [--pool-sizes 4,20] [--build] [--profile DIR] [--json FILE]
--build serves the compiled app (dist/tools/bench/catalog-servers.js, npm run build first); see docs/PERFORMANCE.md
`

const pick = <T>(list: T[]): T => list[Math.floor(Math.random() * list.length)]

function pathsFor (name: CaseName, data: BenchData): () => string {
  switch (name) {
    case 'hello': return () => '/'
    case 'cached-detail':
    case 'cached-detail-stripped':
    case 'cached-detail-floor': return () => `/api/v1/products/${pick(data.hotIds)}`
    case 'uncached-detail': return () => `/api/v1/products/${pick(data.sampleIds)}`
    case 'cached-search':
    case 'uncached-search':
    case 'uncached-search-serial': return () => `/api/v1/products/search?q=${encodeURIComponent(pick(data.queries))}`
  }
}

/** The benchmark users' `Authorization` headers, one per request in turn (every case sends one, hello-world included). */
function tokenRing (authorizations: string[]): () => Record<string, string> {
  let next = 0
  const headers = authorizations.map((authorization) => ({ authorization }))
  return () => headers[next++ % headers.length]
}

async function load (port: number, connections: number, duration: number, nextPath: () => string, nextHeaders: () => Record<string, string>) {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000, numberOfSignificantValueDigits: 3 })
  const run = autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration,
    requests: [{ setupRequest: (r) => ({ ...r, method: 'GET', path: nextPath(), headers: { ...r.headers, ...nextHeaders() } }) }]
  })
  const statuses: Record<string, number> = {}
  run.on('response', (_client, status, _bytes, ms) => {
    histogram.recordValue(Math.max(1, Math.round(ms)))
    if (status >= 300) statuses[status] = (statuses[status] ?? 0) + 1
  })
  const result = await run
  return { result, histogram, statuses }
}

function ask (child: ReturnType<typeof fork>, cmd: 'reset' | 'stats' | 'settle'): Promise<ServerMessage> {
  const reply = once(child, 'message') as Promise<[ServerMessage]>
  child.send({ cmd })
  return reply.then(([msg]) => msg)
}

const WARM_ATTEMPTS = 10

/**
 * Warms the cache with every hot detail and query, one request each, as the
 * benchmark users. Shedding is on: a request shed while the app is still busy
 * starting (503) is sent again after its Retry-After.
 */
async function warm (port: number, data: BenchData): Promise<void> {
  const paths = [...data.hotIds.map((id) => `/api/v1/products/${id}`), ...data.queries.map((q) => `/api/v1/products/search?q=${encodeURIComponent(q)}`)]
  const headers = tokenRing(data.authorizations)
  for (let i = 0; i < paths.length; i += 50) {
    await Promise.all(paths.slice(i, i + 50).map(async (p) => {
      for (let attempt = 1; ; attempt++) {
        const res = await fetch(`http://127.0.0.1:${port}${p}`, { headers: headers() })
        await res.arrayBuffer()
        if (res.status === 200) return
        if (res.status !== 503 || attempt === WARM_ATTEMPTS) throw new Error(`warm-up ${p} answered ${res.status}`)
        await sleep(Number(res.headers.get('retry-after') ?? 1) * 1000)
      }
    }))
  }
}

/** Automatic CPU profiles the shipped apps captured so far (their profiler is on). */
let profilesCaptured = 0

async function measure (child: ReturnType<typeof fork>, data: BenchData, name: CaseName, connections: number, server: ServerName): Promise<Row> {
  const port = data.ports[server]
  const next = pathsFor(name, data)
  const headers = tokenRing(data.authorizations)
  // Every case starts with nothing shed, whatever the previous case did to the shared event loop.
  const settled = await ask(child, 'settle')
  if (settled.type === 'error') throw new Error(settled.message)
  if (Number(args.warmup) > 0) await load(port, Math.min(connections, 100), Number(args.warmup), next, headers)
  await ask(child, 'reset')
  const clientCpu = process.cpuUsage()
  const { result, histogram, statuses } = await load(port, connections, Number(args.duration), next, headers)
  const clientCpuMs = (({ user, system }) => (user + system) / 1000)(process.cpuUsage(clientCpu))
  const stats = await ask(child, 'stats')
  if (stats.type !== 'stats') throw new Error('the bench server did not answer with stats')
  profilesCaptured = stats.profiles
  const s = stats.stats[server]
  const perRequestUs = (ms: number) => s.total.count > 0 ? ms * 1000 / s.total.count : 0
  return {
    case: name,
    connections,
    pool: data.poolSizes[server],
    rps: Math.round(result.requests.average),
    okRps: result.requests.total > 0 ? Math.round(result.requests.average * (1 - result.non2xx / result.requests.total)) : 0,
    client: { p50: histogram.getValueAtPercentile(50), p95: histogram.getValueAtPercentile(95), p99: histogram.getValueAtPercentile(99) },
    server: { p50: s.total.p50, p95: s.total.p95, p99: s.total.p99, mean: s.total.mean },
    poolWait: s.poolWait,
    query: s.query,
    dbShare: s.total.count > 0 ? s.dbRequests / s.total.count : 0,
    cpu: { server: perRequestUs(stats.cpuMs), client: perRequestUs(clientCpuMs) },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
    redisCallsPer1k: s.limiter && s.total.count > 0 ? s.limiter.redisCalls * 1000 / s.total.count : undefined,
    highestLevel: s.loadLevel?.highest
  }
}

/** The servers a case runs on: the cache-off cases once per pool size. */
function serversFor (name: CaseName, data: BenchData): ServerName[] {
  const kind = CASES[name].server
  if (kind !== 'uncached') return [kind]
  return (Object.keys(data.ports) as ServerName[]).filter((s) => s.startsWith('uncached-'))
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]

/** Field by field medians of objects of numbers. */
function medians<T extends object> (xs: T[]): T {
  return Object.fromEntries(Object.keys(xs[0]).map((k) => [k, median(xs.map((x) => (x as Record<string, number>)[k]))])) as T
}

const sameRow = (a: Row, b: Row): boolean => a.case === b.case && a.connections === b.connections && a.pool === b.pool

/** One row per case, connection count and pool size: medians over the rounds, errors summed. */
function combine (rounds: Row[][]): Row[] {
  return rounds[0].map((first) => {
    const same = rounds.map((r) => r.find((x) => sameRow(x, first))!)
    const statuses: Record<string, number> = {}
    for (const r of same) for (const [k, n] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + n
    const sum = (pick: (r: Row) => number) => same.reduce((acc, r) => acc + pick(r), 0)
    return {
      case: first.case,
      connections: first.connections,
      pool: first.pool,
      rps: median(same.map((r) => r.rps)),
      okRps: median(same.map((r) => r.okRps)),
      client: medians(same.map((r) => r.client)),
      server: medians(same.map((r) => r.server)),
      poolWait: medians(same.map((r) => r.poolWait)),
      query: medians(same.map((r) => r.query)),
      dbShare: median(same.map((r) => r.dbShare)),
      cpu: medians(same.map((r) => r.cpu)),
      non2xx: sum((r) => r.non2xx),
      errors: sum((r) => r.errors),
      timeouts: sum((r) => r.timeouts),
      statuses,
      redisCallsPer1k: first.redisCallsPer1k === undefined ? undefined : median(same.map((r) => r.redisCallsPer1k ?? 0)),
      highestLevel: same.map((r) => r.highestLevel).reduce((a, b) => (LEVELS.indexOf(b ?? '') > LEVELS.indexOf(a ?? '') ? b : a))
    }
  })
}

const LEVELS = ['low', 'medium', 'high', 'critical']

function nonOk (r: Row): string {
  const parts = Object.entries(r.statuses).map(([status, n]) => `${n}×${status}`)
  return parts.length > 0 ? ` (${parts.join(', ')})` : ''
}

const f = (n: number) => n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)
const three = (p: { p50: number, p95: number, p99: number }) => `${f(p.p50)} / ${f(p.p95)} / ${f(p.p99)}`

function label (r: Row, pools: number): string {
  return pools > 1 && CASES[r.case].server === 'uncached' ? `${CASES[r.case].label}, pool ${r.pool}` : CASES[r.case].label
}

function printTables (rows: Row[], pools: number): void {
  const lines = [
    '| case | connections | req/s | 2xx req/s | client p50 / p95 / p99 ms | server p50 / p95 / p99 ms | CPU µs/req server / client | non-2xx | errors / timeouts |',
    '| --- | ---: | ---: | ---: | --- | --- | --- | ---: | ---: |',
    ...rows.map((r) => `| ${label(r, pools)} | ${r.connections} | ${r.rps} | ${r.okRps} | ${three(r.client)} | ${three(r.server)} | ${r.cpu.server.toFixed(0)} / ${r.cpu.client.toFixed(0)} | ${r.non2xx}${nonOk(r)} | ${r.errors} / ${r.timeouts} |`),
    '',
    'Server side, per request (ms): total = waiting for a pool connection + queries running + the rest (cache, handler, hooks, writing)',
    '',
    '| case | connections | pool | server total p50 / p95 / p99 (mean) | pool wait p50 / p95 / p99 (mean) | query p50 / p95 / p99 (mean) | requests with a query |',
    '| --- | ---: | ---: | --- | --- | --- | ---: |',
    ...rows.map((r) => `| ${label(r, pools)} | ${r.connections} | ${r.pool ?? '—'} | ${three(r.server)} (${f(r.server.mean)}) | ${three(r.poolWait)} (${f(r.poolWait.mean)}) | ${three(r.query)} (${f(r.query.mean)}) | ${(r.dbShare * 100).toFixed(0)} % |`),
    '',
    'Traffic control (apps with rate limiting): highest load level during the case, lease calls to Redis per 1,000 requests, refusals',
    '',
    '| case | connections | highest load level | Redis calls / 1,000 req | 429 | 503 |',
    '| --- | ---: | --- | ---: | ---: | ---: |',
    ...rows.filter((r) => r.redisCallsPer1k !== undefined).map((r) =>
      `| ${label(r, pools)} | ${r.connections} | ${r.highestLevel ?? '—'} | ${r.redisCallsPer1k!.toFixed(1)} | ${r.statuses['429'] ?? 0} | ${r.statuses['503'] ?? 0} |`)
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
}

/**
 * Cached detail against hello-world at the highest connection count, in
 * successful (2xx) requests/s: a shed (503) or refused (429) answer costs
 * the server almost nothing and is no throughput. With
 * several rounds the ratio is the median of each round's own ratio (the two
 * cases ran seconds apart, under the same neighbours), not the ratio of the
 * two medians, which may come from different rounds.
 */
function printVerdicts (rows: Row[], rounds: Row[][], connections: number[]): void {
  const top = Math.max(...connections)
  const at = (list: Row[], name: CaseName) => list.find((r) => r.case === name && r.connections === top)
  const hello = at(rows, 'hello')
  const detail = at(rows, 'cached-detail')
  if (hello && detail) {
    const ratios = rounds.map((r) => at(r, 'cached-detail')!.okRps / at(r, 'hello')!.okRps)
    const ratio = median(ratios)
    const each = ratios.length > 1 ? `, median of the rounds' ratios (${ratios.map((x) => (x * 100).toFixed(1)).join(', ')})` : ''
    const refused = (detail.statuses['429'] ?? 0) + (detail.statuses['503'] ?? 0)
    process.stdout.write(`\ncached detail (shipped configuration) / hello-world at ${top} connections: ${(ratio * 100).toFixed(1)}%${each} (target >= 50%: ${ratio >= 0.5 ? 'met' : 'NOT met'}); ` +
      `median 2xx req/s ${detail.okRps} / ${hello.okRps}; server CPU per request ${detail.cpu.server.toFixed(0)} / ${hello.cpu.server.toFixed(0)} µs, load generator ${detail.cpu.client.toFixed(0)} / ${hello.cpu.client.toFixed(0)} µs` +
      `${refused > 0 ? `; WARNING: ${refused} of the detail answers were 429/503 (not counted)` : ''}\n`)
    const stripped = at(rows, 'cached-detail-stripped')
    if (stripped) {
      const strippedRatio = median(rounds.map((r) => at(r, 'cached-detail-stripped')!.okRps / at(r, 'hello')!.okRps))
      process.stdout.write(`extra row: cached detail on the STRIPPED app / hello-world: ${(strippedRatio * 100).toFixed(1)}% (${stripped.okRps} 2xx req/s); shipped / stripped: ${(ratio / strippedRatio * 100).toFixed(1)}%\n`)
    }
    const floor = at(rows, 'cached-detail-floor')
    if (floor) {
      const floorRatio = median(rounds.map((r) => at(r, 'cached-detail-floor')!.okRps / at(r, 'hello')!.okRps))
      process.stdout.write(`extra row: the same response from bare Fastify / hello-world: ${(floorRatio * 100).toFixed(1)}% (${floor.okRps} 2xx req/s, server CPU ${floor.cpu.server.toFixed(0)} µs, load generator ${floor.cpu.client.toFixed(0)} µs per request); shipped / floor: ${(ratio / floorRatio * 100).toFixed(1)}%\n`)
    }
  }
  for (const search of rows.filter((r) => r.case === 'uncached-search' && r.connections === 100)) {
    process.stdout.write(`uncached search at 100 connections, pool ${search.pool}: ${search.rps} req/s; server-side p95 ${search.server.p95.toFixed(1)} ms (target < 20 ms: ${search.server.p95 < 20 ? 'met' : 'NOT met'}), ` +
      `of which per request p95 ${search.poolWait.p95.toFixed(1)} ms waiting for a pool connection and p95 ${search.query.p95.toFixed(1)} ms in queries\n`)
  }
  for (const serial of rows.filter((r) => r.case === 'uncached-search-serial')) {
    process.stdout.write(`uncached search service time p95 (one connection, pool ${serial.pool}): ${serial.server.p95.toFixed(1)} ms (target < 20 ms: ${serial.server.p95 < 20 ? 'met' : 'NOT met'})\n`)
  }
}

/** dist/tools/bench/catalog-servers.js, checked to be no older than its source. */
function compiledServers (): string {
  const source = fileURLToPath(new URL('./catalog-servers.ts', import.meta.url))
  const compiled = fileURLToPath(new URL('../../dist/tools/bench/catalog-servers.js', import.meta.url))
  if (!existsSync(compiled) || statSync(compiled).mtimeMs < statSync(source).mtimeMs) throw new Error(`${compiled} is missing or older than its source: npm run build first`)
  return compiled
}

async function main (): Promise<void> {
  const connections = args.connections.split(',').map(Number).filter((n) => n > 0)
  const only = args.only.split(',') as CaseName[]
  for (const name of only) if (!(name in CASES)) throw new Error(`unknown case '${name}'; cases: ${Object.keys(CASES).join(', ')}`)
  const serverArgs = [
    ...(args['pool-sizes'] === '' ? [] : ['--pool-sizes', args['pool-sizes']]),
    '--users', args.users, '--budget', args.budget,
    ...(only.some((name) => CASES[name].server === 'stripped') ? ['--stripped'] : []),
    ...(only.some((name) => CASES[name].server === 'floor') ? ['--floor'] : [])
  ]
  const profile = args.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${args.profile}`]
  // The apps log as shipped (access log at info, to standard output): here into /dev/null.
  const stdio: StdioOptions = ['ignore', openSync('/dev/null', 'w'), 'inherit', 'ipc']
  const child = args.build
    ? fork(compiledServers(), serverArgs, { execArgv: [...SERVER_NODE_FLAGS, ...profile], stdio })
    : fork(fileURLToPath(new URL('./catalog-servers.ts', import.meta.url)), serverArgs, { execArgv: [...process.execArgv, ...SERVER_NODE_FLAGS, ...profile], stdio })
  try {
    const [first] = await once(child, 'message') as [ServerMessage]
    if (first.type !== 'ready') throw new Error(`bench server failed: ${first.type === 'error' ? first.message : first.type}`)
    const data = first.data
    const pools = Object.keys(data.ports).filter((s) => s.startsWith('uncached-')).length
    const poolList = Object.entries(data.poolSizes).map(([server, size]) => `${server} ${size}`).join(', ')
    process.stdout.write(`${os.cpus().length} CPUs, load average before: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${data.hotIds.length} hot products, ${data.queries.length} queries (e.g. "${data.queries.slice(0, 3).join('", "')}"), ${args.duration} s per run; database pool per app: ${poolList}\n` +
      `apps in the shipped configuration (${args.build ? 'compiled, as npm start runs it' : 'sources through tsx; --build for the compiled app'}): rate limiting on, ${data.authorizations.length} users' tokens in turn, ` +
      `budget ${data.budget}/min per user on ${BENCH_ROUTES.join(' and ')} (RATE_LIMIT_ROUTES), lease batch ${data.leaseBatch}; access log at info (to /dev/null); load shedding on; profiling on\n\n`)
    await warm(data.ports.cached, data)
    if (data.ports.stripped !== undefined) await warm(data.ports.stripped, data)
    const rounds: Row[][] = []
    for (let round = 0; round < Number(args.rounds); round++) {
      const rows: Row[] = []
      for (const name of round % 2 === 0 ? only : [...only].reverse()) {
        for (const server of serversFor(name, data)) {
          for (const c of name === 'uncached-search-serial' ? [1] : connections) rows.push(await measure(child, data, name, c, server))
        }
      }
      rounds.push(rows)
    }
    const rows = combine(rounds)
    if (rounds.length > 1) process.stdout.write(`medians of ${rounds.length} rounds\n\n`)
    printTables(rows, pools)
    printVerdicts(rows, rounds, connections)
    process.stdout.write(`automatic CPU profiles captured by the apps during the run: ${profilesCaptured}\n`)
    process.stdout.write(`load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`)
    if (args.json) writeFileSync(args.json, JSON.stringify({ at: new Date().toISOString(), loadavg: os.loadavg(), poolSizes: data.poolSizes, rows, rounds }, null, 2))
  } finally {
    child.send({ cmd: 'stop' })
    await once(child, 'exit')
  }
}

if (args.help) {
  process.stdout.write(USAGE)
} else {
  main().catch((err: Error) => {
    process.stderr.write(`bench: ${err.message}\n`)
    process.exit(1)
  })
}
