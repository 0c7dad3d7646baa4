import os from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import postgres from 'postgres'
import { curveProfile, StepRecorders } from './curve.js'
import { collectFindings } from './findings.js'
import { verifyFlashSale } from './flash-sale.js'
import { startFlood } from './flood.js'
import { createHttpClient } from './http.js'
import { JOURNEY_NAMES } from './journeys.js'
import { databaseName } from './db-copy.js'
import { cpuSplit, serverPids, snapshotCpu, type CpuScope, type CpuSnapshot, type CpuSplit } from './machine-cpu.js'
import { Pacer, spikeWindow, type RatePoint, type Window } from './open-model.js'
import { DEFAULT_USER_RPS, type LoadTestOptions } from './options.js'
import { prepare, type Prepared } from './prepare.js'
import { createRng, createWeightedPicker, deriveSeed } from './prng.js'
import { Recorder } from './recorder.js'
import { evaluateCurveTargets, evaluateTargets, traffic, verdictOf } from './report.js'
import type { Flood, Report } from './report-schema.js'
import { SCENARIOS, type Scenario } from './scenarios.js'
import { scrapeMetrics, serverFigures, type Scrape } from './server-metrics.js'
import { runVirtualUser, type RunState } from './virtual-user.js'

/**
 * One load-test run: prepare, schedule every virtual user, measure, read the
 * server's counters around the measured window, and build the report.
 */

export interface RunHooks {
  /** Setup and summary lines. */
  log: (line: string) => void
  /** The once-a-second progress line. */
  live: (line: string) => void
  /** Aborting stops new requests; the report covers what was measured. */
  signal?: AbortSignal
  /** Workers behind the base URL (cluster mode): /metrics of each is read. */
  workers?: number
}

/** Flash sale: users pile in over the first seconds of the window (at most its first half) and click quickly. */
const FLASH_RACE_MS = 5000
const FLASH_GAP_MS = 300
const START_DELAY_MS = 200

interface Plan {
  scenario: Scenario
  meanGapMs: number
  targetRps: number | null
  windows: Window[]
  /** Capacity curve: the rate over time, as shares of the top rate (meanGapMs is that rate's). */
  profile?: RatePoint[]
}

function plan (opts: LoadTestOptions, scenario: Scenario, accounts: number): Plan {
  const warmupMs = scenario.oneVisit ? 0 : opts.warmupS * 1000
  const durationMs = opts.durationS * 1000
  const rng = createRng(deriveSeed(opts.seed, 'windows'))
  const windows: Window[] = []
  for (let i = 0; i < accounts; i++) {
    if (scenario.oneVisit) windows.push({ start: rng() * Math.min(FLASH_RACE_MS, durationMs / 2), end: durationMs })
    else if (scenario.spikeFactor) windows.push(spikeWindow(i, opts.users, scenario.spikeFactor, warmupMs, durationMs))
    else windows.push({ start: 0, end: warmupMs + durationMs })
  }
  if (scenario.oneVisit) return { scenario, meanGapMs: FLASH_GAP_MS, targetRps: null, windows }
  if (opts.model === 'closed') return { scenario, meanGapMs: opts.thinkMs, targetRps: null, windows }
  if (opts.curve) {
    const { points, topRate } = curveProfile(opts.curve, warmupMs)
    return { scenario, meanGapMs: (opts.users / topRate) * 1000, targetRps: null, windows, profile: points }
  }
  const rate = opts.rate ?? opts.users * DEFAULT_USER_RPS
  return { scenario, meanGapMs: (opts.users / rate) * 1000, targetRps: rate, windows }
}

function newRunState (opts: LoadTestOptions, http: RunState['http'], origin: number, warmupMs: number): RunState {
  return {
    http,
    recorder: new Recorder(),
    model: opts.model,
    maxLagMs: opts.maxLagMs,
    maxInFlight: opts.maxInFlight,
    measureStart: origin + warmupMs,
    measureEnd: origin + warmupMs + opts.durationS * 1000,
    inFlight: 0,
    peakInFlight: 0,
    stopped: false,
    stats: { ordersPlaced: 0, orderConflicts: 0, flashWins: 0, flashLosses: 0 },
    journeys: { started: {}, completed: {}, aborted: 0 }
  }
}

function onlineAt (windows: Window[], t: number): number {
  let n = 0
  for (const w of windows) if (w.start <= t && t < w.end) n++
  return n
}

interface Measurement {
  run: RunState
  before: Scrape
  after: Scrape
  timeline: Report['timeline']
  generator: Report['generator']
  cpuSplit: CpuSplit | null
  /** Whether the server's processes were found (only on this machine). */
  serverFound: boolean
  seconds: number
  flood: Flood | null
}

interface MeasuredWindow {
  /** Resolves with the /metrics scrape taken when measuring began. */
  before: () => Promise<Scrape>
  /** Stops the ticker; returns the generator's own CPU and event-loop figures and the machine's CPU split over the window. */
  stop: (seconds: number) => Promise<{ generator: Report['generator'], cpuSplit: CpuSplit | null }>
}

interface WindowContext { opts: LoadTestOptions, prep: Prepared, hooks: RunHooks, timeline: Report['timeline'], cpu: CpuScope }

/** At the start of the measured window: scrape /metrics, snapshot the machine's CPU, start the generator's self-measurement and the live line. */
function openWindow (run: RunState, p: Plan, origin: number, ctx: WindowContext): MeasuredWindow {
  const eld = monitorEventLoopDelay({ resolution: 10 })
  let cpuStart = process.cpuUsage()
  let before: Promise<Scrape> = Promise.resolve({ problem: 'the run ended before the measured window began' })
  let machineStart: Promise<CpuSnapshot | undefined> | undefined
  let machineEnd: Promise<CpuSnapshot | undefined> | undefined
  let ticker: NodeJS.Timeout | undefined
  const tick = (): void => {
    const now = performance.now()
    const t = Math.round((now - run.measureStart) / 1000)
    const s = run.recorder.tick(t)
    const online = onlineAt(p.windows, now - origin)
    ctx.timeline.push({ ...s, online })
    ctx.hooks.live(`[${String(t).padStart(4)}/${ctx.opts.durationS} s] ${s.responses} rps | p95 ${s.p95Ms} ms | p99 ${s.p99Ms} ms | errors ${s.errors} | 429 ${s.limited} | in flight ${run.inFlight} | users ${online}`)
    if (now >= run.measureEnd) {
      clearInterval(ticker)
      machineEnd ??= snapshotCpu(ctx.cpu)
    }
  }
  const start = setTimeout(() => {
    before = scrapeMetrics(run.http, ctx.prep.metricsToken, ctx.hooks.workers ?? 1)
    machineStart = snapshotCpu(ctx.cpu)
    cpuStart = process.cpuUsage()
    eld.enable()
    if (run.measureStart > origin) ctx.hooks.log('warm-up done, measuring')
    ticker = setInterval(tick, 1000)
  }, Math.max(0, run.measureStart - performance.now()))
  return {
    before: () => before,
    stop: async (seconds) => {
      clearTimeout(start)
      clearInterval(ticker)
      const cpu = process.cpuUsage(cpuStart)
      eld.disable()
      const p99 = eld.percentile(99)
      const [a, b] = await Promise.all([machineStart, machineEnd ?? snapshotCpu(ctx.cpu)])
      return {
        generator: {
          cpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 1000) / 10,
          eventLoopDelayP99Ms: Number.isFinite(p99) ? Math.round(p99 / 1e4) / 100 : 0,
          peakInFlight: run.peakInFlight
        },
        cpuSplit: a && b ? cpuSplit(a, b, os.cpus().length) : null
      }
    }
  }
}

/** Schedules every user and waits until all are done; the live line and /metrics scrapes frame the measured window. */
async function measure (opts: LoadTestOptions, p: Plan, prep: Prepared, http: RunState['http'], hooks: RunHooks): Promise<Measurement> {
  const warmupMs = p.scenario.oneVisit ? 0 : opts.warmupS * 1000
  const origin = performance.now() + START_DELAY_MS
  const run = newRunState(opts, http, origin, warmupMs)
  if (opts.curve) run.steps = new StepRecorders(opts.curve)
  const flood = opts.flood ? startFlood(opts.baseUrl, opts.flood, (warmupMs + opts.durationS * 1000 + START_DELAY_MS) / 1000) : undefined
  if (opts.flood) hooks.log(`flooding ${opts.flood.path} with ${opts.flood.connections} connections (a separate autocannon process) for the whole run`)
  const pick = createWeightedPicker(opts.mix ?? p.scenario.mix)
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`
  const timeline: Report['timeline'] = []
  const cpu: CpuScope = { server: await serverPids(Number(new URL(opts.baseUrl).port || 80)), database: databaseName(opts.databaseUrl), titles: new Map() }
  const window = openWindow(run, p, origin, { opts, prep, hooks, timeline, cpu })
  const abort = (): void => {
    run.stopped = true
    run.measureEnd = Math.min(run.measureEnd, performance.now())
  }
  hooks.signal?.addEventListener('abort', abort, { once: true })
  if (warmupMs > 0) hooks.log(`warming up for ${opts.warmupS} s${opts.model === 'open' ? ', ramping the rate from 10% to 100%' : ''}`)
  await Promise.all(prep.users.map((user) => runVirtualUser({
    user,
    pacer: new Pacer({ model: opts.model, arrival: opts.arrival, meanGapMs: p.meanGapMs, window: p.windows[user.index], rampMs: warmupMs, profile: p.profile }, createRng(deriveSeed(opts.seed, 'timing', user.index)), origin),
    rng: createRng(deriveSeed(opts.seed, 'visits', user.index)),
    pickJourney: pick,
    catalog: prep.catalog,
    runId,
    flashProductId: prep.flash?.productId,
    maxVisits: p.scenario.oneVisit ? 1 : Number.POSITIVE_INFINITY
  }, run)))
  hooks.signal?.removeEventListener('abort', abort)
  const seconds = Math.max(0.001, (Math.min(run.measureEnd, performance.now()) - run.measureStart) / 1000)
  const { generator, cpuSplit } = await window.stop(seconds)
  const floodResult = flood ? await flood.finish(run.stopped) : null
  const after = await scrapeMetrics(http, prep.metricsToken, hooks.workers ?? 1)
  return { run, before: await window.before(), after, timeline, seconds, generator, cpuSplit, serverFound: cpu.server.size > 0, flood: floodResult }
}

/**
 * Whether the database under test cleans up after itself, read before the run:
 * with autovacuum off, dead rows and GIN pending lists left by earlier runs slow
 * every scan (a search scanned a 300-page pending list on such a machine), so a
 * report says so. Null when the statistics cannot be read.
 */
async function databaseState (sql: postgres.Sql): Promise<Report['machine']['database']> {
  try {
    const [row] = await sql<{ autovacuum: boolean, dead: string, live: string }[]>`
      SELECT current_setting('autovacuum') = 'on' AS autovacuum,
             coalesce(sum(n_dead_tup), 0)::text AS dead, coalesce(sum(n_live_tup), 0)::text AS live
      FROM pg_stat_user_tables`
    return { autovacuum: row.autovacuum, deadRows: Number(row.dead), liveRows: Number(row.live) }
  } catch {
    return null
  }
}

function machine (loadBefore: number[], m: Measurement, database: Report['machine']['database']): Report['machine'] {
  const cpus = os.cpus()
  return {
    cpuSplit: m.cpuSplit && { ...m.cpuSplit, serverFound: m.serverFound },
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryMb: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    loadAverageBefore: loadBefore.map((n) => Math.round(n * 100) / 100),
    loadAverageAfter: os.loadavg().map((n) => Math.round(n * 100) / 100),
    database
  }
}

export async function runLoadTest (opts: LoadTestOptions, hooks: RunHooks): Promise<Report> {
  const scenario = SCENARIOS[opts.scenario]
  const startedAt = new Date()
  const loadBefore = os.loadavg()
  const sql = postgres(opts.databaseUrl, { max: 4, onnotice: () => {}, connect_timeout: 5 })
  const http = createHttpClient({ baseUrl: opts.baseUrl, connections: opts.connections, timeoutMs: opts.timeoutMs, acceptEncoding: opts.acceptEncoding })
  try {
    const database = await databaseState(sql)
    const prep = await prepare(sql, http, opts, scenario, hooks.log)
    const p = plan(opts, scenario, prep.users.length)
    const m = await measure(opts, p, prep, http, hooks)
    const flashSale = prep.flash
      ? await verifyFlashSale(sql, prep.flash, m.run.stats.flashWins, m.run.stats.flashLosses, prep.users.length)
      : null
    const findings = await collectFindings(http, sql, prep.adminToken, startedAt)
    return buildReport({ opts, scenario, plan: p, prep, m, flashSale, findings, startedAt, loadBefore, database, workers: hooks.workers ?? 1 })
  } finally {
    http.close()
    await sql.end({ timeout: 5 })
  }
}

interface ReportInput {
  opts: LoadTestOptions
  scenario: Scenario
  plan: Plan
  prep: Prepared
  m: Measurement
  flashSale: Report['flashSale']
  findings: Report['findings']
  startedAt: Date
  loadBefore: number[]
  database: Report['machine']['database']
  workers: number
}

function buildReport ({ opts, scenario, plan: p, prep, m, flashSale, findings, startedAt, loadBefore, database, workers }: ReportInput): Report {
  const rec = m.run.recorder
  const overall = traffic(rec.totals(), rec.overallLatency(), m.seconds)
  const server = serverFigures(m.before, m.after, workers)
  const steps = m.run.steps?.steps(m.seconds)
  const targetInput = { overall, server, rpsApplies: scenario.rpsTarget, cacheApplies: scenario.cacheTarget, flashExact: flashSale ? flashSale.exact : null }
  const targets = steps ? evaluateCurveTargets(opts.targets, steps, targetInput) : evaluateTargets(opts.targets, targetInput)
  const mix = opts.mix ?? scenario.mix
  const report: Report = {
    tool: 'techmart-loadtest',
    version: 1,
    scenario: scenario.name,
    description: scenario.description,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    settings: {
      baseUrl: opts.baseUrl,
      workers,
      model: opts.model,
      arrival: opts.arrival,
      users: opts.users,
      accounts: prep.users.length,
      targetRps: p.targetRps,
      durationS: Math.round(m.seconds * 10) / 10,
      warmupS: scenario.oneVisit ? 0 : opts.warmupS,
      seed: opts.seed,
      zipf: opts.zipf,
      connections: opts.connections,
      timeoutMs: opts.timeoutMs,
      auth: opts.auth,
      acceptEncoding: opts.acceptEncoding,
      mix: Object.fromEntries(JOURNEY_NAMES.filter((j) => (mix[j] ?? 0) > 0).map((j) => [j, mix[j] ?? 0])),
      spikeFactor: scenario.spikeFactor ?? null
    },
    machine: machine(loadBefore, m, database),
    generator: m.generator,
    overall,
    endpoints: rec.endpoints().map((e) => ({ endpoint: e.endpoint, ...traffic(e.counts, e.latency, m.seconds) })),
    visits: { ...m.run.journeys, ordersPlaced: m.run.stats.ordersPlaced, orderConflicts: m.run.stats.orderConflicts },
    server,
    findings,
    flashSale,
    timeline: m.timeline,
    curve: steps && opts.curve ? { stepS: opts.curve.stepS, steps } : null,
    flood: m.flood,
    targets,
    verdict: verdictOf(targets)
  }
  rec.destroy()
  m.run.steps?.destroy()
  return report
}
