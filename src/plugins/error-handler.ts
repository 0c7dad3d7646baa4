import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { AppErrors, classifyError } from '../errors.js'
import { rejectInvalidText, rejectNonFiniteNumbers } from '../lib/http-schemas.js'

/**
 * One error handler and one 404 handler for the whole app, so every error
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

  app.setNotFoundHandler((request, reply) => {
    const body = classifyError(new AppErrors.ROUTE_NOT_FOUND(request.method, request.url.split('?')[0]))
    reply.code(404).send(body)
  })
}

export default fp(errorHandlerPlugin, { name: 'error-handler' })
