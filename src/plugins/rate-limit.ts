import fp from 'fastify-plugin'
import createError from '@fastify/error'
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import type { Redis } from 'ioredis'
import { withDetails } from '../errors.js'
import { identify, normalizeIp, parseAllowList, VerifiedTokenCache, type ClientIdentity, type IpAllowList } from '../lib/client-identity.js'
import { rateLimitHeaders } from '../lib/rate-limit-headers.js'
import { RouteLimiter } from '../lib/rate-limit-store.js'
import type { RouteRateLimit } from '../lib/route-config.js'
import { DecisionCounter, routeLabel, type DecisionCount } from '../lib/traffic-decisions.js'

export interface RateLimitDecorator {
  /** Allowed/limited counts by route, client kind and decision since start. */
  stats: () => DecisionCount[]
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
    'RATE_LIMIT_EXCEEDED', 'Rate limit of %s requests per %s s exceeded for %s; retry in %s s', 429)
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
   * `RATE_LIMIT_ROUTES`): one place to retune the spec's table without touching the routes.
   */
  routeOverrides?: string[]
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

type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<void>

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

/** The user id behind a valid bearer token (verified by the auth plugin once per token), else undefined. */
async function userIdOf (request: FastifyRequest, tokens: VerifiedTokenCache): Promise<number | undefined> {
  const authorization = request.headers.authorization
  if (authorization === undefined) return undefined
  const known = tokens.get(authorization, Date.now())
  if (known !== undefined) return known
  const user = await request.optionalUser()
  if (user) tokens.set(authorization, user.id)
  return user?.id
}

/**
 * Builds the check of one route: whitelist → identity (user id from a valid
 * token, else the trusted-proxy-aware IP) → GCRA in Redis against the
 * route's limit scaled by the current load (unless `adaptive` is false) →
 * headers, or a typed 429.
 */
function createGuard ({ app, whitelist, decisions, tokens }: GuardContext, label: string, limiter: RouteLimiter, adaptive: boolean, byAddress: boolean): Guard {
  return async function rateLimitGuard (request, reply) {
    const ip = normalizeIp(request.ip)
    if (whitelist.has(ip)) {
      decisions.record(label, 'whitelisted', 'allowed')
      return
    }
    const identity = identify(ip, byAddress ? undefined : await userIdOf(request, tokens))
    request.clientIdentity = identity
    const load = app.load.current()
    // Integer per-mille arithmetic: floor(base × multiplier × tightening), never below 1.
    const limit = adaptive ? Math.max(1, Math.floor(limiter.basePoints * load.limitFactorPermille / 1000)) : limiter.basePoints
    const outcome = await limiter.consume(identity.key, limit)
    const headers = rateLimitHeaders(outcome, load.level, Date.now())
    reply.headers(headers)
    if (outcome.allowed) {
      decisions.record(label, identity.kind, 'allowed')
      return
    }
    decisions.record(label, identity.kind, 'limited')
    const retryS = Number(headers['retry-after'])
    const err = new RateLimitErrors.EXCEEDED(limit, outcome.windowS, label, retryS)
    throw Object.assign(withDetails(err, [{ message: 'rate limit exceeded', limit, window_s: outcome.windowS, retry_after_s: retryS, system_load: load.level, client: identity.kind }]), { headers })
  }
}

async function connectLimiterClient (app: FastifyInstance): Promise<Redis> {
  const client = app.redis.client.duplicate({ connectionName: `${app.redis.prefix}:ratelimit`, enableAutoPipelining: true })
  // Outages are logged once by the redis plugin; without a listener ioredis prints each one.
  client.on('error', () => {})
  await client.connect()
  app.addHook('onClose', async () => { await client.quit().catch(() => client.disconnect()) })
  return client
}

/**
 * Adaptive per-client rate limiting. Each route's limit comes from its
 * `config.rateLimit` (the spec's table lives next to the routes) or the
 * default; `rateLimit: false` exempts it. Limits scale with `app.load`
 * (level multiplier × p95 tightening) unless marked `adaptive: false`.
 * Counting is GCRA in Redis on a dedicated connection, with an in-memory
 * insurance limiter during outages.
 */
const rateLimitPlugin: FastifyPluginAsync<RateLimitPluginOptions> = async (app, opts) => {
  checkLimit(opts.defaultLimit, 'the default limit')
  checkLimit(opts.notFoundLimit, 'the not-found handler')
  const whitelist = parseAllowList(opts.whitelist)
  const overrides = parseRouteOverrides(opts.routeOverrides ?? [])
  const overridden = new Set<string>()
  const context: GuardContext = { app, whitelist, decisions: new DecisionCounter(), tokens: new VerifiedTokenCache(VERIFIED_TOKENS_MAX) }
  // Own connection: RateLimiterRedis defines its Lua command on the client it is given.
  // Auto-pipelining sends the GCRA calls of one event-loop tick in one socket write: one write
  // per request was the largest single cost of the limiter in the overhead benchmark's profile.
  // Without Redis at all (embedded mode) the in-memory limiter counts on its own: no connection.
  const client = app.redis.embedded ? undefined : await connectLimiterClient(app)

  const limiterFor = (label: string, limit: RouteRateLimit) => new RouteLimiter({
    client, keyPrefix: app.redis.key('ratelimit', label), points: limit.points, durationS: limit.duration
  })

  app.decorateRequest('clientIdentity', null)
  app.decorate('rateLimit', { stats: () => context.decisions.snapshot() } satisfies RateLimitDecorator)

  app.addHook('onRoute', (route) => {
    const setting = route.config?.rateLimit
    const label = routeLabel(route.method, route.url)
    const override = overrides.get(label)
    if (setting === false) {
      if (override) throw new Error(`RATE_LIMIT_ROUTES: route ${label} is exempt from rate limits (rateLimit: false)`)
      return
    }
    if (override) overridden.add(label)
    // An override retunes points and window only; the route keeps its `adaptive` setting.
    const limit = override ? { ...setting, ...override } : setting ?? opts.defaultLimit
    checkLimit(limit, `route ${label}`)
    const guard = createGuard(context, label, limiterFor(label, limit), limit.adaptive !== false, limit.key === 'address')
    const hooks = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
    route.onRequest = [...hooks, guard as onRequestHookHandler]
  })

  // A typo in an override would silently leave the route on its old limit: fail the boot instead.
  app.addHook('onReady', async () => {
    const unknown = [...overrides.keys()].filter((label) => !overridden.has(label))
    if (unknown.length > 0) throw new Error(`RATE_LIMIT_ROUTES names routes that do not exist: ${unknown.join(', ')}`)
  })

  // Unmatched URLs have no route to hook; one root hook that does nothing for routed requests.
  const notFoundGuard = createGuard(context, NOT_FOUND_LABEL, limiterFor(NOT_FOUND_LABEL, opts.notFoundLimit), true, false)
  app.addHook('onRequest', (request, reply, done) => {
    if (!request.is404) return done()
    notFoundGuard(request, reply).then(() => done(), done)
  })
}

export default fp(rateLimitPlugin, { name: 'rate-limit', fastify: '5.x', dependencies: ['redis', 'load-sampler'] })
