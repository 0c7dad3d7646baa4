import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { newRequestTimings, requestContext, type RequestTimings } from '../lib/observability/index.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Time spent in the database and the cache during this request. */
    timings: RequestTimings
  }
}

/**
 * Opens the AsyncLocalStorage scope of each request, so every hook, handler
 * and the queries they start add their time to `request.timings`.
 */
const requestTimingsPlugin: FastifyPluginAsync = async (app) => {
  app.decorateRequest('timings', null as unknown as RequestTimings)
  app.addHook('onRequest', (request, _reply, done) => {
    const timings = newRequestTimings()
    request.timings = timings
    // run(), not enterWith(): the scope covers exactly the rest of this request's chain.
    requestContext.run(timings, done)
  })
}

export default fp(requestTimingsPlugin, { name: 'request-timings' })
