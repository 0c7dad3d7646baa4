import fp from 'fastify-plugin'
import type { FastifyPluginAsync, onResponseHookHandler } from 'fastify'
import os from 'node:os'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import v8 from 'node:v8'
import { loadSampleChannel } from '../lib/observability/index.js'
import { attributedReadings, CPU_THRESHOLDS, LatencyWindow, LEVEL_CALM_SAMPLES, LEVEL_MULTIPLIER_PERMILLE, LEVEL_RAISE_AFTER, LevelHysteresis, levelRank, LOAD_LEVELS, LoadAccounts, MEMORY_THRESHOLDS, NO_ATTRIBUTION, parseThresholds, RankHysteresis, routeLabel, type LevelPolicy, type LoadAttribution, type LoadLevel, type LoadReadings, type RouteAccount } from '../lib/load/index.js'

export type { LoadLevel } from '../lib/load/index.js'
export type { LoadAttribution, RouteShare } from '../lib/load/index.js'

/** The state every per-request decision reads (rate limits, shedding): one object, replaced once per sample. */
export interface LoadState extends LoadReadings {
  level: LoadLevel
  /** The level's multiplier of per-client limits: 1, 0.7, 0.4 or 0.1. */
  multiplier: number
  /** p95 of the critical routes over the latency window, ms (undefined with too few requests). */
  criticalP95Ms: number | undefined
  /** True while that p95 stays above its target: per-client limits are tightened. */
  tightened: boolean
  /**
   * Whose load it is: each route's share of the requests over the last seconds, the route that
   * dominates them (a flood) and its share, which is not the other routes' load. The level and
   * the tightening see only the rest.
   */
  attribution: LoadAttribution
  /** Factor for every per-client limit, per mille: level multiplier × tightening. */
  limitFactorPermille: number
  /** Epoch ms of the sample. */
  sampledAt: number
  /** True while a test hook overrides the measurements. */
  overridden: boolean
}

/** A level pins the level; readings replace measured values (and still go through hysteresis). */
export type LoadOverride = LoadLevel | Partial<LoadReadings & { criticalP95Ms: number }> | undefined

export interface LoadDecorator {
  /** The last sample; reading it costs nothing, so requests read it freely. */
  current: () => LoadState
  /** Takes a sample now (the timer does it every `intervalMs`); tests call it to step the hysteresis. */
  sampleNow: () => LoadState
  /** Test hook: pin the level or replace readings; `undefined` returns to measured values. */
  override: (override: LoadOverride) => void
  /** Called after every sample; returns the unsubscribe function. */
  onSample: (listener: (state: LoadState) => void) => () => void
}

declare module 'fastify' {
  interface FastifyInstance { load: LoadDecorator }
}

export interface LoadSamplerOptions {
  /** Sampling period; 0 disables the timer (tests step with `sampleNow()`). @default 1000 */
  intervalMs: number
  /** Event-loop delay p99 (ms) at which medium, high and critical start: `"100,250,500"`. */
  eventLoopDelayMs: string
  /** Event-loop utilisation at which medium, high and critical start: `"0.9,0.97,0.99"`. */
  eventLoopUtilization: string
  /** p95 target of the critical routes, ms. @default 200 */
  criticalP95TargetMs: number
  /** Factor applied to every per-client limit while the critical p95 is over target. @default 0.5 */
  tightenFactor: number
}

const EVENT_LOOP_RESOLUTION_MS = 20
const NOT_FOUND_ROUTE = '(not found)'
const LATENCY_WINDOW_MS = 30_000
const LATENCY_WINDOW_CAPACITY = 4096
// Fewer critical requests than this in the window say nothing about their p95.
const LATENCY_MIN_REQUESTS = 20
// Consecutive samples over target before tightening, and under 80 % of it before loosening.
const TIGHTEN_AFTER = 3
const LOOSEN_AFTER = 10
const LOOSEN_BELOW = 0.8

/** Memory the process may use: its cgroup limit when there is one, else the machine's RAM. */
function memoryLimitBytes (): number {
  const total = os.totalmem()
  const constrained = process.constrainedMemory?.()
  return constrained && constrained > 0 && constrained < total ? constrained : total
}

/** Reads event-loop delay, utilisation, CPU and memory since the previous call. */
function createMeter () {
  const delay = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS })
  delay.enable()
  const cores = os.availableParallelism()
  const memoryLimit = memoryLimitBytes()
  let elu = performance.eventLoopUtilization()
  let cpu = process.cpuUsage()
  let at = performance.now()
  return {
    read (): LoadReadings {
      const now = performance.now()
      const eluNow = performance.eventLoopUtilization()
      const cpuDelta = process.cpuUsage(cpu)
      const heap = v8.getHeapStatistics()
      const readings: LoadReadings = {
        eventLoopDelayP99Ms: delay.count > 0 ? delay.percentile(99) / 1e6 : 0,
        elu: performance.eventLoopUtilization(eluNow, elu).utilization,
        cpu: now > at ? (cpuDelta.user + cpuDelta.system) / 1000 / (now - at) / cores : 0,
        heapRatio: heap.used_heap_size / heap.heap_size_limit,
        rssRatio: process.memoryUsage.rss() / memoryLimit
      }
      delay.reset()
      elu = eluNow
      cpu = process.cpuUsage()
      at = now
      return readings
    },
    stop: () => delay.disable()
  }
}

/**
 * `app.load`: a background sampler (every second, `unref`'d) of event-loop
 * delay and utilisation, process CPU and memory, turned into a load level
 * (low, medium, high, critical) with hysteresis, plus the p95 of the critical routes that tightens
 * per-client limits. Every route (and unmatched URLs) adds its requests' time
 * to its own account; each sample says which share of the load is whose
 * (lib/load/attribution.ts), and the part of the pressure that belongs to a
 * dominant route (a flood, health probes included) raises neither the level nor the
 * tightening: one route's flood is shed on its own (plugins/load-shedding.ts)
 * instead of cutting every client's limits. Nothing is measured inside a
 * request: the response hooks add two numbers, requests only read `current()`.
 */
const loadSamplerPlugin: FastifyPluginAsync<LoadSamplerOptions> = async (app, opts) => {
  const policy: LevelPolicy = {
    cpu: CPU_THRESHOLDS,
    memory: MEMORY_THRESHOLDS,
    eventLoopDelayMs: parseThresholds(opts.eventLoopDelayMs, 'LOAD_EVENT_LOOP_DELAY_MS'),
    eventLoopUtilization: parseThresholds(opts.eventLoopUtilization, 'LOAD_EVENT_LOOP_UTILIZATION')
  }
  const tightenPermille = Math.round(opts.tightenFactor * 1000)
  if (!(tightenPermille >= 1 && tightenPermille <= 1000)) throw new Error(`RATE_LIMIT_TIGHTEN_FACTOR: ${opts.tightenFactor} must be in (0, 1]`)
  const meter = createMeter()
  // Raise fast (3 s of pressure), lower one level at a time after 10–30 calm seconds (LevelHysteresis).
  const level = new LevelHysteresis(LEVEL_RAISE_AFTER, LEVEL_CALM_SAMPLES)
  const tightening = new RankHysteresis(TIGHTEN_AFTER, LOOSEN_AFTER)
  const latencies = new LatencyWindow(LATENCY_WINDOW_CAPACITY, LATENCY_WINDOW_MS, LATENCY_MIN_REQUESTS)
  const accounts = new LoadAccounts()
  const listeners = new Set<(state: LoadState) => void>()
  let forcedLevel: LoadLevel | undefined
  let patch: Exclude<LoadOverride, string | undefined> | undefined
  let state = buildState(meter.read(), undefined, NO_ATTRIBUTION, false)

  function buildState (readings: LoadReadings, criticalP95Ms: number | undefined, attribution: LoadAttribution, overridden: boolean): LoadState {
    const name = LOAD_LEVELS[level.current]
    const tightened = tightening.current === 1
    const multiplierPermille = LEVEL_MULTIPLIER_PERMILLE[name]
    const limitFactorPermille = tightened ? Math.round(multiplierPermille * tightenPermille / 1000) : multiplierPermille
    return { ...readings, level: name, multiplier: multiplierPermille / 1000, criticalP95Ms, tightened, limitFactorPermille, attribution, sampledAt: Date.now(), overridden }
  }

  // Checkout slower than its target, with no flood to blame: limits tighten, and a busy loop
  // counts as overload, not capacity, in the level. While one route dominates the work, the
  // critical routes' latency is its doing: shedding that route helps, halving every other
  // client's limits does not.
  function criticalSlow (p95: number | undefined, attribution: LoadAttribution): boolean {
    return p95 !== undefined && attribution.dominant === undefined && p95 > opts.criticalP95TargetMs
  }

  // Loosened only once the p95 is well under the target (LOOSEN_BELOW), so it does not flap.
  function tighteningTarget (p95: number | undefined, attribution: LoadAttribution, slow: boolean): number {
    if (slow) return 1
    if (p95 === undefined || attribution.dominant !== undefined || p95 <= opts.criticalP95TargetMs * LOOSEN_BELOW) return 0
    return tightening.current
  }

  function sampleNow (): LoadState {
    const { criticalP95Ms: patchedP95, ...patchedReadings } = patch ?? {}
    const readings: LoadReadings = { ...meter.read(), ...patchedReadings }
    const p95 = patchedP95 ?? latencies.p95(performance.now())
    const attribution = accounts.close()
    const slow = criticalSlow(p95, attribution)
    if (forcedLevel) level.force(LOAD_LEVELS.indexOf(forcedLevel))
    else level.update(levelRank(attributedReadings(readings, attribution.attributedShare), policy, slow))
    tightening.update(tighteningTarget(p95, attribution, slow))
    state = buildState(readings, p95, attribution, forcedLevel !== undefined || patch !== undefined)
    for (const listener of listeners) listener(state)
    if (loadSampleChannel.hasSubscribers) loadSampleChannel.publish(state)
    return state
  }

  // One callback hook per route adds the request's time to the route's account (and, on the
  // critical routes, to the latency window); long-lived streams (`metrics: false`) stay out.
  const accountFor = (account: RouteAccount, critical: boolean): onResponseHookHandler => critical
    ? (_request, reply, done) => {
        const ms = reply.elapsedTime
        account.busyMs += ms
        account.count++
        latencies.record(ms, performance.now())
        done()
      }
    : (_request, reply, done) => {
        account.busyMs += reply.elapsedTime
        account.count++
        done()
      }
  app.addHook('onRoute', (route) => {
    if (route.config?.metrics === false) return
    const account = accounts.open(routeLabel(route.method, route.url), route.config?.criticality === 'health')
    route.onResponse = [...toArray(route.onResponse), accountFor(account, route.config?.criticality === 'critical')]
  })
  // Unmatched URLs have no route to hook: a URL-probing flood is one account of its own.
  const notFound = accounts.open(NOT_FOUND_ROUTE, false)
  app.addHook('onResponse', (request, reply, done) => {
    if (request.is404) {
      notFound.busyMs += reply.elapsedTime
      notFound.count++
    }
    done()
  })

  app.decorate('load', {
    current: () => state,
    sampleNow,
    override (override: LoadOverride) {
      forcedLevel = typeof override === 'string' ? override : undefined
      patch = typeof override === 'object' ? override : undefined
      if (override === undefined) {
        level.force(0)
        tightening.force(0)
      }
      sampleNow()
    },
    onSample (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  } satisfies LoadDecorator)

  const timer = opts.intervalMs > 0 ? setInterval(sampleNow, opts.intervalMs).unref() : undefined
  app.addHook('onClose', async () => {
    clearInterval(timer)
    meter.stop()
    listeners.clear()
  })
}

function toArray<T> (value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value]
}

export default fp(loadSamplerPlugin, { name: 'load-sampler', fastify: '5.x' })
