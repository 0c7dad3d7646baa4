import type { Socket } from 'node:net'
import type { PGlite } from '@electric-sql/pglite'
import {
  CANCEL_REQUEST, GSSENC_REQUEST, MessageReader, SSL_REQUEST, concat, copyInResponse, dropFirstMessage, isCopyFromStdin, simpleQuery,
  type ClientMessage
} from './wire.js'

/** What one connection asks PGlite to run next. */
interface Unit {
  bytes: Uint8Array
  /** Ends at a point where the client waits for ReadyForQuery (Sync, a simple query, the startup). */
  syncPoint: boolean
  /** COPY FROM STDIN replayed in one piece: PGlite's own CopyInResponse was already answered for it. */
  copy?: boolean
  /** Answered here without PGlite, in turn with the connection's other units (the CopyInResponse). */
  reply?: Uint8Array
  /** The client went away: roll back what it left open. */
  close?: boolean
}

const SYNC = new Uint8Array([0x53, 0, 0, 0, 4])

/**
 * One client connection. PGlite is a single backend session, so a
 * connection's messages are queued here and run by the `Session` in turn.
 *
 * COPY FROM STDIN: PGlite reads the copy data from the same input buffer as
 * the COPY statement (sent separately, the WASM backend finds no data and
 * exits). So the statement is answered with a CopyInResponse here (in turn
 * with the connection's earlier messages), the CopyData messages are
 * collected until CopyDone/CopyFail, and the whole exchange runs as one
 * input; PGlite's own CopyInResponse is dropped.
 */
export class Connection {
  readonly units: Unit[] = []
  #reader = new MessageReader()
  #copy: ClientMessage[] | undefined
  closed = false

  constructor (readonly socket: Socket, private readonly session: Session) {}

  /** Handles one chunk from the socket; false when the connection must end. */
  receive (chunk: Buffer): void {
    for (const message of this.#reader.push(chunk)) {
      if (!this.#accept(message)) {
        this.socket.end()
        return
      }
    }
  }

  #accept (message: ClientMessage): boolean {
    if (message.type === '') {
      if (message.code === SSL_REQUEST || message.code === GSSENC_REQUEST) {
        this.socket.write('N') // no encryption on a loopback-only server
        return true
      }
      // PGlite has no second process to interrupt: a cancel request is accepted and dropped.
      if (message.code === CANCEL_REQUEST) return false
      this.#submit({ bytes: message.bytes, syncPoint: true })
      return true
    }
    if (message.type === 'X') return false
    if (this.#copy) {
      this.#copy.push(message)
      if (message.type === 'c' || message.type === 'f') {
        this.#submit({ bytes: concat(this.#copy.map((m) => m.bytes)), syncPoint: true, copy: true })
        this.#copy = undefined
      }
      return true
    }
    if (isCopyFromStdin(message)) {
      // The client sends its data only after a CopyInResponse, which must come after the
      // answers to everything it sent before: it is a unit of its own, answered in turn.
      this.#copy = [message]
      this.#submit({ bytes: message.bytes, syncPoint: false, reply: copyInResponse() })
      return true
    }
    this.#submit({ bytes: message.bytes, syncPoint: message.type === 'S' || message.type === 'Q' })
    return true
  }

  #submit (unit: Unit): void {
    this.units.push(unit)
    this.session.submit(this)
  }

  /** The socket closed: nothing more runs for it except the clean-up of what it left open. */
  end (): void {
    if (this.closed) return
    this.closed = true
    this.units.length = 0
    this.units.push({ bytes: SYNC, syncPoint: true, close: true })
    this.session.submit(this)
  }

  write (bytes: Uint8Array): void {
    if (!this.closed && this.socket.writable && bytes.length > 0) this.socket.write(bytes)
  }
}

/**
 * Runs the connections' messages on the one PGlite session, one message at
 * a time. A connection that is inside a transaction or an unfinished
 * extended-protocol exchange (no Sync yet) owns the session: the others
 * wait until it reaches ReadyForQuery outside a transaction, so their
 * statements never land in its transaction or its unnamed portal.
 *
 * What this cannot separate is session state: prepared statements, SET
 * (without LOCAL) and session advisory locks are shared by every client,
 * so one client's DEALLOCATE ALL or DISCARD ALL hits the others. Sequential
 * clients (migrate, then seed, then the server) and one pooled connection
 * are safe; that is how `npm start` uses it.
 */
export class Session {
  readonly connections = new Set<Connection>()
  #waiting: Connection[] = []
  #owner: Connection | undefined
  #running = false
  #failure: Error | undefined
  #idleWaiters: (() => void)[] = []
  #closed = false

  constructor (private readonly db: PGlite, private readonly onFatal: (err: Error) => void) {}

  get failed (): boolean { return this.#failure !== undefined }

  submit (conn: Connection): void {
    if (!this.#waiting.includes(conn)) this.#waiting.push(conn)
    this.#pump().catch((err: Error) => this.#fail(err))
  }

  #pick (): Connection | undefined {
    if (this.#owner) return this.#owner.units.length > 0 ? this.#owner : undefined
    return this.#waiting.find((c) => c.units.length > 0)
  }

  async #pump (): Promise<void> {
    if (this.#running) return
    this.#running = true
    try {
      for (let conn = this.#pick(); conn && !this.#failure && !this.#closed; conn = this.#pick()) {
        const unit = conn.units.shift() as Unit
        // Round robin: a connection with more work goes behind the others.
        this.#waiting = this.#waiting.filter((c) => c !== conn)
        if (conn.units.length > 0) this.#waiting.push(conn)
        await (unit.close ? this.#cleanUp(conn) : this.#run(conn, unit))
      }
    } finally {
      this.#running = false
      for (const resolve of this.#idleWaiters.splice(0)) resolve()
    }
  }

  /**
   * Closes every client and resolves once their clean-up (rollback of what
   * they left open) ran; after that nothing touches PGlite any more.
   */
  async close (): Promise<void> {
    for (const conn of this.connections) conn.socket.destroy()
    while (!this.#failure && (this.#running || this.connections.size > 0)) {
      await new Promise<void>((resolve) => this.#idleWaiters.push(resolve))
    }
    this.#closed = true
  }

  async #run (conn: Connection, unit: Unit): Promise<void> {
    if (unit.reply) {
      conn.write(unit.reply)
      this.#owner = conn // until the COPY data has run
      return
    }
    const buffered: Uint8Array[] = []
    await this.db.runExclusive(() => this.db.execProtocolRawStream(unit.bytes, {
      // PGlite reuses its output buffer: copy before handing the bytes on.
      onRawData: (data) => { if (unit.copy) buffered.push(data.slice()); else conn.write(Buffer.from(data)) }
    }))
    if (unit.copy) conn.write(dropFirstMessage(concat(buffered), 'G'))
    this.#owner = unit.syncPoint && !this.db.isInTransaction() ? undefined : conn
  }

  /**
   * After a client left: a Sync ends any half-sent extended query, its open
   * transaction is rolled back, and when no other client is connected the
   * session is reset (DISCARD ALL), as a real backend's exit would drop its
   * prepared statements, settings and session advisory locks.
   */
  async #cleanUp (conn: Connection): Promise<void> {
    this.connections.delete(conn)
    this.#waiting = this.#waiting.filter((c) => c !== conn)
    const wasOwner = this.#owner === conn
    if (this.#owner === conn) this.#owner = undefined
    const discard = () => {}
    await this.db.runExclusive(async () => {
      if (wasOwner) await this.db.execProtocolRawStream(SYNC, { onRawData: discard })
      if (this.db.isInTransaction()) await this.db.execProtocolRawStream(simpleQuery('ROLLBACK'), { onRawData: discard })
      if (this.connections.size === 0) await this.db.execProtocolRawStream(simpleQuery('DISCARD ALL'), { onRawData: discard })
    })
  }

  #fail (err: Error): void {
    if (this.#failure) return
    this.#failure = err
    for (const conn of this.connections) conn.socket.destroy()
    this.onFatal(err)
  }
}
