import type { FastifyBaseLogger } from 'fastify'
import type { SeriesPointData } from '../../../lib/metrics/index.js'
import type { RedisDecorator } from '../../../plugins/redis.js'
import { metricsKeys } from './keys.js'
import type { PublishedSnapshot } from './snapshot.js'

/** An instance that published within this long is alive. */
export const ALIVE_MS = 5000
// A stopped instance stays listed (not alive) this long, then its snapshot expires.
const SNAPSHOT_TTL_MS = 60_000
// Per-second points kept per instance: the 15-minute live chart.
const SERIES_POINTS = 900
const SERIES_TTL_MS = 16 * 60_000
// Instances not seen for an hour leave the index.
const FORGET_AFTER_MS = 3_600_000
const MAX_INSTANCES = 64

export interface InstanceRegistryOptions {
  redis: RedisDecorator
  instanceId: string
  log: FastifyBaseLogger
  /** Epoch milliseconds. */
  now: () => number
}

export type InstanceRegistry = ReturnType<typeof createInstanceRegistry>

/**
 * Cross-instance view through Redis: every instance publishes its snapshot
 * and its new chart points once a second (one pipeline), and reads the
 * others' when a combined view is needed. Every call degrades to "local
 * only" (undefined) when Redis is unreachable; none throws.
 */
export function createInstanceRegistry (opts: InstanceRegistryOptions) {
  const { redis, instanceId } = opts
  let failing = false

  const failed = (err: unknown, what: string) => {
    if (!failing) opts.log.warn({ err: { message: (err as Error).message } }, `monitoring: ${what} failed; showing this instance only`)
    failing = true
    return undefined
  }

  async function publish (published: PublishedSnapshot, newPoints: SeriesPointData[]): Promise<boolean> {
    if (!redis.isReady()) return false
    const now = opts.now()
    const seriesKey = metricsKeys.instanceSeries(redis, instanceId)
    const pipeline = redis.client.multi()
      .set(metricsKeys.instance(redis, instanceId), JSON.stringify(published), 'PX', SNAPSHOT_TTL_MS)
      .zadd(metricsKeys.instances(redis), now, instanceId)
      .zremrangebyscore(metricsKeys.instances(redis), '-inf', now - FORGET_AFTER_MS)
    if (newPoints.length > 0) {
      pipeline.lpush(seriesKey, ...newPoints.map((p) => JSON.stringify(p)))
        .ltrim(seriesKey, 0, SERIES_POINTS - 1)
        .pexpire(seriesKey, SERIES_TTL_MS)
    }
    try {
      await pipeline.exec()
      failing = false
      return true
    } catch (err) {
      failed(err, 'publishing the instance snapshot')
      return false
    }
  }

  /** Other instances seen recently (snapshot `alive` set from their last publish), or undefined without Redis. */
  async function others (): Promise<PublishedSnapshot[] | undefined> {
    if (!redis.isReady()) return undefined
    const now = opts.now()
    try {
      const entries = await redis.client.zrangebyscore(metricsKeys.instances(redis), now - SNAPSHOT_TTL_MS, '+inf', 'WITHSCORES', 'LIMIT', 0, MAX_INSTANCES)
      const ids: string[] = []
      const seen = new Map<string, number>()
      for (let i = 0; i < entries.length; i += 2) {
        if (entries[i] === instanceId) continue
        ids.push(entries[i])
        seen.set(entries[i], Number(entries[i + 1]))
      }
      if (ids.length === 0) return []
      const raw = await redis.client.mget(ids.map((id) => metricsKeys.instance(redis, id)))
      const out: PublishedSnapshot[] = []
      raw.forEach((json, i) => {
        if (!json) return
        const p = JSON.parse(json) as PublishedSnapshot
        p.snapshot.alive = now - (seen.get(ids[i]) ?? 0) <= ALIVE_MS
        out.push(p)
      })
      return out
    } catch (err) {
      return failed(err, 'reading other instances')
    }
  }

  /** Chart points of the given instances (newest first in Redis), oldest first, or undefined without Redis. */
  async function series (ids: string[]): Promise<SeriesPointData[][] | undefined> {
    if (!redis.isReady() || ids.length === 0) return ids.length === 0 ? [] : undefined
    try {
      const pipeline = redis.client.pipeline()
      for (const id of ids) pipeline.lrange(metricsKeys.instanceSeries(redis, id), 0, SERIES_POINTS - 1)
      const results = await pipeline.exec()
      return (results ?? []).map(([err, list]) => err ? [] : (list as string[]).map((j) => JSON.parse(j) as SeriesPointData).reverse())
    } catch (err) {
      return failed(err, 'reading instance series')
    }
  }

  return { publish, others, series }
}
