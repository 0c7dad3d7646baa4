import { parseArgs } from 'node:util'
import type { Config } from '../../src/public.js'
import { DEFAULT_CURVE_RATES, DEFAULT_STEP_S, parseRates, type CurveOptions } from './curve.js'
import { DEFAULT_FLOOD_CONNECTIONS } from './flood.js'
import { JOURNEY_NAMES } from './journeys.js'
import type { LoadTestOptions } from './options.js'
import { DEFAULT_TARGETS, type Targets } from './report.js'
import { parseMix, SCENARIO_NAMES, SCENARIOS, type ScenarioName } from './scenarios.js'

/** Flag parsing for `npm run loadtest -- ...`; defaults come from the same config the server reads. */

export const USAGE = `Usage: npm run loadtest -- [flags]

  --scenario NAME        ${SCENARIO_NAMES.join(' | ')} (default mixed)
  --users N              virtual users, each its own account and token (default 1000)
  --duration S           measured seconds (default 60)
  --warmup S             unmeasured seconds before, the rate ramping up (default 30)
  --rate R               open model: requests/s scheduled (default users x 1.2)
  --model open|closed    open: fixed arrival schedule (default); closed: loop with think time, for capacity
  --think-ms MS          closed model think time (default 0)
  --arrival poisson|uniform   gaps of the open schedule (default poisson)
  --seed N               reproducible journeys, ids and words (default 1)
  --zipf S               popularity skew of products/categories/words, 0 = uniform (default 1)
  --mix a=30,b=20        journey weights (${JOURNEY_NAMES.join(', ')})
  --stock K              flash-sale units (default users / 20)
  --base-url URL         server under test (default http://127.0.0.1:$PORT)
  --database-url URL     its database (default $DATABASE_URL)
  --auth mint|login      mint tokens with $JWT_SECRET (default) or log in through the API (cached)
  --login-via-api        same as --auth login
  --connections N        keep-alive sockets (default 256)
  --timeout-ms MS        per request (default 10000)
  --max-lag-ms MS        drop requests this late (default = timeout)
  --accept-encoding V    (default gzip)
  --workers N            server workers behind the URL; /metrics of each is read (default $WEB_CONCURRENCY)
  --out PREFIX           report path without extension (default .data/loadtest/<scenario>-<time>)
  --curve                capacity curve: offer each --curve-rates rate for --step-seconds (open model), one run;
                         per-step p50/p95/p99, successful req/s, 429s and 503s, and a chart (<out>.svg)
  --curve-rates R1,R2    (default ${DEFAULT_CURVE_RATES.join(',')})
  --step-seconds S       seconds per step (default ${DEFAULT_STEP_S}); --duration is ignored with --curve
  --flood PATH           beside the journeys, a separate autocannon keeps hammering PATH (e.g. /openapi.json)
  --flood-connections N  its connections (default ${DEFAULT_FLOOD_CONNECTIONS})
  --target-p95-ms, --target-error-rate, --target-rps, --target-cache-hit-rate   override the targets
`

const FLAGS = {
  scenario: { type: 'string' },
  users: { type: 'string' },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  rate: { type: 'string' },
  model: { type: 'string' },
  'think-ms': { type: 'string' },
  arrival: { type: 'string' },
  seed: { type: 'string' },
  zipf: { type: 'string' },
  mix: { type: 'string' },
  stock: { type: 'string' },
  'base-url': { type: 'string' },
  'database-url': { type: 'string' },
  auth: { type: 'string' },
  'login-via-api': { type: 'boolean' },
  connections: { type: 'string' },
  'timeout-ms': { type: 'string' },
  'max-lag-ms': { type: 'string' },
  'accept-encoding': { type: 'string' },
  workers: { type: 'string' },
  out: { type: 'string' },
  'target-p95-ms': { type: 'string' },
  'target-error-rate': { type: 'string' },
  'target-rps': { type: 'string' },
  'target-cache-hit-rate': { type: 'string' },
  curve: { type: 'boolean' },
  'curve-rates': { type: 'string' },
  'step-seconds': { type: 'string' },
  flood: { type: 'string' },
  'flood-connections': { type: 'string' },
  help: { type: 'boolean', short: 'h' }
} as const

export class UsageError extends Error {}

function curveFrom (values: Record<string, unknown>): CurveOptions | undefined {
  if (values.curve !== true) {
    if (values['curve-rates'] !== undefined || values['step-seconds'] !== undefined) throw new UsageError('--curve-rates and --step-seconds go with --curve')
    return undefined
  }
  let rates = [...DEFAULT_CURVE_RATES]
  if (values['curve-rates'] !== undefined) {
    try {
      rates = parseRates(String(values['curve-rates']))
    } catch (err) {
      throw new UsageError((err as Error).message)
    }
  }
  return { rates, stepS: num(values, 'step-seconds', DEFAULT_STEP_S, 1, 3600) }
}

function num (values: Record<string, unknown>, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = values[name]
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number between ${min} and ${max}, got '${String(raw)}'`)
  return n
}

function oneOf<T extends string> (values: Record<string, unknown>, name: string, allowed: readonly T[], fallback: T): T {
  const raw = values[name]
  if (raw === undefined) return fallback
  if (!allowed.includes(raw as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got '${String(raw)}'`)
  return raw as T
}

function targetsFrom (values: Record<string, unknown>): Targets {
  return {
    p95Ms: num(values, 'target-p95-ms', DEFAULT_TARGETS.p95Ms, 0),
    errorRate: num(values, 'target-error-rate', DEFAULT_TARGETS.errorRate, 0, 1),
    rps: num(values, 'target-rps', DEFAULT_TARGETS.rps, 0),
    cacheHitRate: num(values, 'target-cache-hit-rate', DEFAULT_TARGETS.cacheHitRate, 0, 1)
  }
}

/** What the server's own configuration tells the load test (the same env the server reads). */
function fromConfig (config: Readonly<Config>): Pick<LoadTestOptions, 'jwtSecret' | 'jwtExpiresInS' | 'password' | 'metricsToken'> {
  return { jwtSecret: config.jwtSecret, jwtExpiresInS: config.jwtExpiresInS, password: config.demoPassword, metricsToken: config.metricsToken }
}

export interface CliOptions {
  options: LoadTestOptions
  out: string
  workers: number
  help: boolean
}

export function parseCli (argv: string[], config: Readonly<Config>): CliOptions {
  let values: Record<string, unknown>
  try {
    values = parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false }).values
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
  const scenario: ScenarioName = oneOf(values, 'scenario', SCENARIO_NAMES, 'mixed')
  const users = num(values, 'users', 1000, 1, 100_000)
  const timeoutMs = num(values, 'timeout-ms', 10_000, 100)
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)
  const options: LoadTestOptions = {
    baseUrl: String(values['base-url'] ?? `http://127.0.0.1:${config.port}`),
    databaseUrl: String(values['database-url'] ?? config.databaseUrl),
    scenario,
    users,
    durationS: num(values, 'duration', 60, 1, 86_400),
    warmupS: num(values, 'warmup', 30, 0, 3600),
    rate: values.rate === undefined ? undefined : num(values, 'rate', 0, 0.1),
    model: oneOf(values, 'model', ['open', 'closed'] as const, 'open'),
    arrival: oneOf(values, 'arrival', ['poisson', 'uniform'] as const, 'poisson'),
    thinkMs: num(values, 'think-ms', 0, 0),
    seed: num(values, 'seed', 1, 0, 2 ** 32 - 1),
    zipf: num(values, 'zipf', 1, 0, 5),
    connections: num(values, 'connections', 256, 1, 10_000),
    timeoutMs,
    maxLagMs: num(values, 'max-lag-ms', timeoutMs, 0),
    maxInFlight: Math.max(users * 2, 1000),
    auth: values['login-via-api'] === true ? 'login' : oneOf(values, 'auth', ['mint', 'login'] as const, 'mint'),
    ...fromConfig(config),
    acceptEncoding: String(values['accept-encoding'] ?? 'gzip'),
    flashStock: values.stock === undefined ? undefined : num(values, 'stock', 1, 1),
    mix: values.mix === undefined ? undefined : parseMix(String(values.mix), JOURNEY_NAMES),
    targets: targetsFrom(values)
  }
  if (options.mix?.flash && scenario !== 'flash-sale') throw new UsageError('the flash journey only runs in --scenario flash-sale')
  const curve = curveFrom(values)
  if (curve) {
    if (options.model !== 'open') throw new UsageError('--curve offers rates: it needs the open model')
    if (SCENARIOS[scenario].oneVisit || SCENARIOS[scenario].spikeFactor) throw new UsageError(`--curve sets the rate itself: not with --scenario ${scenario}`)
    options.curve = curve
    options.durationS = curve.rates.length * curve.stepS
  }
  if (values.flood !== undefined) {
    const path = String(values.flood)
    if (!path.startsWith('/')) throw new UsageError(`--flood must be a path starting with /, got '${path}'`)
    options.flood = { path, connections: num(values, 'flood-connections', DEFAULT_FLOOD_CONNECTIONS, 1, 10_000) }
  }
  return {
    options,
    out: String(values.out ?? `.data/loadtest/${scenario}-${stamp}`),
    workers: num(values, 'workers', config.webConcurrency, 1, 64),
    help: values.help === true
  }
}
