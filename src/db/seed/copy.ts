import { once } from 'node:events'
import { finished } from 'node:stream/promises'
import type { Writable } from 'node:stream'
import type postgres from 'postgres'

/** One column value as COPY text format understands it; money and decimals travel as strings. */
export type CopyValue = string | number | boolean | null

// Strings are buffered up to this size before one write: large enough that the
// per-message overhead vanishes, small enough that memory stays flat.
const CHUNK_CHARS = 256 * 1024

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }
const NEEDS_ESCAPE = /[\\\t\n\r]/
const ESCAPE_ALL = /[\\\t\n\r]/g

/** Escapes one value for COPY's text format: backslash, tab, newline and CR; null is `\N`. */
export function formatCopyValue (value: CopyValue): string {
  if (value === null) return '\\N'
  if (typeof value === 'string') return NEEDS_ESCAPE.test(value) ? value.replace(ESCAPE_ALL, (ch) => ESCAPES[ch]) : value
  if (typeof value === 'boolean') return value ? 't' : 'f'
  // NaN and Infinity would load as numeric specials; they only come from a generator bug.
  if (!Number.isFinite(value)) throw new TypeError(`COPY value must be a finite number, got ${value}`)
  return String(value)
}

/** One COPY text-format line (tab-separated, newline-terminated). */
export function formatCopyRow (row: readonly CopyValue[]): string {
  let line = formatCopyValue(row[0])
  for (let i = 1; i < row.length; i++) line += '\t' + formatCopyValue(row[i])
  return line + '\n'
}

/**
 * postgres.js 3.4.9 never settles a COPY writable when the server rejects the
 * data after the last chunk (FK checks run at end of statement), so awaiting
 * `finish` would hang forever (porsager/postgres#1173). The driver still hands
 * that error to the query's internal `reject`; we listen there so the error
 * surfaces and the surrounding transaction rolls back.
 */
function serverErrorOf (query: object): Promise<never> {
  const internal = query as { reject?: (err: unknown) => void }
  const original = internal.reject
  const failure = new Promise<never>((_resolve, reject) => {
    if (typeof original !== 'function') return
    internal.reject = (err) => {
      reject(err)
      original.call(query, err)
    }
  })
  // Observed through Promise.race below; never an unhandled rejection.
  failure.catch(() => {})
  return failure
}

interface CopyTarget {
  stream: Writable
  table: string
  width: number
  failure: Promise<never>
  onRows: ((written: number) => void) | undefined
  streamError: () => unknown
}

async function writeRows ({ stream, table, width, failure, onRows, streamError }: CopyTarget, rows: Iterable<readonly CopyValue[]>): Promise<number> {
  let buffer = ''
  let written = 0
  for (const row of rows) {
    if (row.length !== width) throw new TypeError(`COPY ${table}: row has ${row.length} values for ${width} columns`)
    buffer += formatCopyRow(row)
    written++
    if (buffer.length < CHUNK_CHARS) continue
    if (streamError() !== undefined) throw streamError()
    if (!stream.write(buffer)) await drain(stream, failure)
    buffer = ''
    onRows?.(written)
  }
  if (streamError() !== undefined) throw streamError()
  stream.end(buffer)
  return written
}

async function drain (stream: Writable, failure: Promise<never>): Promise<void> {
  await Promise.race([once(stream, 'drain'), failure])
}

/**
 * Streams `rows` into `table` with `COPY ... FROM STDIN` (text format),
 * honouring backpressure so memory stays bounded whatever the row count.
 * `onRows(n)` is called after each chunk with the rows written so far.
 * Returns the number of rows written.
 */
export async function copyRows (
  tx: postgres.TransactionSql,
  table: string,
  columns: readonly string[],
  rows: Iterable<readonly CopyValue[]>,
  onRows?: (written: number) => void
): Promise<number> {
  const query = tx`COPY ${tx(table)} (${tx(columns as string[])}) FROM STDIN`
  const failure = serverErrorOf(query)
  const stream = await Promise.race([query.writable(), failure])
  let streamError: unknown
  stream.on('error', (err) => { streamError ??= err })
  let written = 0
  try {
    written = await writeRows({ stream, table, width: columns.length, failure, onRows, streamError: () => streamError }, rows)
  } catch (err) {
    // CopyFail: the server aborts this COPY and the connection stays usable for the rollback.
    stream.destroy(err as Error)
    throw err
  }
  await Promise.race([finished(stream), failure])
  onRows?.(written)
  return written
}
