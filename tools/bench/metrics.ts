/**
 * Overhead of the metrics plugin: server CPU time per request of a
 * tiny JSON route on a bare Fastify app versus the same app with the metrics
 * plugin (prom-client histogram and default metrics, in-flight gauge, HDR
 * rolling windows per route, the once-a-second sampler), at the same fixed
 * request rate, measured in one run.
 *
 *   npm run bench:metrics -- [--duration 5] [--rounds 3] [--rate 5000] [--connections 20]
 *
 * A child process per app (ports 3401 = plain, 3402 = metrics) counts its own
 * CPU time (process.cpuUsage) and requests served; this process drives both
 * with autocannon at `--rate` requests/s in alternating order, so drift of
 * the shared machine hits both equally. CPU per request at a fixed rate is
 * used rather than peak throughput because on a 2-core machine the load
 * generator competes with the server for the CPU. PostgreSQL and Redis are not
 * involved: the plugin's `db` and `redis` dependencies are stand-ins (the
 * pool monitor reads zero, probes answer up). Because a busy shared machine
 * makes the throughput comparison noisy, it also times the hooks' own work
 * (what onRequest + onResponse do per request) in a tight loop.
 */
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import Fastify, { type FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { requestTimingsPlugin, metricsPlugin, MetricsCollector, createPromMetrics } from '../../src/public.js'

interface AutocannonResult { requests: { average: number, total: number }, latency: { p50: number, p99: number }, non2xx: number, errors: number }
type Autocannon = (opts: { url: string, connections: number, duration: number, overallRate: number }) => PromiseLike<AutocannonResult>
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon

const PORTS = { plain: 3401, metrics: 3402 } as const
type Variant = keyof typeof PORTS

const { values: args } = parseArgs({
  options: {
    serve: { type: 'string' },
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '5000' },
    connections: { type: 'string', default: '20' }
  }
})

const fakeDb = fp(async (app) => {
  app.decorate('db', {
    pool: { stats: () => ({ size: 10, inUse: 0, free: 10, waiting: 0, reserved: 0, pending: 0 }), takePeaks: () => ({ inUse: 0, waiting: 0 }) },
    ping: async () => true
  } as never)
}, { name: 'db' })
const fakeRedis = fp(async (app) => {
  app.decorate('redis', { isReady: () => true, client: { ping: async () => 'PONG' } } as never)
}, { name: 'redis' })

async function serve (variant: Variant): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  await app.register(requestTimingsPlugin)
  if (variant === 'metrics') {
    await app.register(fakeDb)
    await app.register(fakeRedis)
    await app.register(metricsPlugin, { version: 'bench' })
  }
  // CPU time and requests since the previous read (the read itself is excluded).
  let served = 0
  let since = process.cpuUsage()
  app.addHook('onResponse', (_request, _reply, done) => { served++; done() })
  app.get('/cpu', async () => {
    const used = process.cpuUsage(since)
    const result = { us: used.user + used.system, requests: served }
    served = -1
    since = process.cpuUsage()
    return result
  })
  app.get('/api/v1/products/:id', async (request) => ({ id: Number((request.params as { id: string }).id), name: 'Bench product', price: 19.99 }))
  await app.listen({ port: PORTS[variant], host: '127.0.0.1' })
  return app
}

async function cpu (variant: Variant): Promise<{ us: number, requests: number }> {
  return await (await fetch(`http://127.0.0.1:${PORTS[variant]}/cpu`)).json() as { us: number, requests: number }
}

/** Microseconds of hook work per request: the in-process windows plus the prom-client histogram. */
function hookMicros (): number {
  const collector = new MetricsCollector({ poolSize: 10 })
  const pool = { stats: () => ({ size: 10, inUse: 0, free: 10, waiting: 0, reserved: 0, pending: 0 }), takePeaks: () => ({ inUse: 0, waiting: 0 }) }
  const prom = createPromMetrics({ collector, pool, instanceId: 'bench', version: 'bench' })
  const routes = ['/api/v1/products/:id', '/api/v1/products', '/api/v1/products/search', '/api/v1/cart', '/api/v1/orders']
  // As the plugin does: labelled children cached per (method, route, status).
  const children = new Map<string, ReturnType<typeof prom.httpDuration.labels>>()
  const run = (n: number) => {
    for (let i = 0; i < n; i++) {
      const route = routes[i % routes.length]
      const status = i % 50 === 0 ? 500 : 200
      collector.inFlight++
      collector.inFlight--
      collector.recordHttp(`GET ${route}`, 0.5 + (i % 100) / 10, status, 0.2, 0.1)
      const key = `GET ${route} ${status}`
      let child = children.get(key)
      if (!child) children.set(key, (child = prom.httpDuration.labels({ method: 'GET', route, status_code: status })))
      child.observe(0.001)
    }
  }
  run(50_000)
  const n = 500_000
  const started = process.hrtime.bigint()
  run(n)
  return Number(process.hrtime.bigint() - started) / 1000 / n
}

async function main (): Promise<void> {
  if (args.serve) {
    await serve(args.serve as Variant)
    process.send?.('ready')
    return
  }
  const children = (Object.keys(PORTS) as Variant[]).map((v) => fork(fileURLToPath(import.meta.url), ['--serve', v], { execArgv: ['--import', 'tsx'], stdio: 'inherit' }))
  await Promise.all(children.map((c) => once(c, 'message')))
  const perRequest: Record<Variant, number[]> = { plain: [], metrics: [] }
  try {
    for (let round = 0; round < Number(args.rounds); round++) {
      const order: Variant[] = round % 2 === 0 ? ['plain', 'metrics'] : ['metrics', 'plain']
      for (const variant of order) {
        await cpu(variant)
        const r = await autocannon({ url: `http://127.0.0.1:${PORTS[variant]}/api/v1/products/1`, connections: Number(args.connections), duration: Number(args.duration), overallRate: Number(args.rate) })
        const used = await cpu(variant)
        const us = used.us / Math.max(1, used.requests)
        perRequest[variant].push(us)
        process.stdout.write(`round ${round + 1} ${variant.padEnd(7)} ${Math.round(r.requests.average)} req/s  ${us.toFixed(1)} µs CPU/request  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  non2xx ${r.non2xx} errors ${r.errors}\n`)
      }
    }
  } finally {
    for (const c of children) c.kill()
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const plain = median(perRequest.plain)
  const metrics = median(perRequest.metrics)
  process.stdout.write(`\nmedian CPU per request: plain ${plain.toFixed(1)} µs, with metrics ${metrics.toFixed(1)} µs (+${(metrics - plain).toFixed(1)} µs, +${((metrics / plain - 1) * 100).toFixed(0)}%) at ${args.rate} req/s\n`)
  process.stdout.write(`hook work measured in a loop: ${hookMicros().toFixed(2)} µs per request (onRequest + onResponse: windows + prom histogram)\n`)
  process.stdout.write(`machine: ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (shared with the database, Redis and other work)\n`)
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`)
  process.exit(1)
})
