/**
 * Response headers of a rate-limited route, in the two dialects clients
 * read: the IETF draft (draft-ietf-httpapi-ratelimit-headers-09: structured
 * `RateLimit-Policy` and `RateLimit`, reset in seconds from now) and GitHub's
 * `X-RateLimit-*` (reset as epoch seconds). Plus `X-System-Load`, the load
 * level that scaled the limit. The draft's earlier `RateLimit-Limit`/
 * `-Remaining`/`-Reset` fields, which it replaced with the two structured ones,
 * are not sent: each header is written and parsed again on every response.
 */
export interface LimitOutcome {
  allowed: boolean
  /** The limit enforced for this request (after load scaling). */
  limit: number
  remaining: number
  windowS: number
  /**
   * Allowed: ms until the whole quota is available again.
   * Limited: ms until the next request would be allowed.
   */
  resetMs: number
}

// The draft names each quota policy; one policy applies per route, so one name serves.
const POLICY = '"default"'

/** Seconds for a header: whole, rounded up, at least 1 while anything is pending. */
export function toHeaderSeconds (ms: number): number {
  return ms <= 0 ? 0 : Math.max(1, Math.ceil(ms / 1000))
}

export function rateLimitHeaders (outcome: LimitOutcome, loadLevel: string, nowMs: number): Record<string, string> {
  const resetS = outcome.allowed ? toHeaderSeconds(outcome.resetMs) : Math.max(1, toHeaderSeconds(outcome.resetMs))
  const limit = String(outcome.limit)
  const remaining = String(outcome.allowed ? outcome.remaining : 0)
  const headers: Record<string, string> = {
    'ratelimit-policy': `${POLICY};q=${limit};w=${outcome.windowS}`,
    ratelimit: `${POLICY};r=${remaining};t=${resetS}`,
    'x-ratelimit-limit': limit,
    'x-ratelimit-remaining': remaining,
    'x-ratelimit-reset': String(Math.ceil((nowMs + resetS * 1000) / 1000)),
    'x-system-load': loadLevel
  }
  if (!outcome.allowed) headers['retry-after'] = String(resetS)
  return headers
}
