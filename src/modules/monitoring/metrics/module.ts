import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { alertTransitionChannel, profileCapturedChannel, searchChannel, subscribeUntilClose as listen, type SearchEvent } from '../../../lib/observability/index.js'
import { createBusinessRepository, createBusinessService } from '../business/index.js'
import { createInstanceRegistry } from './instances.js'
import { MetricsErrors } from './errors.js'
import { metricsRoutes, type StreamAccess } from './routes.js'
import { createPerformanceService } from './performance.service.js'
import { createRollupsRepository, createRollupsService } from '../rollups/index.js'
import { createSearchAnalytics } from '../search-analytics/index.js'
import { createStreamHub, MAX_STREAM_CLIENTS, MAX_STREAMS_PER_USER, type StreamHub } from './stream-hub.js'
import { createStreamTickets } from './stream-tickets.js'
import { createStreamTokens, readStreamCookie, STREAM_TOKEN_TTL_S, streamCookie } from './stream-token.js'

const PUBLISH_MS = 1000

export interface MetricsModuleOptions {
  businessIntervalS: number
  businessTimezone: string
  lowStockThreshold: number
  retentionDays: number
  slowSearchMs: number
  /** Signs stream tokens (a key derived for that purpose only). */
  jwtSecret: string
}

function streamAccess (app: FastifyInstance, hub: StreamHub, secret: string, firstEvent: () => Promise<unknown>): StreamAccess {
  const tokens = createStreamTokens(secret)
  const tickets = createStreamTickets(app.redis)
  const admin = app.requireRole('admin')
  return {
    issue (request, reply) {
      reply.header('set-cookie', streamCookie(tokens.issue(request.user.id), request.protocol === 'https'))
      reply.header('cache-control', 'no-store')
      return STREAM_TOKEN_TTL_S
    },
    async authorize (request: FastifyRequest, reply: FastifyReply) {
      if (request.headers.authorization) {
        await admin.call(app, request, reply)
        return
      }
      const ticket = tokens.check(readStreamCookie(request.headers.cookie))
      // A token opens one stream: a copied cookie, or a reconnect with the old one, needs a new token.
      if (ticket === undefined || !await tickets.consume(ticket.nonce)) throw new MetricsErrors.STREAM_TOKEN_INVALID()
      // Only admins are issued stream tokens.
      request.user = { id: ticket.userId, role: 'admin' }
    },
    async connect (request, reply) {
      const event = await firstEvent()
      const opened = hub.open(request, reply, request.user?.id)
      if (opened === 'full') throw new MetricsErrors.STREAM_LIMIT(MAX_STREAM_CLIENTS)
      if (opened === 'user-limit') throw new MetricsErrors.STREAM_USER_LIMIT(request.user.id, MAX_STREAMS_PER_USER)
      reply.raw.write(`event: metrics\ndata: ${JSON.stringify(event)}\n\n`)
    }
  }
}

/**
 * The metrics side of monitoring: builds the services, runs
 * their background jobs (1 s snapshot publishing and SSE fan-out, business
 * metrics, minute rollups, search-analytics flushes) with unref'd timers
 * cleared on close, and registers the routes.
 */
export const metricsModule: FastifyPluginAsync<MetricsModuleOptions> = async (app, opts) => {
  const { collector, instanceId } = app.metrics
  const log = app.log.child({ module: 'monitoring' })
  const hub = createStreamHub({ log })
  const rollups = createRollupsService({
    repo: createRollupsRepository(app.db.db), collector, redis: app.redis, instanceId, retentionDays: opts.retentionDays, log
  })
  const registry = createInstanceRegistry({ redis: app.redis, instanceId, log, now: collector.now })
  const performance = createPerformanceService({
    collector,
    pool: app.db.pool,
    identity: { instanceId, hostname: app.metrics.hostname, pid: process.pid, startedAt: app.metrics.startedAt },
    registry,
    history: rollups.history,
    log
  })
  const business = createBusinessService({
    repo: createBusinessRepository(app.db.readSql),
    redis: app.redis,
    instanceId,
    intervalS: opts.businessIntervalS,
    timezone: opts.businessTimezone,
    lowStockThreshold: opts.lowStockThreshold,
    log,
    now: collector.now,
    onUpdate: (b) => {
      collector.setExternal('low_stock_products', b.products.low_stock)
      app.metrics.prom.business.update(b)
      hub.broadcast('business', b)
    }
  })
  const search = createSearchAnalytics({ redis: app.redis, slowMs: opts.slowSearchMs, log, now: collector.now })

  listen<SearchEvent>(app, searchChannel, (e) => search.record(e))
  listen(app, alertTransitionChannel, (msg) => hub.broadcast('alert', msg))
  listen(app, profileCapturedChannel, (msg) => hub.broadcast('profile', msg))

  let publisher: NodeJS.Timeout | undefined
  const publishTick = async () => {
    await performance.publish()
    if (hub.size > 0) hub.broadcast('metrics', await performance.combined())
  }
  app.addHook('onReady', async () => {
    publisher = setInterval(() => { publishTick().catch((err) => log.warn({ err }, 'metrics publish failed')) }, PUBLISH_MS).unref()
    hub.start()
    business.start()
    rollups.start()
    search.start()
  })
  // Streams end before the server waits for open connections to finish.
  app.addHook('preClose', async () => { hub.closeAll() })
  app.addHook('onClose', async () => {
    clearInterval(publisher)
    business.stop()
    rollups.stop()
    await search.stop()
  })

  await app.register(metricsRoutes, {
    business,
    performance,
    search,
    stream: streamAccess(app, hub, opts.jwtSecret, () => performance.combined())
  })
}
