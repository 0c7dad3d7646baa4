import type { FastifyBaseLogger } from 'fastify'
import type { Redis } from 'ioredis'

/**
 * `SET key holder NX PX ttlMs`: true when this call took the key, false
 * while someone holds it. The key lapses after `ttlMs` (nothing releases it).
 */
export async function tryAcquireLease (client: Redis, key: string, holder: string, ttlMs: number): Promise<boolean> {
  return (await client.set(key, holder, 'PX', ttlMs, 'NX')) === 'OK'
}

// Take the lease when free, renew it when ours: one round-trip, atomic.
const ACQUIRE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

export interface LeaderLeaseOptions {
  client: Redis
  key: string
  /** This instance's id. */
  holder: string
  /** The lease lapses this long after the holder's last renewal (a dead leader is replaced after it). */
  ttlMs: number
  /** What the lease is for, at the start of its log lines (`alert evaluation lease`). */
  name: string
  log: FastifyBaseLogger
}

export type LeaderLease = ReturnType<typeof createLeaderLease>

/**
 * A leader lease in Redis (`SET NX PX`, renewed by its holder every tick),
 * so alert evaluation runs on one instance at a time and one alert notifies
 * once, not once per instance. The leader stays the same while it lives, so
 * consecutive evaluations read the same process's metric windows.
 *
 * While Redis is unreachable every instance keeps its last role: the leader
 * goes on evaluating (that is how `redis_down` can fire) and followers do
 * not start, since they cannot know the leader is gone.
 */
export function createLeaderLease (opts: LeaderLeaseOptions) {
  let leader = false
  let unreachable = false

  async function acquire (): Promise<boolean> {
    try {
      const won = await opts.client.eval(ACQUIRE, 1, opts.key, opts.holder, opts.ttlMs)
      if (unreachable) opts.log.info({ leader: won === 1 }, `${opts.name}: redis reachable again`)
      unreachable = false
      leader = won === 1
    } catch (err) {
      if (!unreachable) opts.log.warn({ err: { message: (err as Error).message }, leader }, `${opts.name}: redis unreachable; keeping the current role`)
      unreachable = true
    }
    return leader
  }

  async function release (): Promise<void> {
    if (leader) await opts.client.eval(RELEASE, 1, opts.key, opts.holder).catch(() => {})
    leader = false
  }

  return { acquire, release, isLeader: () => leader }
}

/**
 * The lease of a single process without Redis (embedded mode): always the
 * leader, so alert rules are evaluated there instead of never.
 */
export function createLocalLease (): LeaderLease {
  let leader = false
  return {
    acquire: async () => (leader = true),
    release: async () => { leader = false },
    isLeader: () => leader
  }
}
