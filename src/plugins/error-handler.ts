import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { AppErrors, classifyError } from '../errors.js'
import { methodLookup, rejectInvalidText, rejectNonFiniteNumbers } from '../lib/http/index.js'

/**
 * One error handler and one 404/405 handler for the whole app, so every error
 * has Fastify's shape plus `details`. 5xx are logged with the error and
 * answered without its message; 4xx are logged at info.
 */
const errorHandlerPlugin: FastifyPluginAsync = async (app) => {
  app.setErrorHandler((err, request, reply) => {
    const body = classifyError(err)
    if (body.statusCode >= 500) request.log.error({ err }, 'request failed')
    else request.log.info({ code: body.code, message: body.message }, 'request rejected')
    // Headers such as Retry-After set by whoever threw stay on the reply.
    const headers = (err as { headers?: Record<string, string> }).headers
    if (headers) reply.headers(headers)
    reply.code(body.statusCode).type('application/json; charset=utf-8').send(body)
  })

  // For every route: schema coercion can turn "1e999" into Infinity, which passes
  // `maximum` and would reach PostgreSQL as a 500; refuse it as a 400 instead.
  app.addHook('preHandler', rejectNonFiniteNumbers)
  // For every route: NUL and unpaired surrogates in any input string are a 400 naming the field.
  app.addHook('preValidation', rejectInvalidText)

  // No route for this method and path: 405 with `Allow` when the path has other methods
  // (RFC 9110 15.5.6), else 404. A route that calls `reply.callNotFound()` (a missing
  // static file) keeps its 404: its own method is among the allowed ones.
  const methodsOf = methodLookup(app)
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]
    const allowed = methodsOf(request.url)
    if (allowed.length > 0 && !allowed.includes(request.method)) {
      const allow = allowed.join(', ')
      reply.code(405).header('allow', allow).send(classifyError(new AppErrors.METHOD_NOT_ALLOWED(request.method, path, allow)))
      return
    }
    reply.code(404).send(classifyError(new AppErrors.ROUTE_NOT_FOUND(request.method, path)))
  })
}

export default fp(errorHandlerPlugin, { name: 'error-handler' })
