import { mkdir } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { resolve } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { fuzzystrmatch } from '@electric-sql/pglite/contrib/fuzzystrmatch'
import { pg_trgm as pgTrgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { lockDataDir } from './data-lock.js'
import { Connection, Session } from './pglite-session.js'
import { errorResponse } from './wire.js'

export interface EmbeddedPostgresOptions {
  /** Folder of the database files; created (initdb) on first use. */
  dataDir: string
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port: number
  /**
   * Clients connected at once. Their statements share PGlite's single
   * session and run one at a time. @default 16
   */
  maxConnections?: number
  /** PGlite itself failed (its WASM backend exited): the database is unusable until restarted. */
  onFatal?: (err: Error) => void
}

export interface EmbeddedPostgres {
  /** postgres:// URL of the server (database `postgres`, user `postgres`, no password). */
  url: string
  port: number
  dataDir: string
  /** Milliseconds PGlite took to open (or create) the data folder. */
  openMs: number
  /** Clients connected now (a closed one counts until its clean-up ran). */
  clients: () => number
  /** Stops accepting clients, closes them and shuts PGlite down cleanly. */
  stop: () => Promise<void>
}

/**
 * PostgreSQL without a PostgreSQL install: PGlite (PostgreSQL compiled to
 * WASM) with pg_trgm and fuzzystrmatch, its data in `dataDir`, served over
 * the PostgreSQL wire protocol on 127.0.0.1 so the app, the migrator and
 * the seed use their usual driver and SQL. Run it in its own process: each
 * statement executes synchronously on this process's thread.
 */
export async function startEmbeddedPostgres (opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = resolve(opts.dataDir)
  await mkdir(dataDir, { recursive: true })
  const unlock = await lockDataDir(dataDir)
  let db: PGlite | undefined
  try {
    const started = performance.now()
    db = await PGlite.create({ dataDir, extensions: { pg_trgm: pgTrgm, fuzzystrmatch } })
    const openMs = Math.round(performance.now() - started)
    const session = new Session(db, (err) => opts.onFatal?.(err))
    const server = createServer({ noDelay: true }, (socket) => accept(socket, session, opts.maxConnections ?? 16))
    await listen(server, opts.port)
    const port = (server.address() as { port: number }).port
    const open = db
    let stopping: Promise<void> | undefined
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      dataDir,
      openMs,
      clients: () => session.connections.size,
      stop: () => (stopping ??= stop(server, session, open).finally(unlock))
    }
  } catch (err) {
    await db?.close().catch(() => {})
    await unlock()
    throw err
  }
}

function accept (socket: Socket, session: Session, maxConnections: number): void {
  socket.on('error', () => {}) // a client that vanishes mid-write is cleaned up by 'close'
  if (session.failed || session.connections.size >= maxConnections) {
    // Closed from this side once written: a refused client must not keep the server from closing.
    socket.end(errorResponse('FATAL', '53300', `sorry, too many clients already (embedded PostgreSQL allows ${maxConnections})`), () => socket.destroy())
    return
  }
  const conn = new Connection(socket, session)
  session.connections.add(conn)
  socket.on('data', (chunk) => {
    try {
      conn.receive(chunk)
    } catch {
      socket.destroy() // malformed protocol data
    }
  })
  socket.on('close', () => conn.end())
}

function listen (server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

async function stop (server: Server, session: Session, db: PGlite): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  // Open transactions are rolled back before PGlite shuts down (a clean checkpoint).
  await session.close()
  await closed
  if (!session.failed) await db.close()
}
