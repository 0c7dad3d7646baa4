import fp from 'fastify-plugin'
import createError from '@fastify/error'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import type { Redis } from 'ioredis'
import { withDetails } from '../errors.js'
import { connectLimiterClient, identify, LeasedLimiter, normalizeIp, parseAllowList, rateLimitHeaders, RouteLimiter, VerifiedTokenCache, type ClientIdentity, type IpAllowList, type LeaseStats, type LimitCallback, type LimitOutcome } from '../lib/rate-limit/index.js'
import type { RouteRateLimit } from '../lib/http/index.js'
import { DecisionCounter, routeLabel, type DecisionCount } from '../lib/load/index.js'

export interface RateLimitDecorator {
  /** Allowed/limited counts by route, client kind and decision since start. */
  stats: () => DecisionCount[]
  /** Leased routes: requests answered in process, Redis calls, per-request fallbacks, leases held (summed over routes). */
  leaseStats: () => LeaseStats
}

declare module 'fastify' {
  interface FastifyInstance { rateLimit: RateLimitDecorator }
  interface FastifyRequest {
    /** Who this request counted against (set by the rate limiter; null on exempt routes). */
    clientIdentity: ClientIdentity | null
  }
}

export const RateLimitErrors = {
  EXCEEDED: createError<'RATE_LIMIT_EXCEEDED', 429, [number, number, string, number]>(
    // No stack: a refusal is the client's doing, never logged with one, and capturing it was ~30 µs
    // per 429 (a mixed-load profile), paid most when refusals are many.
    'RATE_LIMIT_EXCEEDED', 'Rate limit of %s requests per %s s exceeded for %s; retry in %s s', 429, Error, false)
}

export interface RateLimitPluginOptions {
  /** Limit of routes that declare none (`config.rateLimit` absent). */
  defaultLimit: RouteRateLimit
  /** Limit of requests that match no route (URL probing). */
  notFoundLimit: RouteRateLimit
  /** IPs and CIDRs that bypass every limit (config `RATE_LIMIT_WHITELIST`). */
  whitelist: string[]
  /**
   * Operator overrides of route limits, `METHOD /template=points/seconds` (config
   * `RATE_LIMIT_ROUTES`): one place to retune the per-route limits without touching the routes.
   */
  routeOverrides?: string[]
  /**
   * Largest batch of points a leased route takes from Redis for one client at a time
   * (config `RATE_LIMIT_LEASE_BATCH`; 1 counts every request in Redis). @default 20
   */
  leaseBatch?: number
}

const NOT_FOUND_LABEL = '(not found)'
// ~300 bytes per entry: a few MB for the signed-in users active within their tokens' lifetime.
const VERIFIED_TOKENS_MAX = 20_000

function checkLimit (limit: RouteRateLimit, where: string): void {
  const ok = (n: unknown) => Number.isInteger(n) && (n as number) >= 1
  if (!ok(limit.points) || !ok(limit.duration)) {
    throw new Error(`Invalid rateLimit for ${where}: points and duration must be positive integers, got ${JSON.stringify(limit)}`)
  }
}

type Guard = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void

/** How a route counts: leased budgets, or every request in Redis (`exact: true` routes). */
interface RouteCounter {
  basePoints: number
  consume: (clientKey: string, limit: number, done: LimitCallback) => void
}

/** `POST /api/v1/auth/login=10/60` → label → limit; throws naming the bad entry. */
function parseRouteOverrides (entries: string[]): Map<string, RouteRateLimit> {
  const overrides = new Map<string, RouteRateLimit>()
  for (const entry of entries) {
    const m = /^([A-Z]+(?:,[A-Z]+)*) (\/\S*)=(\d+)\/(\d+)$/.exec(entry.trim())
    if (!m) throw new Error(`RATE_LIMIT_ROUTES: '${entry}' must look like 'GET /api/v1/products/:id=300/60'`)
    const limit = { points: Number(m[3]), duration: Number(m[4]) }
    checkLimit(limit, `RATE_LIMIT_ROUTES entry '${entry}'`)
    overrides.set(routeLabel(m[1].split(','), m[2]), limit)
  }
  return overrides
}

interface GuardContext {
  app: FastifyInstance
  whitelist: IpAllowList
  decisions: DecisionCounter
  tokens: VerifiedTokenCache
}

/**
 * Builds the check of one route: whitelist → identity (user id from a valid
 * token, else the trusted-proxy-aware IP) → the route's limit scaled by the
 * current load (unless `adaptive` is false) counted by the route's counter →
 * headers, or a typed 429. A callback hook: a request whose token was seen
 * before and whose client holds a lease is decided without a promise or I/O.
 */
function createGuard ({ app, whitelist, decisions, tokens }: GuardContext, label: string, counter: RouteCounter, adaptive: boolean, byAddress: boolean): Guard {
  function decide (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void, identity: ClientIdentity): void {
    request.clientIdentity = identity
    const load = app.load.current()
    // Integer per-mille arithmetic: floor(base × multiplier × tightening), never below 1.
    const limit = adaptive ? Math.max(1, Math.floor(counter.basePoints * load.limitFactorPermille / 1000)) : counter.basePoints
    counter.consume(identity.key, limit, (err, outcome) => {
      if (err) return done(err)
      const result = outcome as LimitOutcome
      const headers = rateLimitHeaders(result, load.level, Date.now())
      reply.headers(headers)
      if (result.allowed) {
        decisions.record(label, identity.kind, 'allowed')
        return done()
      }
      decisions.record(label, identity.kind, 'limited')
      const retryS = Number(headers['retry-after'])
      const exceeded = new RateLimitErrors.EXCEEDED(limit, result.windowS, label, retryS)
      done(Object.assign(withDetails(exceeded, [{ message: 'rate limit exceeded', limit, window_s: result.windowS, retry_after_s: retryS, system_load: load.level, client: identity.kind }]), { headers }))
    })
  }

  return function rateLimitGuard (request, reply, done) {
    const ip = normalizeIp(request.ip)
    if (whitelist.has(ip)) {
      decisions.record(label, 'whitelisted', 'allowed')
      return done()
    }
    const authorization = byAddress ? undefined : request.headers.authorization
    if (authorization === undefined) return decide(request, reply, done, identify(ip, undefined))
    // The user id behind a valid bearer token: verified by the auth plugin once per token, then remembered.
    const known = tokens.get(authorization, Date.now())
    if (known !== undefined) return decide(request, reply, done, identify(ip, known))
    request.optionalUser().then((user) => {
      if (user) tokens.set(authorization, user.id)
      decide(request, reply, done, identify(ip, user?.id))
    }, done)
  }
}

async function limiterClient (app: FastifyInstance): Promise<Redis> {
  const client = await connectLimiterClient(app.redis.client, `${app.redis.prefix}:ratelimit`)
  app.addHook('onClose', async () => { await client.quit().catch(() => client.disconnect()) })
  return client
}

/**
 * Adaptive per-client rate limiting. Each route's limit comes from its
 * `config.rateLimit` (the limits live next to the routes) or the
 * default; `rateLimit: false` exempts it. Limits scale with `app.load`
 * (level multiplier × p95 tightening) unless marked `adaptive: false`.
 * Counting is GCRA in Redis on a dedicated connection: budgets leased in
 * batches per client and instance (lib/rate-limit/lease.ts), or every request
 * on `exact: true` routes; an in-memory insurance limiter counts every request
 * during outages.
 */
const rateLimitPlugin: FastifyPluginAsync<RateLimitPluginOptions> = async (app, opts) => {
  checkLimit(opts.defaultLimit, 'the default limit')
  checkLimit(opts.notFoundLimit, 'the not-found handler')
  const whitelist = parseAllowList(opts.whitelist)
  const overrides = parseRouteOverrides(opts.routeOverrides ?? [])
  const overridden = new Set<string>()
  const context: GuardContext = { app, whitelist, decisions: new DecisionCounter(), tokens: new VerifiedTokenCache(VERIFIED_TOKENS_MAX) }
  // Own connection: RateLimiterRedis and the lease script define their Lua commands on it.
  // Without Redis at all (embedded mode) the in-memory limiter counts on its own: no connection.
  const client = app.redis.embedded ? undefined : await limiterClient(app)

  const maxBatch = opts.leaseBatch ?? 20
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`Invalid lease batch ${maxBatch}: a positive integer`)
  const leased: LeasedLimiter[] = []

  const counterFor = (label: string, limit: RouteRateLimit): RouteCounter => {
    const keyPrefix = app.redis.key('ratelimit', label)
    const perRequest = new RouteLimiter({ client, keyPrefix, points: limit.points, durationS: limit.duration })
    const countEach = (clientKey: string, points: number, redis: boolean) => perRequest.consume(clientKey, points, redis)
    if (limit.exact === true) {
      return { basePoints: limit.points, consume: (clientKey, points, done) => { perRequest.consume(clientKey, points).then((o) => done(null, o), done) } }
    }
    const lessee = new LeasedLimiter({ client, keyPrefix, durationS: limit.duration, maxBatch, countEach })
    leased.push(lessee)
    return { basePoints: limit.points, consume: (clientKey, points, done) => lessee.consume(clientKey, points, done) }
  }

  app.decorateRequest('clientIdentity', null)
  app.decorate('rateLimit', {
    stats: () => context.decisions.snapshot(),
    leaseStats: () => leased.reduce((sum, l) => {
      const s = l.stats()
      return { local: sum.local + s.local, redisCalls: sum.redisCalls + s.redisCalls, perRequest: sum.perRequest + s.perRequest, held: sum.held + s.held }
    }, { local: 0, redisCalls: 0, perRequest: 0, held: 0 })
  } satisfies RateLimitDecorator)

  app.addHook('onRoute', (route) => {
    const setting = route.config?.rateLimit
    const label = routeLabel(route.method, route.url)
    const override = overrides.get(label)
    if (setting === false) {
      if (override) throw new Error(`RATE_LIMIT_ROUTES: route ${label} is exempt from rate limits (rateLimit: false)`)
      return
    }
    if (override) overridden.add(label)
    // An override retunes points and window only; the route keeps its `adaptive`, `key` and `exact` settings.
    const limit = override ? { ...setting, ...override } : setting ?? opts.defaultLimit
    checkLimit(limit, `route ${label}`)
    const guard = createGuard(context, label, counterFor(label, limit), limit.adaptive !== false, limit.key === 'address')
    const hooks = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
    route.onRequest = [...hooks, guard as onRequestHookHandler]
  })

  // A typo in an override would silently leave the route on its old limit: fail the boot instead.
  app.addHook('onReady', async () => {
    const unknown = [...overrides.keys()].filter((label) => !overridden.has(label))
    if (unknown.length > 0) throw new Error(`RATE_LIMIT_ROUTES names routes that do not exist: ${unknown.join(', ')}`)
  })

  // Unmatched URLs have no route to hook; one root hook that does nothing for routed requests.
  const notFoundGuard = createGuard(context, NOT_FOUND_LABEL, counterFor(NOT_FOUND_LABEL, opts.notFoundLimit), true, false)
  app.addHook('onRequest', (request, reply, done) => {
    if (!request.is404) return done()
    notFoundGuard(request, reply, done)
  })
}

export default fp(rateLimitPlugin, { name: 'rate-limit', fastify: '5.x', dependencies: ['redis', 'load-sampler'] })
