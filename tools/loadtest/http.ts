import http from 'node:http'
import { promisify } from 'node:util'
import zlib from 'node:zlib'

/**
 * A lean HTTP/1.1 client on a keep-alive `node:http` Agent. The load
 * generator shares two cores with the server, PostgreSQL and Redis, so each
 * request costs as little as possible: no URL objects, bodies are discarded
 * unless a journey needs them, and JSON is parsed only then.
 */

const gunzip = promisify(zlib.gunzip)
const brotli = promisify(zlib.brotliDecompress)
const inflate = promisify(zlib.inflate)

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

export interface HttpRequest {
  method: HttpMethod
  /** Path and query string, starting with `/`. */
  path: string
  token?: string
  body?: unknown
  headers?: Record<string, string>
  /** Decode the body and return it parsed (`json`) or as a string (`text`); by default it is discarded. */
  read?: 'json' | 'text'
  /** Open a new connection for this request only (behind node:cluster it may reach another worker). */
  fresh?: boolean
}

export interface HttpResult {
  /** HTTP status, or 0 when no response arrived (see `error`). */
  status: number
  bytes: number
  body?: unknown
  /** `TIMEOUT`, or the socket error code, when `status` is 0. */
  error?: string
  /** Seconds from `Retry-After`, on a 429 or 503. */
  retryAfterS?: number
}

export interface HttpClientOptions {
  baseUrl: string
  /** Keep-alive sockets to the server; requests beyond wait in the agent's queue. */
  connections: number
  /** A request without a complete response after this long is aborted and counted as `TIMEOUT`. */
  timeoutMs: number
  /** Sent as `accept-encoding`; empty sends none. */
  acceptEncoding: string
}

export interface HttpClient {
  request: (req: HttpRequest) => Promise<HttpResult>
  close: () => void
}

async function decode (buf: Buffer, encoding: string | undefined, as: 'json' | 'text'): Promise<unknown> {
  let raw = buf
  if (encoding === 'gzip') raw = await gunzip(buf)
  else if (encoding === 'br') raw = await brotli(buf)
  else if (encoding === 'deflate') raw = await inflate(buf)
  const text = raw.toString('utf8')
  if (as === 'text') return text
  return text.length > 0 ? JSON.parse(text) : undefined
}

export function createHttpClient (opts: HttpClientOptions): HttpClient {
  const base = new URL(opts.baseUrl)
  if (base.protocol !== 'http:') throw new Error(`Only http:// base URLs are supported, got ${opts.baseUrl}`)
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections, maxFreeSockets: opts.connections })
  const hostname = base.hostname
  const port = Number(base.port || 80)
  const prefix = base.pathname.replace(/\/$/, '')

  function headersOf (req: HttpRequest, payload: string | undefined): Record<string, string> {
    const headers: Record<string, string> = { ...req.headers }
    if (opts.acceptEncoding) headers['accept-encoding'] = opts.acceptEncoding
    if (req.token) headers.authorization = `Bearer ${req.token}`
    if (payload !== undefined) {
      headers['content-type'] = 'application/json'
      headers['content-length'] = String(Buffer.byteLength(payload))
    }
    return headers
  }

  function request (req: HttpRequest): Promise<HttpResult> {
    return new Promise((resolve) => {
      const payload = req.body === undefined ? undefined : JSON.stringify(req.body)
      const headers = headersOf(req, payload)
      let settled = false
      const finish = (result: HttpResult): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resolve(result)
      }
      const outgoing = http.request({ agent: req.fresh ? false : agent, hostname, port, method: req.method, path: prefix + req.path, headers }, (res) => {
        const status = res.statusCode ?? 0
        let bytes = 0
        const chunks: Buffer[] | undefined = req.read ? [] : undefined
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length
          chunks?.push(chunk)
        })
        res.on('error', (err: NodeJS.ErrnoException) => finish({ status: 0, bytes, error: err.code ?? err.message }))
        res.on('end', () => {
          if (status === 429 || status === 503) return finish({ status, bytes, retryAfterS: Number(res.headers['retry-after']) || undefined })
          if (!chunks || !req.read) return finish({ status, bytes })
          decode(Buffer.concat(chunks), res.headers['content-encoding'], req.read)
            .then((body) => finish({ status, bytes, body }))
            .catch(() => finish({ status, bytes, error: 'BAD_BODY' }))
        })
      })
      const timer = setTimeout(() => {
        outgoing.destroy()
        finish({ status: 0, bytes: 0, error: 'TIMEOUT' })
      }, opts.timeoutMs)
      outgoing.on('error', (err: NodeJS.ErrnoException) => finish({ status: 0, bytes: 0, error: err.code ?? err.message }))
      outgoing.end(payload)
    })
  }

  return { request, close: () => agent.destroy() }
}
