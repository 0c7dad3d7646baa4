import fp from 'fastify-plugin'
import createError from '@fastify/error'
import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify'
import { classifyError, withDetails } from '../errors.js'
import { RankHysteresis } from '../lib/load-level.js'
import type { Criticality } from '../lib/route-config.js'
import { DecisionCounter, routeLabel, type DecisionCount } from '../lib/traffic-decisions.js'
import type { LoadState } from './load-sampler.js'

export type ShedReason = 'event_loop_delay' | 'event_loop_utilization' | 'heap'

export interface SheddingState {
  /** Classes answered with 503 right now, first shed first. */
  shedding: Criticality[]
  /** The signal with the highest pressure in the last sample. */
  reason: ShedReason
  /** Highest value / bound over the signals in the last sample (1 = at the bound). */
  pressure: number
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
 * Load shedding: when event-loop delay, utilisation or heap pass their
 * bounds (read from `app.load`'s background samples, never measured per
 * request), routes answer 503 `LOAD_SHED` with `Retry-After` at once, by
 * criticality class, instead of queueing work the process cannot finish in
 * time. The response body is serialized once per sample, so a shed request
 * costs almost nothing. It is sent directly rather than thrown, so an
 * overload does not also log an error with a stack per shed request.
 */
const loadSheddingPlugin: FastifyPluginAsync<LoadSheddingOptions> = async (app, opts) => {
  const decisions = new DecisionCounter()
  const hysteresis = new RankHysteresis(ENTER_AFTER, EXIT_AFTER)
  let state: SheddingState = { shedding: [], reason: 'event_loop_delay', pressure: 0 }
  let shedRank = 0
  let body = ''

  const unsubscribe = app.load.onSample((load) => {
    const { pressure, reason, detail } = measurePressure(load, opts)
    const target = SHED_FROM.filter(([, from]) => pressure >= from).length
    shedRank = hysteresis.update(target)
    state = { shedding: SHED_FROM.slice(0, shedRank).map(([c]) => c), reason, pressure }
    if (shedRank > 0) {
      const err = withDetails(new LoadSheddingErrors.OVERLOADED(detail), [{ message: detail, reason, retry_after_s: opts.retryAfterS }])
      body = JSON.stringify(classifyError(err))
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
    const guard: onRequestHookHandler = function loadSheddingGuard (request, reply, done) {
      if (shedRank < rank) return done()
      decisions.record(label, request.headers.authorization ? 'user' : 'ip', 'shed', state.reason)
      reply.code(503).header('retry-after', retryAfter).type('application/json; charset=utf-8').send(body)
    }
    const hooks = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
    route.onRequest = [...hooks, guard]
  })
}

export default fp(loadSheddingPlugin, { name: 'load-shedding', fastify: '5.x', dependencies: ['load-sampler'] })
