import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'

export interface ServerTimingOptions {
  /** Origins allowed by CORS: only they may read the timings from a browser (`Timing-Allow-Origin`). */
  corsOrigins: string[]
}

/** Milliseconds rounded to one decimal (values are never negative), in a third of the time of `toFixed(1)`. */
function ms (value: number): string {
  const tenths = Math.round(value * 10)
  return `${Math.trunc(tenths / 10)}.${tenths % 10}`
}

/**
 * `Server-Timing: db;dur=…, cache;desc=hit;dur=…, app;dur=…, total;dur=…` on
 * every response, from the request's timings (AsyncLocalStorage, filled by
 * `timedQuery` and the cache). `app` is the rest of the time; `total` is the
 * time up to `onSend` (compression and the socket write come after it).
 * Parallel queries overlap, so `db` can exceed `total`; `app` is then 0.
 */
const serverTimingPlugin: FastifyPluginAsync<ServerTimingOptions> = async (app, opts) => {
  const allowedOrigins = new Set(opts.corsOrigins)
  app.addHook('onSend', (request, reply, payload, done) => {
    const timings = request.timings
    const total = reply.elapsedTime
    const db = timings?.dbMs ?? 0
    const cache = timings?.cacheMs ?? 0
    const cacheDesc = timings?.cacheStatus ? `;desc=${timings.cacheStatus}` : ''
    reply.header('server-timing', `db;dur=${ms(db)}, cache${cacheDesc};dur=${ms(cache)}, app;dur=${ms(Math.max(0, total - db - cache))}, total;dur=${ms(total)}`)
    const origin = request.headers.origin
    if (origin !== undefined && allowedOrigins.has(origin)) reply.header('timing-allow-origin', origin)
    done(null, payload)
  })
}

export default fp(serverTimingPlugin, { name: 'server-timing', fastify: '5.x' })
