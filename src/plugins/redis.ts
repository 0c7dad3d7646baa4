import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import { Redis } from 'ioredis'
import { redactUrl } from '../lib/logging/index.js'
import type { RedisConnection } from '../lib/redis/index.js'

export interface RedisPluginOptions {
  url: string
  /** Every key this app writes starts with `${keyPrefix}:`. */
  keyPrefix: string
  /** A command that takes longer fails instead of holding the request. @default 500 */
  commandTimeoutMs: number
  /**
   * No Redis server (REDIS_EMBEDDED): nothing connects, `isReady()` stays
   * false and commands fail at once, so every consumer runs its in-process
   * fallback; `embedded` tells them to skip what only makes sense across
   * instances (pub/sub, leases). @default false
   */
  embedded?: boolean
}

export type RedisDecorator = RedisConnection

declare module 'fastify' {
  interface FastifyInstance { redis: RedisDecorator }
}

/** Options that make a Redis outage cost milliseconds, not a hung request. */
export function redisClientOptions (commandTimeoutMs: number) {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2000,
    retryStrategy: (times: number) => Math.min(times * 200, 2000)
  }
}

/**
 * A client that never connects: closed before its first command, so every
 * command rejects at once ("Connection is closed") instead of dialling the
 * URL. Consumers still holding it degrade exactly as during an outage.
 */
function closedClient (url: string, commandTimeoutMs: number): Redis {
  const client = new Redis(url, redisClientOptions(commandTimeoutMs))
  client.on('error', () => {})
  client.disconnect()
  return client
}

function embeddedRedis (opts: RedisPluginOptions): RedisDecorator {
  return {
    client: closedClient(opts.url, opts.commandTimeoutMs),
    prefix: opts.keyPrefix,
    key: (...parts) => [opts.keyPrefix, ...parts].join(':'),
    isReady: () => false,
    duplicate: () => closedClient(opts.url, opts.commandTimeoutMs),
    embedded: true
  }
}

const redisPlugin: FastifyPluginAsync<RedisPluginOptions> = async (app, opts) => {
  if (opts.embedded) {
    app.decorate('redis', embeddedRedis(opts))
    return
  }
  const client = new Redis(opts.url, redisClientOptions(opts.commandTimeoutMs))
  let downSince: number | undefined
  client.on('error', (err) => {
    // ioredis emits on every reconnect attempt; log the first failure of an outage only.
    if (downSince === undefined) {
      downSince = Date.now()
      app.log.warn({ err: { message: err.message, code: (err as { code?: string }).code } }, 'redis unavailable; degrading to L1 cache and in-memory limits')
    }
  })
  client.on('ready', () => {
    if (downSince !== undefined) app.log.info({ downMs: Date.now() - downSince }, 'redis connection restored')
    downSince = undefined
  })

  try {
    await client.connect()
  } catch (err) {
    client.disconnect()
    throw new Error(`Redis at ${redactUrl(opts.url)} is not reachable: ${(err as Error).message}`, { cause: err })
  }

  const duplicates = new Set<Redis>()
  app.decorate('redis', {
    client,
    prefix: opts.keyPrefix,
    key: (...parts) => [opts.keyPrefix, ...parts].join(':'),
    isReady: () => client.status === 'ready',
    duplicate: () => {
      const dup = client.duplicate()
      duplicates.add(dup)
      return dup
    },
    embedded: false
  })
  app.addHook('onClose', async () => {
    for (const dup of duplicates) dup.disconnect()
    await client.quit().catch(() => client.disconnect())
  })
}

export default fp(redisPlugin, { name: 'redis', fastify: '5.x' })
