import diagnosticsChannel, { type Channel } from 'node:diagnostics_channel'
import type { FastifyInstance } from 'fastify'

/*
 * Every diagnostics channel of the app, declared here and nowhere else: the
 * parts publish what they measured or decided, monitoring (metrics, slow-query
 * capture, profiling, tracing, the live stream) subscribes, and neither imports
 * the other. Publishing checks `hasSubscribers` first, so a channel nobody
 * listens to costs one property read. Each message type lives with its publisher.
 */

/** A named query ended (`DbQueryEvent`), synchronously in its caller's async context. */
export const dbQueryChannel = diagnosticsChannel.channel('techmart:db:query')
/** A cache read ended (`CacheOpEvent`). */
export const cacheOpChannel = diagnosticsChannel.channel('techmart:cache:op')
/** A transaction or reservation got, or failed to get, its connection (`DbAcquireEvent`). */
export const dbAcquireChannel = diagnosticsChannel.channel('techmart:db:acquire')
/** An admission decision: allowed, limited or shed (`DecisionEvent`). */
export const decisionChannel = diagnosticsChannel.channel('techmart:ratelimit:decision')
/** The load sampler's reading, once a sample (a `LoadState`, of which subscribers read `LoadSampleEvent`). */
export const loadSampleChannel = diagnosticsChannel.channel('techmart:load:sample')
/** A search answered (`SearchEvent`): GET/POST /products/search and `q` on lists. */
export const searchChannel = diagnosticsChannel.channel('techmart:search')
/** An alert changed state (`Alert`); the live stream forwards it as the SSE event `alert`. */
export const alertTransitionChannel = diagnosticsChannel.channel('techmart:alert:transition')
/** A profile capture started or ended (`Profile`); the live stream forwards it as the SSE event `profile`. */
export const profileCapturedChannel = diagnosticsChannel.channel('techmart:profile:captured')

/** What subscribers of `loadSampleChannel` read. */
export interface LoadSampleEvent { level: string }

/** One search, as `searchChannel` carries it to metrics and search analytics. */
export interface SearchEvent { query: string, results: number, durationMs: number }

/** Subscribes `fn` to `channel` until the app closes. */
export function subscribeUntilClose<T> (app: FastifyInstance, channel: Channel, fn: (message: T) => void): void {
  const handler = (message: unknown) => fn(message as T)
  channel.subscribe(handler)
  app.addHook('onClose', async () => { channel.unsubscribe(handler) })
}
