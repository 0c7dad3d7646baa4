import type { ChainableCommander, Redis } from 'ioredis'

/** Where a queued command is sent: the connection itself, or the turn's pipeline. */
export type CommandTarget = Redis | ChainableCommander

/**
 * The commands queued on one connection during one turn of the event loop,
 * sent together at its end (`setImmediate`, after the turn's I/O callbacks):
 * one pipeline, so one socket write and one wake-up of redis-server, instead
 * of one each. On two cores shared with redis-server and PostgreSQL, a write
 * that wakes another process cost the event loop ~150 µs in profiles of this
 * service on a two-vCPU virtual machine, and the requests of one turn (up to
 * hundreds under load) each had their own.
 *
 * ioredis' `enableAutoPipelining` flushes on `process.nextTick`, i.e. after
 * each socket's callback, so it batches within one request, not across the
 * requests of a turn. A queued command is built when the batch is sent: its
 * arguments may depend on what happened later in the turn, and a Lua command
 * defined meanwhile is on the pipeline (ioredis copies the defined commands
 * when a pipeline is created).
 */
export class TurnBatch {
  #queued: Array<(target: CommandTarget) => void> = []
  /** Commands queued so far. */
  commands = 0
  /** Writes that carried them: one per turn with commands. */
  writes = 0

  constructor (private readonly client: Redis) {}

  /** Queues `send`, which sends one command to `target` with a callback as its last argument. */
  add (send: (target: CommandTarget) => void): void {
    this.commands++
    if (this.#queued.push(send) === 1) setImmediate(this.#flush)
  }

  readonly #flush = (): void => {
    const queued = this.#queued
    this.#queued = []
    this.writes++
    if (queued.length === 1) {
      queued[0](this.client)
      return
    }
    const pipeline = this.client.pipeline()
    for (const send of queued) send(pipeline)
    // Each command's callback gets its own reply or error; the pipeline's promise repeats them.
    pipeline.exec().catch(() => {})
  }
}

const batches = new WeakMap<Redis, TurnBatch>()

/** The turn batch of `client`, shared by everything that sends through it. */
export function turnBatchOf (client: Redis): TurnBatch {
  let batch = batches.get(client)
  if (batch === undefined) {
    batch = new TurnBatch(client)
    batches.set(client, batch)
  }
  return batch
}
