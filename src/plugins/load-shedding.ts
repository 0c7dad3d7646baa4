import fp from 'fastify-plugin'
import createError from '@fastify/error'
import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify'
import { classifyError, withDetails } from '../errors.js'
import { DecisionCounter, RankHysteresis, routeLabel, type DecisionCount } from '../lib/load/index.js'
import type { Criticality } from '../lib/http/index.js'
import type { LoadState, RouteShare } from './load-sampler.js'

export type ShedReason = 'event_loop_delay' | 'event_loop_utilization' | 'heap'

export interface SheddingState {
  /** Classes answered with 503 right now, first shed first. */
  shedding: Criticality[]
  /** A route answered with 503 on its own right now: it dominates the requests (a flood). */
  sheddingRoute: string | undefined
  /** The signal with the highest pressure in the last sample. */
  reason: ShedReason
  /** Highest value / bound over the signals in the last sample (1 = at the bound). */
  pressure: number
  /** The part of `pressure` the other routes put on the process (scaled by their share of the load); classes are shed by it. */
  othersPressure: number
}

export interface LoadSheddingDecorator {
  state: () => SheddingState
  /** Shed counts by route, client kind and reason since start. */
  stats: () => DecisionCount[]
}

declare module 'fastify' {
  interface FastifyInstance { loadShedding: LoadSheddingDecorator }
}

export const LoadSheddingErrors = {
  OVERLOADED: createError<'LOAD_SHED', 503, [string]>('LOAD_SHED', 'The server is overloaded (%s); retry shortly', 503)
}

export interface LoadSheddingOptions {
  /** Event-loop delay p99 (ms) at which browsing is shed. @default 250 */
  maxEventLoopDelayMs: number
  /** Event-loop utilisation at which browsing is shed; 0 = not a shedding signal. @default 0 */
  maxEventLoopUtilization: number
  /** Heap used / heap limit at which browsing is shed. @default 0.9 */
  maxHeapRatio: number
  /** `Retry-After` of a shed response, seconds. @default 2 */
  retryAfterS: number
}

/**
 * Pressure at which a route that dominates the requests (load-attribution.ts) is shed on
 * its own, whatever its class: as early as reports. Health routes are never shed.
 */
const DOMINANT_SHED_FROM = 0.8

/**
 * Order of shedding, as a pressure (value / bound) at which each class starts
 * to be shed: reports and monitoring exports first, below the bound; browsing
 * and search at the bound; cart at 1.5×; checkout last, at 2×. Heap and
 * utilisation cannot reach 1.5× their bounds, so only event-loop delay ever
 * sheds carts and checkout: a process that is busy but still answering fast
 * keeps taking orders. `health` is never shed.
 */
const SHED_FROM: ReadonlyArray<[Exclude<Criticality, 'health'>, number]> = [['reports', 0.8], ['browse', 1], ['cart', 1.5], ['critical', 2]]
const CLASS_RANK: Readonly<Record<Criticality, number>> = { reports: 1, browse: 2, cart: 3, critical: 4, health: Infinity }
const VALID_CRITICALITY = new Set(Object.keys(CLASS_RANK))
// Shedding starts after 2 consecutive overloaded samples (one GC pause or noisy neighbour is not an
// overload) and stops after 5 calm ones, so admitting the queued traffic again does not flap.
const ENTER_AFTER = 2
const EXIT_AFTER = 5

function measurePressure (load: LoadState, opts: LoadSheddingOptions): { pressure: number, reason: ShedReason, detail: string } {
  const signals: Array<[ShedReason, number, string]> = [
    ['event_loop_delay', load.eventLoopDelayP99Ms / opts.maxEventLoopDelayMs, `event loop delay p99 ${load.eventLoopDelayP99Ms.toFixed(0)} ms, bound ${opts.maxEventLoopDelayMs} ms`],
    ['heap', load.heapRatio / opts.maxHeapRatio, `heap ${(load.heapRatio * 100).toFixed(0)} % used, bound ${(opts.maxHeapRatio * 100).toFixed(0)} %`]
  ]
  if (opts.maxEventLoopUtilization > 0) {
    signals.push(['event_loop_utilization', load.elu / opts.maxEventLoopUtilization, `event loop utilization ${load.elu.toFixed(3)}, bound ${opts.maxEventLoopUtilization}`])
  }
  const [reason, pressure, detail] = signals.reduce((a, b) => (b[1] > a[1] ? b : a))
  return { pressure, reason, detail }
}

/**
 * Which route is shed on its own: the dominant route once the pressure has reached
 * DOMINANT_SHED_FROM for ENTER_AFTER samples, kept until EXIT_AFTER samples below it. While it
 * is shed, clients that back off on 503 send less and its share falls, so its share when
 * shedding began keeps standing for it until the pressure is gone.
 */
class DominantShedding {
  private readonly hysteresis = new RankHysteresis(ENTER_AFTER, EXIT_AFTER)
  route: string | undefined
  share = 0

  update (pressure: number, dominant: RouteShare | undefined): void {
    const wasShedding = this.hysteresis.current === 1
    const target = pressure >= DOMINANT_SHED_FROM && (dominant !== undefined || wasShedding) ? 1 : 0
    const shedding = this.hysteresis.update(target) === 1
    if (!shedding) {
      this.route = undefined
      this.share = 0
    } else if (dominant !== undefined && (!wasShedding || dominant.route !== this.route)) {
      this.route = dominant.route
      this.share = dominant.share
    }
  }
}

function shedBody (message: string, reason: ShedReason, retryAfterS: number, extra: Record<string, unknown> = {}): string {
  const err = withDetails(new LoadSheddingErrors.OVERLOADED(message), [{ message, reason, retry_after_s: retryAfterS, ...extra }])
  return JSON.stringify(classifyError(err))
}

/**
 * Load shedding: when event-loop delay, utilisation or heap pass their
 * bounds (read from `app.load`'s background samples, never measured per
 * request), routes answer 503 `LOAD_SHED` with `Retry-After` at once instead
 * of queueing work the process cannot finish in time. Fairly: a route that
 * dominates the requests (one route's flood, `app.load`'s attribution)
 * is shed first and on its own; the classes are shed by the pressure the
 * other routes put on the process (the pressure scaled by their share of the
 * work), so a flood of one route does not get everybody else's browsing
 * shed. The response bodies are serialized once per sample, so a shed
 * request costs almost nothing. They are sent directly rather than thrown, so
 * an overload does not also log an error with a stack per shed request.
 */
const loadSheddingPlugin: FastifyPluginAsync<LoadSheddingOptions> = async (app, opts) => {
  const decisions = new DecisionCounter()
  const hysteresis = new RankHysteresis(ENTER_AFTER, EXIT_AFTER)
  const dominant = new DominantShedding()
  let state: SheddingState = { shedding: [], sheddingRoute: undefined, reason: 'event_loop_delay', pressure: 0, othersPressure: 0 }
  let shedRank = 0
  let shedRoute: string | undefined
  let body = ''
  let routeBody = ''
  // Routes with a guard: a dominant route outside it (health probes, unmatched URLs) is not shed,
  // though its work is still not held against the other routes.
  const guarded = new Set<string>()

  // One line per change of what is shed, with the readings and who held the work: the why of every 503 burst.
  const log = app.log.child({ module: 'load-shedding' })
  const logChange = (from: SheddingState, to: SheddingState, load: LoadState) => {
    const fields = {
      shedding: to.shedding,
      route: to.sheddingRoute,
      was: { shedding: from.shedding, route: from.sheddingRoute },
      reason: to.reason,
      pressure: Math.round(to.pressure * 100) / 100,
      others_pressure: Math.round(to.othersPressure * 100) / 100,
      event_loop_delay_p99_ms: Math.round(load.eventLoopDelayP99Ms),
      request_shares: load.attribution.top.map((r) => ({ route: r.route, share: Math.round(r.share * 1000) / 1000, time_share: Math.round(r.timeShare * 1000) / 1000, requests: r.requests }))
    }
    if (to.shedding.length === 0 && to.sheddingRoute === undefined) log.info(fields, 'load shedding stopped')
    else log.warn(fields, 'load shedding changed')
  }

  const unsubscribe = app.load.onSample((load) => {
    const { pressure, reason, detail } = measurePressure(load, opts)
    dominant.update(pressure, load.attribution.dominant)
    // The dominant route's share (its share when its shedding began, if larger) is not the others' load.
    const attributed = Math.min(1, load.attribution.attributedShare + Math.max(0, dominant.share - (load.attribution.dominant?.share ?? 0)))
    const othersPressure = pressure * (1 - attributed)
    shedRank = hysteresis.update(SHED_FROM.filter(([, from]) => othersPressure >= from).length)
    shedRoute = dominant.route !== undefined && guarded.has(dominant.route) ? dominant.route : undefined
    const previous = state
    state = { shedding: SHED_FROM.slice(0, shedRank).map(([c]) => c), sheddingRoute: shedRoute, reason, pressure, othersPressure }
    if (state.shedding.length !== previous.shedding.length || state.sheddingRoute !== previous.sheddingRoute) logChange(previous, state, load)
    if (shedRank > 0) body = shedBody(detail, reason, opts.retryAfterS)
    if (shedRoute !== undefined) {
      const share = Math.round(dominant.share * 100)
      routeBody = shedBody(`${detail}; ${shedRoute} sends ${share} % of the requests`, reason, opts.retryAfterS, { route: shedRoute, route_share: share / 100 })
    }
  })
  app.addHook('onClose', async () => { unsubscribe() })

  app.decorate('loadShedding', { state: () => state, stats: () => decisions.snapshot() } satisfies LoadSheddingDecorator)

  const retryAfter = String(opts.retryAfterS)
  app.addHook('onRoute', (route) => {
    const criticality = route.config?.criticality ?? 'browse'
    if (!VALID_CRITICALITY.has(criticality)) {
      throw new Error(`Invalid criticality '${String(criticality)}' for route ${routeLabel(route.method, route.url)}: use one of ${[...VALID_CRITICALITY].join(', ')}`)
    }
    if (criticality === 'health' || route.config?.shed === false) return
    const rank = CLASS_RANK[criticality]
    const label = routeLabel(route.method, route.url)
    guarded.add(label)
    const guard: onRequestHookHandler = function loadSheddingGuard (request, reply, done) {
      const byClass = shedRank >= rank
      if (!byClass && shedRoute !== label) return done()
      decisions.record(label, request.headers.authorization ? 'user' : 'ip', 'shed', state.reason)
      reply.code(503).header('retry-after', retryAfter).type('application/json; charset=utf-8').send(byClass ? body : routeBody)
    }
    const hooks = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
    route.onRequest = [...hooks, guard]
  })
}

export default fp(loadSheddingPlugin, { name: 'load-shedding', fastify: '5.x', dependencies: ['load-sampler'] })
