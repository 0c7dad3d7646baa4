import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/** Cookie carrying the stream token; scoped to the stream path only. */
export const STREAM_COOKIE = 'techmart_stream'
export const STREAM_PATH = '/api/v1/monitoring/stream'
export const STREAM_TOKEN_TTL_S = 60

/**
 * Short-lived, single-purpose tokens for opening the SSE stream. EventSource
 * cannot send an Authorization header, and the long-lived access token must
 * never travel in a URL (URLs end up in logs and proxies). So an admin
 * exchanges the access token for this token, delivered as an HttpOnly,
 * SameSite=Strict cookie limited to the stream path. It is an HMAC over
 * `user.expiry.nonce` with a key derived from the JWT secret for this
 * purpose only, so it cannot be replayed as an access token (and an access
 * token is not a valid stream token). It is checked when a stream opens
 * and is good for one stream only (stream-tickets.ts remembers used
 * nonces); an open stream is closed after an hour so access is re-checked.
 */
export function createStreamTokens (secret: string, now: () => number = Date.now) {
  const key = createHmac('sha256', secret).update('techmart:monitoring-stream:v1').digest()
  const sign = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url')

  /** A valid, unexpired token's user and nonce (the ticket's identity, for single use); undefined otherwise. */
  function check (token: string | undefined): { userId: number, nonce: string } | undefined {
    const parts = token?.split('.')
    if (!parts || parts.length !== 4) return undefined
    const [user, exp, nonce, mac] = parts
    const expected = Buffer.from(sign(`${user}.${exp}.${nonce}`))
    const sent = Buffer.from(mac)
    if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) return undefined
    if (!/^\d+$/.test(exp) || Number(exp) < Math.floor(now() / 1000)) return undefined
    return /^\d+$/.test(user) ? { userId: Number(user), nonce } : undefined
  }

  return {
    check,

    issue (userId: number): string {
      const payload = `${userId}.${Math.floor(now() / 1000) + STREAM_TOKEN_TTL_S}.${randomBytes(9).toString('base64url')}`
      return `${payload}.${sign(payload)}`
    },

    /** The user id of a valid, unexpired token; undefined otherwise. */
    verify (token: string | undefined): number | undefined {
      return check(token)?.userId
    }
  }
}

export type StreamTokens = ReturnType<typeof createStreamTokens>

/** The Set-Cookie value for a stream token (`Secure` when the request came over HTTPS). */
export function streamCookie (token: string, secure: boolean): string {
  return `${STREAM_COOKIE}=${token}; Path=${STREAM_PATH}; Max-Age=${STREAM_TOKEN_TTL_S}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`
}

/** The stream token from a Cookie header, if present. */
export function readStreamCookie (header: string | undefined): string | undefined {
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === STREAM_COOKIE) return part.slice(eq + 1).trim()
  }
  return undefined
}
