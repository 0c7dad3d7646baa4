import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'
import type { Generations } from './generations.js'
import type { MemoryLru } from './memory-lru.js'
import type { RedisConnection } from '../redis/index.js'
import { parseBumpMessage, type RedisLayer } from './redis-layer.js'

// How often bumps made while Redis was unreachable are retried.
const REPLAY_INTERVAL_MS = 1000
// After the bus reconnects, how long `coherent()` stays false: other instances replay the bumps
// they made during the outage within about REPLAY_INTERVAL_MS of their own reconnection.
const COHERENCE_GRACE_MS = 2 * REPLAY_INTERVAL_MS

export interface InvalidatorDeps {
  redis: RedisConnection
  log: FastifyBaseLogger
  l2: RedisLayer
  gens: Generations
  l1: MemoryLru
  resetEpoch: (epoch: string) => void
  /** Listen to other instances' bumps (off when the cache is disabled: there is no L1 to keep right). */
  subscribe: boolean
  /** Told of every invalidation this process applies, before its entries stop being served. */
  onInvalidate: (tags: string[]) => void
}

/**
 * Tag invalidation across instances: a bump raises the tags' generations in
 * Redis and publishes them on a channel every instance listens to. A bump
 * that cannot reach Redis is applied locally and replayed later, so other
 * instances and L2 learn of it once Redis is back.
 */
export function createInvalidator (deps: InvalidatorDeps) {
  const { redis, log, l2, gens, l1 } = deps
  const channel = `${redis.prefix}:cache:invalidations`
  const pendingTags = new Set<string>()
  let replayTimer: NodeJS.Timeout | undefined
  let subscriber: Redis | undefined
  let closed = false
  let subscriberDown = false
  // Epoch ms from which this process hears every other instance's bumps (Infinity while the bus is down).
  let coherentFrom = deps.subscribe ? Infinity : 0

  function apply (epoch: string, tags: string[], values: number[]): void {
    deps.onInvalidate(tags)
    if (epoch !== gens.epoch) deps.resetEpoch(epoch)
    tags.forEach((tag, i) => gens.raise(tag, values[i]))
  }

  /**
   * Bumps `tags` (deduplicated, in first-seen order). Answers the epoch and
   * the new generations Redis gave them, in that order, or undefined when
   * the bump stayed local (Redis unreachable, embedded mode) or `tags` is empty.
   */
  async function invalidate (tags: string[]): Promise<{ epoch: string, gens: number[] } | undefined> {
    const unique = [...new Set(tags)]
    if (unique.length === 0) return undefined
    const res = await l2.bump(unique, gens.snapshot(unique))
    if (res) {
      apply(res.epoch, unique, res.gens)
      return res
    }
    // Redis is away: this instance stops serving the entries now; the others learn on replay.
    // Without Redis at all (embedded mode) there are no others: the local bump is final.
    deps.onInvalidate(unique)
    for (const tag of unique) {
      gens.raise(tag, gens.get(tag) + 1)
      if (!redis.embedded) pendingTags.add(tag)
    }
    scheduleReplay()
    return undefined
  }

  function scheduleReplay (): void {
    if (replayTimer !== undefined || closed || pendingTags.size === 0) return
    replayTimer = setTimeout(() => {
      replayTimer = undefined
      replay().catch((err) => log.warn({ err }, 'cache invalidation replay failed'))
    }, REPLAY_INTERVAL_MS)
    replayTimer.unref()
  }

  async function replay (): Promise<void> {
    const tags = [...pendingTags]
    if (tags.length === 0) return
    const res = await l2.bump(tags, gens.snapshot(tags))
    if (!res) {
      scheduleReplay()
      return
    }
    apply(res.epoch, tags, res.gens)
    // A tag bumped again locally while this replay was in flight stays pending.
    tags.forEach((tag, i) => { if (gens.get(tag) <= res.gens[i]) pendingTags.delete(tag) })
    log.info({ tags: tags.length }, 'published cache invalidations made while Redis was unreachable')
    scheduleReplay()
  }

  function onMessage (_channel: string, raw: string): void {
    const msg = parseBumpMessage(raw)
    if (msg) apply(msg.ep, msg.t, msg.g)
  }

  async function onSubscriberReady (): Promise<void> {
    if (!subscriberDown) return
    subscriberDown = false
    // Messages published while disconnected are lost: resubscribe, then drop
    // L1 so nothing invalidated meanwhile is served from memory.
    await subscriber?.subscribe(channel).catch(() => {})
    l1.clear()
    if (!subscriberDown) coherentFrom = Date.now() + COHERENCE_GRACE_MS
    log.info('cache bus reconnected; dropped L1 in case invalidations were missed')
    scheduleReplay()
  }

  function busLost (): void {
    subscriberDown = true
    coherentFrom = Infinity
  }

  async function start (): Promise<void> {
    redis.client.on('ready', scheduleReplay)
    if (!deps.subscribe) return
    subscriber = redis.duplicate()
    subscriber.on('error', (err) => {
      if (subscriberDown) return
      busLost()
      log.warn({ err: { message: err.message } }, 'cache bus disconnected; serving from L1 and the database')
    })
    subscriber.on('close', busLost)
    subscriber.on('ready', () => { onSubscriberReady().catch(() => {}) })
    subscriber.on('message', onMessage)
    await subscriber.connect()
    await subscriber.subscribe(channel)
    coherentFrom = 0
  }

  async function stop (): Promise<void> {
    closed = true
    clearTimeout(replayTimer)
    redis.client.off('ready', scheduleReplay)
    if (subscriber) {
      subscriber.removeAllListeners('message')
      subscriber.disconnect()
    }
  }

  return {
    invalidate,
    start,
    stop,
    pending: () => pendingTags.size,
    /** True while a local bump of `tag` waits to be replayed to Redis (its generation here may be ahead of Redis's). */
    isPending: (tag: string) => pendingTags.has(tag),
    /**
     * True while this process hears every other instance's invalidations: the
     * bus is subscribed (and has been for COHERENCE_GRACE_MS after a
     * reconnection, time for the others to replay what they bumped during the
     * outage), or there is no bus to hear (embedded mode, the cache off).
     */
    coherent: () => Date.now() >= coherentFrom
  }
}

export type Invalidator = ReturnType<typeof createInvalidator>
