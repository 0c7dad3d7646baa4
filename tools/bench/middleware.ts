/**
 * Middleware overhead benchmark: requests/s of a cached product
 * detail through the whole middleware chain (access log, Server-Timing,
 * security headers, CORS, compression, load shedding, adaptive rate limiting
 * in Redis) versus the same app with that chain off, measured in one run.
 *
 *   npm run bench:middleware -- [--duration 10] [--rounds 3] [--connections 100] [--users 10000]
 *                               [--only on|off] [--profile DIR]
 *
 * `--profile DIR` runs the server process under `node --cpu-prof` (open the
 * `.cpuprofile` in Chrome DevTools or speedscope); `--only` measures one variant.
 *
 * A child process serves both apps (ports 3300 and 3301, demo database
 * `DATABASE_URL`, a throw-away Redis prefix); this process runs autocannon
 * against them in alternating order, so slow drift of the shared machine
 * hits both equally. Requests carry the bearer token of one of `--users`
 * users (limits are per user, so every request takes the full "allowed"
 * path: token check + the leased limiter) and `Accept-Encoding: gzip,
 * deflate, br` like a browser. The load level is pinned to `low` so the
 * adaptive limit does not shrink while the benchmark saturates the CPU, and
 * the shedding bound is set out of reach (the check still runs on every
 * request): the benchmark measures what the chain costs, not what it refuses.
 * The demo database must hold products (`npm run seed`).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import { buildApp, loadConfig, type Config, deleteKeysUnder } from '../../src/public.js'
import { autocannon, microsHistogram } from './common.js'

const PORTS = { on: 3300, off: 3301 } as const
type Variant = keyof typeof PORTS
const REAL_ROUTE = '/api/v1/products/:id'
const HOT_PRODUCTS = 100
const ACCEPT_ENCODING = 'gzip, deflate, br'

interface Target { route: string, paths: string[], note: string, tokens: string[], bodyBytes: Record<Variant, { raw: number, sent: number, encoding: string }> }
interface RoundResult { variant: Variant, rps: number, p50: number, p95: number, p99: number, non2xx: number, errors: number, cpuUsPerRequest: number, redisCpuUsPerRequest: number, statuses: Record<number, number> }

const { values: args } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '100' },
    users: { type: 'string', default: '10000' },
    only: { type: 'string' },
    profile: { type: 'string' }
  }
})

// ---------------------------------------------------------------- server side (child process)

async function startApp (config: Readonly<Config>): Promise<FastifyInstance> {
  const app = await buildApp(config, { logger: { level: 'info', stream: pino.destination({ dest: '/dev/null', sync: true }) } })
  await app.listen({ port: config.port, host: '127.0.0.1' })
  return app
}

async function chooseTarget (app: FastifyInstance): Promise<Omit<Target, 'tokens' | 'bodyBytes'>> {
  const rows = await app.db.sql<{ id: number }[]>`SELECT id FROM products WHERE is_active ORDER BY id LIMIT ${HOT_PRODUCTS}`
  if (rows.length === 0) throw new Error('no active products in the database: run `npm run seed` first')
  return { route: REAL_ROUTE, paths: rows.map((r) => `/api/v1/products/${r.id}`), note: `catalog route, ${rows.length} hot products` }
}

/** redis-server's own CPU time (µs) from INFO: the GCRA scripts run there, not in Node. */
async function redisCpuUs (app: FastifyInstance): Promise<number> {
  const info = await app.redis.client.info('cpu')
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0)
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1e6
}

async function serve (): Promise<void> {
  const base = loadConfig(process.env, { redisKeyPrefix: `techmart-bench-${process.pid}`, profilingEnabled: false, logLevel: 'info' })
  const apps: Record<Variant, FastifyInstance> = {
    on: await startApp({ ...base, port: PORTS.on, corsOrigins: 'https://shop.example', shedEventLoopDelayMs: 1e9, shedHeapRatio: 1 }),
    off: await startApp({
      ...base,
      port: PORTS.off,
      accessLogEnabled: false,
      serverTimingEnabled: false,
      securityHeadersEnabled: false,
      compressionEnabled: false,
      rateLimitEnabled: false,
      loadSheddingEnabled: false,
      corsOrigins: ''
    })
  }
  apps.on.load.override('low')
  const chosen = await chooseTarget(apps.on)
  const paths = chosen.paths.length > 0 ? chosen.paths : Array.from({ length: HOT_PRODUCTS }, (_, i) => `/api/v1/bench/products/${i + 1}`)
  const tokens = Array.from({ length: Number(args.users) }, (_, i) => apps.on.signAccessToken({ id: 1_000_000 + i, role: 'customer' }))
  const bodyBytes = {} as Target['bodyBytes']
  for (const variant of ['on', 'off'] as const) {
    for (const path of paths) await apps[variant].inject({ method: 'GET', url: path }) // warm L1 and L2
    const plain = await apps[variant].inject({ method: 'GET', url: paths[0] })
    const sent = await apps[variant].inject({ method: 'GET', url: paths[0], headers: { 'accept-encoding': ACCEPT_ENCODING } })
    bodyBytes[variant] = { raw: plain.rawPayload.length, sent: sent.rawPayload.length, encoding: String(sent.headers['content-encoding'] ?? 'identity') }
    if (plain.statusCode !== 200) throw new Error(`${variant}: GET ${paths[0]} answered ${plain.statusCode}: ${plain.body}`)
  }
  process.send!({ ...chosen, paths, tokens, bodyBytes } satisfies Target)
  // 'cpu' → this process's CPU time so far (µs), so the load side can compute CPU per request; 'stop' → clean up.
  for (;;) {
    const [message] = await once(process, 'message') as [string]
    if (message === 'stop') break
    const { user, system } = process.cpuUsage()
    process.send!({ cpuUs: user + system, redisCpuUs: await redisCpuUs(apps.on) })
  }
  // Close the apps first (their last cache writes land), then remove this run's keys.
  const prefix = apps.on.redis.prefix
  const client = apps.on.redis.client.duplicate()
  await client.connect()
  await Promise.all([apps.on.close(), apps.off.close()])
  await deleteKeysUnder(client, prefix)
  await client.quit()
}

// ---------------------------------------------------------------- load side (this process)

/** The server process's CPU time (µs): throughput on a shared machine swings with the neighbours, CPU per request much less. */
async function serverCpuUs (child: ChildProcess): Promise<{ cpuUs: number, redisCpuUs: number }> {
  child.send('cpu')
  const [reply] = await once(child, 'message') as [{ cpuUs: number, redisCpuUs: number }]
  return reply
}

async function run (child: ChildProcess, variant: Variant, target: Target, durationS: number): Promise<RoundResult> {
  const cpuBefore = await serverCpuUs(child)
  const histogram = microsHistogram()
  let n = 0
  const instance = autocannon({
    url: `http://127.0.0.1:${PORTS[variant]}`,
    connections: Number(args.connections),
    duration: durationS,
    requests: [{
      method: 'GET',
      setupRequest: (request) => {
        n++
        request.path = target.paths[n % target.paths.length]
        request.headers = { ...request.headers, authorization: `Bearer ${target.tokens[n % target.tokens.length]}`, 'accept-encoding': ACCEPT_ENCODING }
        return request
      }
    }]
  })
  const statuses: Record<number, number> = {}
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    histogram.recordValue(Math.max(1, Math.round(ms * 1000)))
    statuses[status] = (statuses[status] ?? 0) + 1
  })
  const result = await instance
  const cpuAfter = await serverCpuUs(child)
  const requests = Math.max(1, result.requests.total)
  const cpuUsPerRequest = (cpuAfter.cpuUs - cpuBefore.cpuUs) / requests
  const redisCpuUsPerRequest = (cpuAfter.redisCpuUs - cpuBefore.redisCpuUs) / requests
  const us = (p: number) => histogram.getValueAtPercentile(p) / 1000
  const out = { variant, rps: result.requests.average, p50: us(50), p95: us(95), p99: us(99), non2xx: result.non2xx, errors: result.errors + result.timeouts, cpuUsPerRequest, redisCpuUsPerRequest, statuses }
  histogram.destroy()
  return out
}

function median (values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const fmt = (r: RoundResult) => `${r.variant.padEnd(3)}  ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(2)} ms   p95 ${r.p95.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   server CPU ${r.cpuUsPerRequest.toFixed(0)} µs/req   redis CPU ${r.redisCpuUsPerRequest.toFixed(0)} µs/req   non-2xx ${r.non2xx}${r.non2xx > 0 ? ` ${JSON.stringify(r.statuses)}` : ''}   errors ${r.errors}`

function summarize (results: RoundResult[]): void {
  const by = (v: Variant) => results.filter((r) => r.variant === v)
  const agg = (v: Variant) => {
    const of = (k: 'rps' | 'p50' | 'p95' | 'p99' | 'cpuUsPerRequest' | 'redisCpuUsPerRequest') => median(by(v).map((r) => r[k]))
    return { rps: of('rps'), p50: of('p50'), p95: of('p95'), p99: of('p99'), cpu: of('cpuUsPerRequest'), redis: of('redisCpuUsPerRequest') }
  }
  const on = agg('on')
  const off = agg('off')
  console.log('\nmedian of rounds:')
  for (const [name, a] of [['chain on ', on], ['chain off', off]] as const) {
    console.log(`  ${name}  ${a.rps.toFixed(0)} req/s   p50 ${a.p50.toFixed(2)} ms   p95 ${a.p95.toFixed(2)} ms   p99 ${a.p99.toFixed(2)} ms   server CPU ${a.cpu.toFixed(0)} µs/req   redis CPU ${a.redis.toFixed(0)} µs/req`)
  }
  console.log(`  overhead   ${((1 - on.rps / off.rps) * 100).toFixed(1)} % fewer requests/s with the middleware chain (on/off = ${(on.rps / off.rps).toFixed(3)})`)
  console.log(`             ${((on.cpu / off.cpu - 1) * 100).toFixed(1)} % more server CPU per request (${(on.cpu - off.cpu).toFixed(0)} µs), plus ${(on.redis - off.redis).toFixed(0)} µs of redis-server CPU (shared server: other clients' work is in both)`)
  const bad = results.filter((r) => r.non2xx > 0 || r.errors > 0)
  if (bad.length > 0) console.log(`  WARNING: ${bad.length} round(s) had non-2xx answers or errors: the figures are not comparable`)
}

async function main (): Promise<void> {
  const durationS = Number(args.duration)
  const rounds = Number(args.rounds)
  const profiling = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${args.profile}`] : []
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve', '--users', String(args.users)], { execArgv: [...process.execArgv, ...profiling] })
  const [target] = await Promise.race([once(child, 'message'), once(child, 'exit').then(([code]) => { throw new Error(`server process exited with ${code}`) })]) as [Target]
  console.log(`machine: ${os.availableParallelism()} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (shared with PostgreSQL, Redis and other work)`)
  console.log(`target: GET ${target.route} — ${target.note}`)
  console.log(`body: on ${target.bodyBytes.on.raw} B → ${target.bodyBytes.on.sent} B ${target.bodyBytes.on.encoding}; off ${target.bodyBytes.off.raw} B ${target.bodyBytes.off.encoding}`)
  console.log(`load: ${args.connections} connections, ${args.users} distinct users, ${rounds} rounds × ${durationS} s per variant, alternating order\n`)
  const variants = (round: number): Variant[] => args.only ? [args.only as Variant] : round % 2 === 0 ? ['on', 'off'] : ['off', 'on']
  for (const variant of variants(0)) await run(child, variant, target, Math.min(3, durationS)) // JIT warm-up, not counted
  const results: RoundResult[] = []
  for (let round = 0; round < rounds; round++) {
    for (const variant of variants(round)) {
      const r = await run(child, variant, target, durationS)
      results.push(r)
      console.log(`round ${round + 1}  ${fmt(r)}`)
    }
  }
  if (!args.only) summarize(results)
  console.log(`\nload average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  child.send('stop')
  await once(child, 'exit')
}

if (args.serve) await serve()
else await main()
