import { createRequire } from 'node:module'
import { destination, transport, type DestinationStream } from 'pino'
import type { Config } from '../../config.js'

/** Every log line goes through this stream; `flush` hands what is buffered to the OS (or the printer thread). */
export interface LogStream extends DestinationStream {
  flush: (cb: (err?: Error) => void) => void
}

export interface LogOutput {
  /** `json-async`: buffered JSON lines; `json-sync`: one write per line; `pretty`: pino-pretty in a worker thread. */
  kind: 'json-async' | 'json-sync' | 'pretty'
  stream: LogStream
  /** Resolves once every line logged so far has left the process's buffers. */
  flush: () => Promise<void>
}

/**
 * Beyond this many buffered bytes (a log reader that stopped reading), new lines are dropped
 * instead of growing the heap without bound; sonic-boom's default is no limit.
 */
const MAX_BUFFERED_BYTES = 32 * 1024 * 1024
/** A quiet process still writes its buffered lines within this time. */
const PERIODIC_FLUSH_MS = 1000

// One line per entry: an access-log line reads "GET /api/v1/products/5 200 3.2 ms request completed"
// followed by its other fields; the fields shown in the message are not repeated (no other line
// logs `method`, `path` or `duration_ms`).
const PRETTY_OPTIONS = {
  colorize: true,
  singleLine: true,
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: 'pid,hostname,method,path,duration_ms',
  messageFormat: '{if method}{method} {path} {status} {duration_ms} ms {end}{msg}'
}

/** Whether pino-pretty is installed (a devDependency: a production install has no printer). */
function prettyInstalled (): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty')
    return true
  } catch {
    return false
  }
}

/**
 * Whether lines are printed for people: `LOG_PRETTY=true`, or `auto` on a terminal outside
 * production with no LOG_FILE. `true` without pino-pretty installed stops the boot; `auto`
 * falls back to JSON.
 */
export function wantsPretty (config: Pick<Config, 'logPretty' | 'logFile' | 'nodeEnv'>, stdoutIsTty: boolean): boolean {
  if (config.logPretty === 'false') return false
  if (config.logPretty === 'true') {
    if (!prettyInstalled()) throw new Error('LOG_PRETTY=true: pino-pretty is not installed (it is a devDependency: npm install without --omit=dev)')
    return true
  }
  return stdoutIsTty && config.logFile === '' && config.nodeEnv !== 'production' && prettyInstalled()
}

function flusher (stream: LogStream): () => Promise<void> {
  return () => new Promise((resolve) => {
    // A failed flush (a closed descriptor) has nowhere left to be reported: resolve anyway, never block shutdown.
    stream.flush(() => resolve())
  })
}

/**
 * Where the process's log lines go. By default JSON to standard output (or LOG_FILE) through
 * an asynchronous sonic-boom destination: lines gather in memory up to LOG_BUFFER_BYTES (and at
 * most a second) and leave in one write, instead of one synchronous write per line on the event
 * loop. The app flushes it when it closes, and pino flushes it synchronously on process exit
 * (uncaught errors included); a hard kill (SIGKILL, out of memory) loses at most the buffer.
 * LOG_BUFFER_BYTES=0 writes each line synchronously. On a developer's terminal (wantsPretty)
 * lines are formatted by pino-pretty in a worker thread.
 */
export function createLogOutput (config: Pick<Config, 'logPretty' | 'logFile' | 'nodeEnv' | 'logBufferBytes'>, stdoutIsTty: boolean): LogOutput {
  if (wantsPretty(config, stdoutIsTty)) {
    const stream = transport({ target: 'pino-pretty', options: PRETTY_OPTIONS }) as unknown as LogStream
    return { kind: 'pretty', stream, flush: flusher(stream) }
  }
  const sync = config.logBufferBytes === 0
  const stream = destination({
    dest: config.logFile === '' ? 1 : config.logFile,
    sync,
    minLength: config.logBufferBytes,
    maxLength: sync ? 0 : MAX_BUFFERED_BYTES,
    periodicFlush: sync ? 0 : PERIODIC_FLUSH_MS,
    mkdir: true
  }) as unknown as LogStream
  return { kind: sync ? 'json-sync' : 'json-async', stream, flush: flusher(stream) }
}
