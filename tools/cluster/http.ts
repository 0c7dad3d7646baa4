/** Small JSON-over-HTTP helpers for the cluster demo and test (real HTTP, never inject). */

const REQUEST_TIMEOUT_MS = 10_000

export interface CallOptions {
  method?: string
  body?: unknown
  token?: string
  /** Sent as X-Forwarded-For: the instances trust it from 127.0.0.1, as they do from nginx. */
  clientIp?: string
}

export interface CallResult {
  status: number
  headers: Headers
  body: unknown
}

export async function call (url: string, opts: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = {}
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  if (opts.clientIp) headers['x-forwarded-for'] = opts.clientIp
  const res = await fetch(url, {
    method: opts.method ?? 'GET',
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
  })
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: res.status, headers: res.headers, body }
}

/** `call`, asserting the status; the error names the request and the answer. */
export async function callExpect (status: number, url: string, opts: CallOptions = {}): Promise<CallResult> {
  const res = await call(url, opts)
  if (res.status !== status) {
    throw new Error(`${opts.method ?? 'GET'} ${url} answered ${res.status}, expected ${status}: ${JSON.stringify(res.body).slice(0, 300)}`)
  }
  return res
}

/** Logs in through `baseUrl` and returns the access token. */
export async function login (baseUrl: string, email: string, password: string): Promise<string> {
  const res = await callExpect(200, `${baseUrl}/api/v1/auth/login`, { method: 'POST', body: { email, password } })
  return (res.body as { access_token: string }).access_token
}
