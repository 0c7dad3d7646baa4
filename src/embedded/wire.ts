/**
 * The few pieces of the PostgreSQL frontend/backend protocol (v3) the
 * embedded server needs: splitting a client's byte stream into messages,
 * and the handful of messages it answers itself. Everything else is passed
 * to PGlite unchanged.
 */

/** Untyped first messages: their second int32 is one of these codes. */
export const PROTOCOL_V3 = 196_608
export const SSL_REQUEST = 80_877_103
export const GSSENC_REQUEST = 80_877_104
export const CANCEL_REQUEST = 80_877_102

// A message claiming more than this is a broken or hostile client, not data.
const MAX_MESSAGE_BYTES = 512 * 1024 * 1024

/** One client message: `type` is '' for the untyped startup-phase messages. */
export interface ClientMessage {
  type: string
  /** The whole message, type byte and length included, as PGlite expects it. */
  bytes: Uint8Array
  /** For untyped messages: the request code (protocol version, SSL, cancel). */
  code?: number
}

export class ProtocolError extends Error {}

/**
 * Splits a connection's byte stream into whole messages. The first message
 * of a connection has no type byte (startup, SSL or cancel request); the
 * startup message ends that phase.
 */
export class MessageReader {
  #buffer: Buffer = Buffer.alloc(0)
  #startupPhase = true

  /** Appends `chunk` and returns every message now complete, in order. */
  push (chunk: Buffer): ClientMessage[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk])
    const out: ClientMessage[] = []
    for (let next = this.#next(); next !== undefined; next = this.#next()) out.push(next)
    return out
  }

  #next (): ClientMessage | undefined {
    const untyped = this.#startupPhase
    const header = untyped ? 8 : 5
    if (this.#buffer.length < header) return undefined
    const length = untyped ? this.#buffer.readInt32BE(0) : this.#buffer.readInt32BE(1) + 1
    if (length < header || length > MAX_MESSAGE_BYTES) throw new ProtocolError(`invalid message length ${length}`)
    if (this.#buffer.length < length) return undefined
    const bytes = new Uint8Array(this.#buffer.subarray(0, length))
    this.#buffer = this.#buffer.subarray(length)
    if (!untyped) return { type: String.fromCharCode(bytes[0]), bytes }
    const code = new DataView(bytes.buffer).getInt32(4)
    if (code === PROTOCOL_V3) this.#startupPhase = false
    return { type: '', bytes, code }
  }
}

/** A protocol message: `type` byte, int32 length, `body`. */
export function frame (type: string, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(5 + body.length)
  out[0] = type.charCodeAt(0)
  new DataView(out.buffer).setInt32(1, 4 + body.length)
  out.set(body, 5)
  return out
}

/** CopyInResponse: text format, no per-column formats (clients read none of them). */
export function copyInResponse (): Uint8Array {
  return frame('G', new Uint8Array([0, 0, 0]))
}

/** A simple-query message (what a client sends for `sql` without parameters). */
export function simpleQuery (sql: string): Uint8Array {
  return frame('Q', Buffer.from(`${sql}\0`, 'utf8'))
}

/** The SQL of a simple-query ('Q') message. */
export function queryText (message: ClientMessage): string {
  const end = message.bytes.indexOf(0, 5)
  return Buffer.from(message.bytes.subarray(5, end === -1 ? undefined : end)).toString('utf8')
}

const COPY_FROM_STDIN = /^\s*copy\b[\s\S]*\bfrom\s+stdin\b/i

/** True for a simple query that starts `COPY ... FROM STDIN`. */
export function isCopyFromStdin (message: ClientMessage): boolean {
  return message.type === 'Q' && COPY_FROM_STDIN.test(queryText(message))
}

/** `bytes` without its first message when that message is of `type`. */
export function dropFirstMessage (bytes: Uint8Array, type: string): Uint8Array {
  if (bytes.length < 5 || bytes[0] !== type.charCodeAt(0)) return bytes
  const length = new DataView(bytes.buffer, bytes.byteOffset).getInt32(1) + 1
  return bytes.subarray(length)
}

/** Concatenates messages into one buffer. */
export function concat (parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** ErrorResponse with severity, SQLSTATE `code` and `message` (e.g. FATAL 53300 "too many connections"). */
export function errorResponse (severity: 'ERROR' | 'FATAL', code: string, message: string): Uint8Array {
  const fields = [`S${severity}`, `V${severity}`, `C${code}`, `M${message}`].map((f) => `${f}\0`).join('')
  return frame('E', Buffer.from(`${fields}\0`, 'utf8'))
}
