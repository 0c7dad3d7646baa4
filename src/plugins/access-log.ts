import fp from 'fastify-plugin'
import { LogController, type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify'
import type { AuthUser } from './auth.js'
import type {} from './rate-limit.js' // request.clientIdentity
import type {} from './tracing.js' // request.traceId

/**
 * Replaces Fastify's two per-request lines ("incoming request", "request
 * completed") with the access log's single line. Passed to Fastify as
 * `logController` whatever the access-log setting, so turning the access log
 * off means no per-request lines at all. Errors while completing a request
 * (a broken response stream) are still logged as Fastify does.
 */
export class AccessLogController extends LogController {
  override incomingRequest (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply, metadata?: Record<string, unknown>): void {
    if (error) super.requestCompleted(error, request, reply, metadata)
  }
}

export interface AccessLogOptions {
  /** Requests slower than this are logged at warn. @default 500 */
  slowRequestMs: number
  /**
   * Share of the routine lines kept (fast 1xx–3xx, 404 and 429), 0..1; every other line is always
   * written. Kept lines of a sample carry `sample_rate`, so counts can be scaled back. @default 1
   */
  sampleRate?: number
}

/**
 * 4xx statuses logged like successes (sampled): a 404 flood (URL probing) or a 429 flood (a client
 * over its budget) would otherwise fill the log, and both are counted in the metrics. Every other
 * 4xx (400, 401, 403, 409, 422…) says something about a client or an attack and is always kept.
 */
const ROUTINE_CLIENT_ERRORS = new Set([404, 429])

/** Whether a line is one sampling may drop: fast, below 500, and a success or a routine 4xx. */
export function isRoutine (status: number, durationMs: number, slowRequestMs: number): boolean {
  if (durationMs >= slowRequestMs) return false
  return status < 400 || ROUTINE_CLIENT_ERRORS.has(status)
}

const MAX_PATH_LENGTH = 200

function round2 (ms: number): number {
  return Math.round(ms * 100) / 100
}

/** The URL path without the query string (it may carry personal search terms), bounded. */
function pathOf (url: string): string {
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  return path.length > MAX_PATH_LENGTH ? `${path.slice(0, MAX_PATH_LENGTH)}…` : path
}

/**
 * One structured line per request, written in `onResponse` through
 * `request.log` (so it carries `reqId`): method, route template, path,
 * status, duration, client address, user id, trace id (tracing on), cache
 * outcome, database time
 * and response size. Slow requests and 5xx at warn, health checks at debug,
 * the rest at info. With `sampleRate` below 1, routine lines (isRoutine) are
 * kept at that rate, decided before the line is built; errors, slow requests
 * and the other 4xx are never dropped. A request whose client hung up before
 * the answer gets its line from `onRequestAbort`, with `aborted: true`.
 */
const accessLogPlugin: FastifyPluginAsync<AccessLogOptions> = async (app, opts) => {
  const sampleRate = opts.sampleRate ?? 1
  if (!(sampleRate >= 0 && sampleRate <= 1)) throw new Error(`ACCESS_LOG_SAMPLE_RATE: ${sampleRate} must be between 0 and 1`)
  const sampling = sampleRate < 1
  /** The fields of a line, from the request and what is known of its answer (undefined fields are left out). */
  const lineOf = (request: FastifyRequest, duration: number, status: number | undefined, bytes: number | undefined, kept: number | undefined, aborted: true | undefined) => {
    const timings = request.timings
    return {
      method: request.method,
      route: request.routeOptions.url ?? null,
      path: pathOf(request.url),
      status,
      duration_ms: round2(duration),
      client: request.ip,
      user_id: (request.user as AuthUser | null | undefined)?.id ?? request.clientIdentity?.userId,
      // Set while tracing is on: the id to look the request's trace up by.
      trace_id: request.traceId,
      cache: timings?.cacheStatus,
      db_ms: timings ? round2(timings.dbMs) : undefined,
      // The part of db_ms spent waiting for a pool connection: high under pool saturation.
      db_wait_ms: timings ? round2(timings.dbWaitMs) : undefined,
      bytes,
      sample_rate: kept,
      aborted
    }
  }

  app.addHook('onResponse', (request, reply, done) => {
    const duration = reply.elapsedTime
    const status = reply.statusCode
    const routine = sampling && isRoutine(status, duration, opts.slowRequestMs)
    if (routine && Math.random() >= sampleRate) return done()
    const length = reply.getHeader('content-length')
    const line = lineOf(request, duration, status, length === undefined ? undefined : Number(length), routine ? sampleRate : undefined, undefined)
    if (duration >= opts.slowRequestMs) request.log.warn(line, 'slow request')
    else if (status >= 500) request.log.warn(line, 'request completed') // the error handler logs the error itself
    else if (request.routeOptions.config?.criticality === 'health') request.log.debug(line, 'request completed')
    else request.log.info(line, 'request completed')
    done()
  })

  // A client that closes its connection before the answer gets no onResponse, so without this
  // its request would leave no line; the slowest requests are often the ones clients give up on.
  // Never sampled; no status (nothing was sent); at warn when it had already run past slowRequestMs.
  app.addHook('onRequestAbort', (request, done) => {
    const duration = request.timings ? performance.now() - request.timings.startedAt : 0
    const line = lineOf(request, duration, undefined, undefined, undefined, true)
    if (duration >= opts.slowRequestMs) request.log.warn(line, 'request aborted by the client')
    else request.log.info(line, 'request aborted by the client')
    done()
  })
}

export default fp(accessLogPlugin, { name: 'access-log', fastify: '5.x' })
