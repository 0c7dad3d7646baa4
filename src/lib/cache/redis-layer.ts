import type { FastifyBaseLogger } from 'fastify'
import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { turnBatchOf, type TurnBatch } from '../redis/index.js'
import { withTimeout } from '../timeout.js'

// A few failures in a row open the circuit: while open, L2 is skipped
// outright, so an unreachable or slow Redis costs nothing per request.
const BREAKER_FAILURES = 3
const BREAKER_OPEN_MS = 5000

// Reads the entry and, in the same round trip, the current generation of
// each tag named in its header, so an L2 hit is checked against the
// authoritative generations even when this process missed bus messages.
// HSETNX makes sure an epoch exists (a flushed Redis starts a new one).
const READ_LUA = `
redis.call('HSETNX', KEYS[2], '__epoch', ARGV[1])
local ep = redis.call('HGET', KEYS[2], '__epoch')
local v = redis.call('GET', KEYS[1])
if not v then return {false, ep, {}} end
local nl = string.find(v, '\\n', 1, true)
if not nl then return {v, ep, {}} end
local ok, h = pcall(cjson.decode, string.sub(v, 1, nl - 1))
if ok and type(h) == 'table' and type(h.t) == 'table' and #h.t > 0 then
  return {v, ep, redis.call('HMGET', KEYS[2], unpack(h.t))}
end
return {v, ep, {}}
`

// Bumps each tag to max(stored, caller's local view) + 1 and publishes the
// new generations, atomically. Taking the caller's view into account keeps
// generations growing after a replay of bumps made while Redis was away.
const BUMP_LUA = `
redis.call('HSETNX', KEYS[1], '__epoch', ARGV[2])
local ep = redis.call('HGET', KEYS[1], '__epoch')
local tags, gens = {}, {}
for i = 3, #ARGV, 2 do
  local cur = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  local mine = tonumber(ARGV[i + 1]) or 0
  if mine > cur then cur = mine end
  cur = cur + 1
  redis.call('HSET', KEYS[1], ARGV[i], cur)
  tags[#tags + 1] = ARGV[i]
  gens[#gens + 1] = cur
end
redis.call('PUBLISH', ARGV[1], cjson.encode({ep = ep, t = tags, g = gens}))
return {ep, gens}
`

type ReadReply = [string | null, string, (string | null)[]]
type BumpReply = [string, number[]]

type Callback<T> = (err: Error | null | undefined, reply?: T) => void

/** The commands of this layer on a connection or a pipeline, each with a callback as its last argument. */
interface CacheCommands {
  techmartCacheRead: (entryKey: string, gensKey: string, epochCandidate: string, callback: Callback<ReadReply>) => unknown
  techmartCacheBump: (gensKey: string, channel: string, epochCandidate: string, ...tagAndGenThenCallback: (string | number | Callback<BumpReply>)[]) => unknown
  set: (key: string, value: string, px: 'PX', ms: number, callback: Callback<unknown>) => unknown
}

export interface L2Read {
  /** The raw stored value, or null when the key does not exist. */
  raw: string | null
  epoch: string
  /** Current generation of each tag in the entry header, in header order. */
  gens: number[]
}

/** A bus message: tags bumped to the given generations in an epoch. */
export interface BumpMessage { ep: string, t: string[], g: number[] }

export interface RedisLayerOptions {
  client: Redis
  /** The hash holding every tag's generation and the epoch. */
  gensKey: string
  /** The pub/sub channel bumps are published on. */
  channel: string
  /** Longest wait for one L2 command before giving up on it. */
  timeoutMs: number
  isReady: () => boolean
  log: FastifyBaseLogger
}

class TimeoutError extends Error {}

/**
 * The L2 layer and the invalidation bus on Redis. Every call is bounded by a
 * timeout and a circuit breaker, and never throws: a failure answers
 * `undefined` and the cache carries on with L1 and the database.
 */
export class RedisLayer {
  readonly #opts: RedisLayerOptions
  /** Commands leave with the other commands of the turn on this connection: one write for all. */
  readonly #batch: TurnBatch
  #failures = 0
  #openUntil = 0
  errors = 0
  timeouts = 0

  constructor (opts: RedisLayerOptions) {
    this.#opts = opts
    this.#batch = turnBatchOf(opts.client)
    if (typeof (opts.client as unknown as Partial<CacheCommands>).techmartCacheRead !== 'function') {
      opts.client.defineCommand('techmartCacheRead', { numberOfKeys: 2, lua: READ_LUA })
      opts.client.defineCommand('techmartCacheBump', { numberOfKeys: 1, lua: BUMP_LUA })
    }
  }

  /** False while Redis is disconnected or the circuit is open. */
  available (): boolean {
    return this.#opts.isReady() && Date.now() >= this.#openUntil
  }

  get circuitOpen (): boolean {
    return Date.now() < this.#openUntil
  }

  async read (key: string): Promise<L2Read | undefined> {
    const reply = await this.#call('read', () => this.#send<ReadReply>((c, done) => c.techmartCacheRead(key, this.#opts.gensKey, newEpoch(), done)))
    if (!reply) return undefined
    const [raw, epoch, gens] = reply
    return { raw, epoch: String(epoch), gens: gens.map((g) => Number(g ?? 0)) }
  }

  /** Stores without waiting: the response does not depend on it. */
  write (key: string, value: string, ttlMs: number): void {
    if (ttlMs <= 0) return
    this.#call('write', () => this.#send((c, done) => c.set(key, value, 'PX', Math.ceil(ttlMs), done))).catch(() => {})
  }

  async bump (tags: string[], localGens: number[]): Promise<{ epoch: string, gens: number[] } | undefined> {
    const args: (string | number)[] = []
    tags.forEach((t, i) => args.push(t, localGens[i]))
    const reply = await this.#call('bump', () => this.#send<BumpReply>((c, done) => c.techmartCacheBump(this.#opts.gensKey, this.#opts.channel, newEpoch(), ...args, done)))
    if (!reply) return undefined
    return { epoch: String(reply[0]), gens: reply[1].map(Number) }
  }

  /** One command, sent at the end of the turn with the turn's others (`TurnBatch`). */
  #send<T> (command: (commands: CacheCommands, done: Callback<T>) => void): Promise<T> {
    return new Promise((resolve, reject) => {
      this.#batch.add((target) => {
        command(target as unknown as CacheCommands, (err, reply) => { if (err) reject(err); else resolve(reply as T) })
      })
    })
  }

  async #call<T> (op: string, fn: () => Promise<T>): Promise<T | undefined> {
    if (!this.available()) return undefined
    try {
      const result = await withTimeout(fn(), this.#opts.timeoutMs, { reject: () => new TimeoutError(`L2 ${op} timed out after ${this.#opts.timeoutMs} ms`) })
      this.#failures = 0
      return result
    } catch (err) {
      this.#recordFailure(op, err)
      return undefined
    }
  }

  #recordFailure (op: string, err: unknown): void {
    if (err instanceof TimeoutError) this.timeouts++
    else this.errors++
    this.#failures++
    if (this.#failures >= BREAKER_FAILURES && !this.circuitOpen) {
      this.#openUntil = Date.now() + BREAKER_OPEN_MS
      this.#opts.log.warn({ op, err: { message: (err as Error).message }, openMs: BREAKER_OPEN_MS }, 'cache L2 failing; skipping Redis for a while')
    }
  }
}

/**
 * A fresh epoch id, used only if Redis has none: a new value each time, so a
 * flushed hash never comes back with the epoch it had before.
 */
export function newEpoch (): string {
  return randomUUID().slice(0, 13)
}

/** Parses a bus message; undefined for anything malformed. */
export function parseBumpMessage (raw: string): BumpMessage | undefined {
  try {
    const msg = JSON.parse(raw) as BumpMessage
    // cjson encodes an empty array as {}; a bump always carries tags, so that is malformed here.
    if (typeof msg?.ep !== 'string' || !Array.isArray(msg.t) || !Array.isArray(msg.g) || msg.t.length !== msg.g.length) return undefined
    return msg
  } catch {
    return undefined
  }
}
