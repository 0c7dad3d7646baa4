import http from 'node:http'

/**
 * The HTTP client of the rolling-restart load: keep-alive sockets
 * (`node:http` Agent, which honours `Connection: close`), bodies read in
 * full, and one retry, on a new connection, of a request whose reused
 * keep-alive socket was closed by the server before any byte of an answer
 * arrived — the rule browsers apply. nginx closes idle client connections when it reloads its
 * configuration; a request written onto such a socket at that instant was
 * never read. autocannon does neither: it writes its next request onto a
 * socket answered with `Connection: close` and, when that socket ends,
 * moves on without counting the lost request.
 */

export interface Answer { status: number, body: string, headers: http.IncomingHttpHeaders }

export interface LoadRequest {
  method: 'GET' | 'POST'
  path: string
  headers: Record<string, string>
  body?: string
}

export interface LoadClient {
  /** The answer, or the error code when none came (after the retry, if one was allowed). */
  send: (req: LoadRequest) => Promise<Answer | { error: string }>
  /** Requests sent again after their reused socket was closed before an answer. */
  retries: () => number
  close: () => void
}

const RETRIABLE = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED'])

interface Failure extends Error { code?: string, reused?: boolean, answerStarted?: boolean }

export function createLoadClient (baseUrl: string, sockets: number, timeoutMs: number): LoadClient {
  const base = new URL(baseUrl)
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets })
  let retries = 0

  /** One request; `fresh` sends it on a new connection of its own (other idle sockets may be closing too). */
  function attempt (req: LoadRequest, fresh = false): Promise<Answer> {
    return new Promise((resolve, reject) => {
      let answerStarted = false
      const r = http.request({ agent: fresh ? false : agent, host: base.hostname, port: Number(base.port || 80), method: req.method, path: req.path, headers: req.headers }, (res) => {
        answerStarted = true
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }))
        res.on('error', reject)
      })
      r.setTimeout(timeoutMs, () => r.destroy(Object.assign(new Error('no answer in time'), { code: 'TIMEOUT' })))
      r.on('error', (err: Failure) => reject(Object.assign(err, { reused: r.reusedSocket, answerStarted })))
      r.end(req.body)
    })
  }

  return {
    send: async (req) => {
      try {
        return await attempt(req)
      } catch (err) {
        const f = err as Failure
        if (!(f.reused && !f.answerStarted && RETRIABLE.has(f.code ?? ''))) return { error: f.code ?? f.message }
        retries++
        try {
          return await attempt(req, true)
        } catch (again) {
          return { error: (again as Failure).code ?? (again as Error).message }
        }
      }
    },
    retries: () => retries,
    close: () => agent.destroy()
  }
}
