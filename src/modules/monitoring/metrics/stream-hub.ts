import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import type { ServerResponse } from 'node:http'

const HEARTBEAT_MS = 15_000
// Open streams are closed after this long so the client re-authenticates.
const MAX_LIFETIME_MS = 3_600_000
// A client this far behind is not reading: drop it rather than buffer without bound.
const MAX_BUFFERED_BYTES = 1024 * 1024
const RECONNECT_MS = 3000
export const MAX_STREAM_CLIENTS = 100
/** Streams one user may hold on one instance, so no single account takes every slot. */
export const MAX_STREAMS_PER_USER = 3

/** What `open` did: took over the reply, or refused (every slot taken, or the user's share). */
export type OpenResult = 'opened' | 'full' | 'user-limit'

interface Client {
  res: ServerResponse
  openedAt: number
  userId: number | undefined
}

export type StreamHub = ReturnType<typeof createStreamHub>

/**
 * Server-Sent Events fan-out for the dashboard. Each event is serialized
 * once and written to every client; heartbeat comments keep proxies from
 * timing the connection out; a client that disconnects is removed at once,
 * and one that stops reading is dropped. The reply is hijacked, so no
 * compression or other onSend hook can buffer the events.
 */
export function createStreamHub (opts: { log: FastifyBaseLogger, now?: () => number }) {
  const now = opts.now ?? Date.now
  const clients = new Set<Client>()
  let heartbeat: NodeJS.Timeout | undefined

  function streamsOf (userId: number): number {
    let n = 0
    for (const c of clients) if (c.userId === userId && !c.res.writableEnded && !c.res.destroyed) n++
    return n
  }

  function drop (client: Client): void {
    clients.delete(client)
    if (!client.res.writableEnded) client.res.end()
  }

  function write (client: Client, chunk: string): void {
    if (client.res.writableEnded || client.res.destroyed) {
      clients.delete(client)
      return
    }
    if (client.res.writableLength > MAX_BUFFERED_BYTES) {
      opts.log.warn({ userId: client.userId }, 'monitoring stream client is not reading; dropping it')
      drop(client)
      return
    }
    client.res.write(chunk)
  }

  return {
    /** Takes over the reply and registers it, unless the hub or the user's share of it is full. */
    open (request: FastifyRequest, reply: FastifyReply, userId: number | undefined): OpenResult {
      if (clients.size >= MAX_STREAM_CLIENTS) return 'full'
      if (userId !== undefined && streamsOf(userId) >= MAX_STREAMS_PER_USER) return 'user-limit'
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
        'x-request-id': request.id
      })
      res.write(`retry: ${RECONNECT_MS}\n\n`)
      const client: Client = { res, openedAt: now(), userId }
      clients.add(client)
      res.on('close', () => clients.delete(client))
      return 'opened'
    },

    /** Sends `data` as event `event` to every client. */
    broadcast (event: string, data: unknown): void {
      if (clients.size === 0) return
      const chunk = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
      for (const client of clients) write(client, chunk)
    },

    get size (): number {
      return clients.size
    },

    start (): void {
      heartbeat = setInterval(() => {
        const t = now()
        for (const client of clients) {
          if (t - client.openedAt > MAX_LIFETIME_MS) drop(client)
          else write(client, `: ping ${t}\n\n`)
        }
      }, HEARTBEAT_MS).unref()
    },

    /** Ends every stream (shutdown must not wait for dashboards to hang up). */
    closeAll (): void {
      clearInterval(heartbeat)
      for (const client of clients) drop(client)
    }
  }
}
