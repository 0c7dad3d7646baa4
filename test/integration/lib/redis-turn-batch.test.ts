import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Redis } from 'ioredis'
import { turnBatchOf, type CommandTarget } from '../../../src/lib/redis/turn-batch.js'
import { testConfig } from '../../support/helper.js'

/**
 * TurnBatch (src/lib/redis/turn-batch.ts) on the real Redis: the commands of one
 * turn of the event loop leave together, each with its own reply or error.
 */

type Reply = (err: Error | null | undefined, reply?: unknown) => void
type Target = Record<string, (...args: unknown[]) => unknown>

async function connect (t: { after: (fn: () => void) => void }): Promise<Redis> {
  const client = new Redis(testConfig().redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 })
  client.on('error', () => {})
  await client.connect()
  t.after(() => { client.disconnect() })
  return client
}

/** Queues `name(...args)` on the batch of `client` and resolves with its reply. */
function queue (client: Redis, name: string, ...args: unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    turnBatchOf(client).add((target: CommandTarget) => {
      const done: Reply = (err, reply) => { if (err) reject(err); else resolve(reply) }
      ;(target as unknown as Target)[name](...args, done)
    })
  })
}

test('the commands of one turn leave in one write, in order, each with its own reply', async (t) => {
  const client = await connect(t)
  const key = `turn-batch-${process.pid}`
  const batch = turnBatchOf(client)
  assert.equal(turnBatchOf(client), batch, 'one batch per connection')
  const before = batch.writes
  const replies = Promise.all([
    queue(client, 'set', key, '1'),
    queue(client, 'incr', key),
    queue(client, 'incrby', key, 5),
    queue(client, 'get', key)
  ])
  assert.equal(batch.writes, before, 'nothing is sent before the turn ends')
  assert.deepEqual(await replies, ['OK', 2, 7, '7'])
  assert.equal(batch.writes - before, 1)
  // A lone command in a later turn goes out on its own, still one write.
  assert.equal(await queue(client, 'get', key), '7')
  assert.equal(batch.writes - before, 2)
  await client.del(key)
})

test('a command that fails fails alone; the others of its turn get their replies', async (t) => {
  const client = await connect(t)
  const key = `turn-batch-fail-${process.pid}`
  const results = await Promise.allSettled([
    queue(client, 'set', key, 'text'),
    queue(client, 'incr', key),
    queue(client, 'get', key)
  ])
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled'])
  assert.match(String((results[1] as PromiseRejectedResult).reason), /not an integer/)
  assert.equal((results[2] as PromiseFulfilledResult<unknown>).value, 'text')
  await client.del(key)
})

test('a Lua command defined later in the turn is on the turn\'s pipeline', async (t) => {
  const client = await connect(t)
  const first = queue(client, 'ping')
  // Defined after the first command was queued, before the turn ends.
  client.defineCommand('turnBatchEcho', { numberOfKeys: 0, lua: 'return ARGV[1]' })
  const echoed = queue(client, 'turnBatchEcho', 'late')
  assert.deepEqual(await Promise.all([first, echoed]), ['PONG', 'late'])
})

test('on a closed connection every queued command gets an error, none is lost unanswered', async (t) => {
  const client = await connect(t)
  const pending = [queue(client, 'ping'), queue(client, 'get', 'x'), queue(client, 'ping')]
  client.disconnect()
  const results = await Promise.allSettled(pending)
  assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'rejected'])
})
