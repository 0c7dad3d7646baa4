/**
 * The rate limiter alone, without HTTP: CPU per decision of the per-request
 * GCRA (one Redis script per request, as `exact: true` routes count) against
 * leased budgets (src/lib/rate-limit/lease.ts), on the real Redis.
 *
 *   npm run bench:rate-limit -- [--decisions 200000] [--users 1000] [--batch 20] [--in-flight 100]
 *
 * Each variant makes `--decisions` decisions for `--users` clients in turn,
 * `--in-flight` at a time, against a limit no client reaches, and prints per
 * decision: wall time, this process's CPU time and redis-server's CPU time
 * (from INFO; other clients of the same Redis add to it). CPU per decision
 * moves much less than wall time with the neighbours of a shared machine.
 * Keys go under a throw-away prefix that is removed at the end. Reads REDIS_URL.
 */
import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { loadConfig, defineLeaseCommand, LeasedLimiter, RouteLimiter, deleteKeysUnder } from '../../src/public.js'

const { values: args } = parseArgs({
  options: {
    decisions: { type: 'string', default: '200000' },
    users: { type: 'string', default: '1000' },
    batch: { type: 'string', default: '20' },
    'in-flight': { type: 'string', default: '100' }
  }
})
const DECISIONS = Number(args.decisions)
const USERS = Number(args.users)
const IN_FLIGHT = Number(args['in-flight'])
const LIMIT = 1_000_000_000
const WINDOW_S = 60

async function redisCpuUs (admin: Redis): Promise<number> {
  const info = await admin.info('cpu')
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0)
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1e6
}

/** Runs `DECISIONS` decisions, `IN_FLIGHT` at a time; `decide` calls back when one is made. */
async function measure (name: string, decide: (clientKey: string, done: () => void) => void, admin: Redis): Promise<void> {
  const redisBefore = await redisCpuUs(admin)
  const cpuBefore = process.cpuUsage()
  const started = performance.now()
  await new Promise<void>((resolve) => {
    let sent = 0
    let finished = 0
    const next = (): void => {
      if (sent === DECISIONS) return
      decide(`user:${sent++ % USERS}`, () => {
        if (++finished === DECISIONS) resolve()
        // A decision made synchronously must not grow the stack: the next one starts on a later turn.
        else setImmediate(next)
      })
    }
    for (let i = 0; i < IN_FLIGHT; i++) next()
  })
  const wallMs = performance.now() - started
  const cpu = process.cpuUsage(cpuBefore)
  const redisUs = await redisCpuUs(admin) - redisBefore
  const per = (us: number) => (us / DECISIONS).toFixed(2)
  process.stdout.write(`| ${name} | ${per(wallMs * 1000)} | ${per(cpu.user + cpu.system)} | ${per(redisUs)} |\n`)
}

async function main (): Promise<void> {
  const { redisUrl } = loadConfig(process.env)
  const prefix = `techmart-bench-rl-${process.pid}`
  const client = new Redis(redisUrl, { enableAutoPipelining: true, lazyConnect: true })
  const admin = new Redis(redisUrl, { lazyConnect: true })
  await Promise.all([client.connect(), admin.connect()])
  defineLeaseCommand(client)
  try {
    process.stdout.write(`${DECISIONS} decisions, ${USERS} clients in turn, ${IN_FLIGHT} in flight, lease batch ${args.batch}\n\n` +
      '| limiter | wall µs/decision | Node CPU µs/decision | redis-server CPU µs/decision |\n| --- | ---: | ---: | ---: |\n')
    const perRequest = new RouteLimiter({ client, keyPrefix: `${prefix}:each`, points: LIMIT, durationS: WINDOW_S })
    await measure('per request (GCRA script per decision)', (key, done) => { perRequest.consume(key, LIMIT).then(done, done) }, admin)
    const fallback = new RouteLimiter({ client, keyPrefix: `${prefix}:leased`, points: LIMIT, durationS: WINDOW_S })
    const leased = new LeasedLimiter({
      client,
      keyPrefix: `${prefix}:leased`,
      durationS: WINDOW_S,
      maxBatch: Number(args.batch),
      countEach: (key, limit, redis) => fallback.consume(key, limit, redis)
    })
    await measure(`leased (batch ${args.batch})`, (key, done) => leased.consume(key, LIMIT, () => done()), admin)
    const s = leased.stats()
    process.stdout.write(`\nleased: ${s.local} decisions in process, ${s.redisCalls} lease calls, ${s.perRequest} counted one by one\n`)
  } finally {
    await deleteKeysUnder(admin, prefix)
    client.disconnect()
    admin.disconnect()
  }
}

main().catch((err: Error) => {
  process.stderr.write(`bench-rate-limit: ${err.message}\n`)
  process.exit(1)
})
