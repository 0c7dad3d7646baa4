import net from 'node:net'
import { AppErrors } from '../errors.js'

/** What postgres.js passes to a custom `socket` function (its parsed options). */
export interface SocketTarget {
  host: string[]
  port: number[]
  /** Unix socket path; empty or absent for TCP. */
  path?: string
}

/** postgres.js' custom `socket` option: called for every new connection. */
export type SocketFactory = (target: SocketTarget) => net.Socket

/**
 * A client-side response deadline for postgres.js, which has none after the
 * handshake (`connect_timeout` ends at the first ReadyForQuery; see
 * porsager/postgres `connection.js`). `statement_timeout` only works while
 * the server answers: a server that keeps the TCP connection but goes silent
 * (frozen process, partition) leaves the query, and every query postgres.js
 * pipelines behind it on that connection, waiting until TCP gives up
 * (minutes). node-postgres' `query_timeout` and pgx solve this the same way
 * we do: the connection that stopped answering is closed.
 *
 * This is postgres.js' documented custom `socket` option: a plain
 * `net.Socket` that watches its own traffic. A write starts the clock when
 * nothing is outstanding; any byte from the server stops it. When the server
 * has sent nothing for `deadlineMs` after a write, the socket is destroyed with
 * `APP_DATABASE_TIMEOUT` (503): postgres.js rejects every query on that
 * connection with it and dials a new one for the next query. `deadlineMs` must
 * exceed `statement_timeout`, so a slow query is ended by the server first and
 * only a silent server reaches the deadline.
 *
 * Limits: bytes count, not messages, so a server that stops midway through a
 * pipeline after answering its first query is caught at the connection's next
 * write; over TLS the deadline covers the handshake up to the TLS upgrade only
 * (postgres.js then swaps the socket's listeners), so it is for plain TCP.
 */
export function createDeadlineSocketFactory (deadlineMs: number): SocketFactory {
  let next = 0
  return (target) => {
    const socket = new net.Socket()
    // What postgres.js does itself without a custom socket: unix path, or the hosts in turn.
    if (target.path) socket.connect(target.path)
    else {
      const i = next++ % target.host.length
      const host = target.host[i]
      const port = target.port[i] ?? target.port[0]
      socket.connect(port, host)
      // postgres.js names host:port in its connection errors from these.
      Object.assign(socket, { host, port })
    }

    let clock: NodeJS.Timeout | undefined
    const stop = () => {
      clearTimeout(clock)
      clock = undefined
    }
    const expired = () => {
      // Data that arrived while the event loop was busy is read in this turn's poll phase,
      // which runs before setImmediate callbacks: a late timer alone never kills a live
      // connection (an answer stops this clock; a write after it starts another).
      const fired = clock
      setImmediate(() => {
        if (clock === fired) socket.destroy(new AppErrors.DATABASE_TIMEOUT())
      })
    }
    // After connect(): it puts back the prototype's write.
    const write = socket.write
    socket.write = function (this: net.Socket, ...args: unknown[]) {
      clock ??= setTimeout(expired, deadlineMs).unref()
      return Reflect.apply(write, this, args) as boolean
    } as typeof socket.write
    socket.on('data', stop)
    socket.on('close', stop)
    return socket
  }
}
