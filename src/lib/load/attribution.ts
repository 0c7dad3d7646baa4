/**
 * Who the load belongs to. Each route (and unmatched URLs) accounts its requests and the time
 * they spent in flight, smoothed over a few seconds. A route's share of the load is its share
 * of the requests: every request costs the event loop its turn (parsing, routing, hooks,
 * serialization, the access-log line: 110–130 µs of CPU for a cached product detail in the
 * middleware benchmark), and a flood is a flood of requests. The load sampler closes an
 * interval once a second; shedding and the load level read the result, so a flood of one route
 * is answered by that route alone instead of raising every client's level. Pure: no timers,
 * no I/O.
 *
 * Why not the time in flight: it measures waiting as much as work. With 64 connections
 * flooding a cached /openapi.json beside 100 browsing requests/s on an overloaded machine, the
 * flood answered 3,000–4,400 requests a second (97 % of them) but held 6–69 % of the time in
 * flight, because each browsing request waited 100 ms and more for the database and for the
 * event loop the flood kept busy, while each flood request took a fraction of a millisecond;
 * by time, the browsing pages looked like the flood and were shed. The time share is kept in
 * the figures for diagnosis. A flood of an expensive route at a low rate is the per-client
 * rate limits' to stop (every such route is limited).
 */

/** A route with at least this share of the requests, while others have traffic too, dominates the load. */
export const DOMINANT_SHARE = 0.5
/**
 * A dominant route is a flood, not one slow request: it must have answered at least this many
 * requests per interval (smoothed).
 */
export const DOMINANT_MIN_REQUESTS = 20
/** Weight of the newest interval in the smoothed figures (half-life of one sample). */
const SMOOTHING = 0.5
/** Below these, a smoothed figure is zero (a route that went quiet leaves the sums). */
const NEGLIGIBLE_MS = 0.01
const NEGLIGIBLE_COUNT = 0.01
const TOP_ROUTES = 5

/** Accumulates one route's requests; the sampler's response hook adds to it, nothing else. */
export interface RouteAccount {
  readonly route: string
  /** Health probes: never shed, and not a route to protect from a flood (a probe flood still dominates). */
  readonly health: boolean
  busyMs: number
  count: number
  smoothedMs: number
  smoothedCount: number
}

export interface RouteShare {
  route: string
  /** Share of the requests answered (smoothed), 0..1: the route's share of the load. */
  share: number
  /** Share of the time requests spent in flight (smoothed), 0..1: diagnosis only. */
  timeShare: number
  /** Requests answered in the last interval. */
  requests: number
}

export interface LoadAttribution {
  /** The route whose share reaches DOMINANT_SHARE, with enough requests and while other routes have traffic, if any. */
  dominant: RouteShare | undefined
  /**
   * Share of the load that is not the other routes' clients': the dominant route's (a flood of
   * health probes included), else 0. Pressure scaled by (1 − this) is what the others put on
   * the process.
   */
  attributedShare: number
  /** The largest shares, for diagnosis. */
  top: RouteShare[]
}

export const NO_ATTRIBUTION: LoadAttribution = Object.freeze({ dominant: undefined, attributedShare: 0, top: [] })

const smooth = (previous: number, latest: number, negligible: number): number => {
  const v = SMOOTHING * latest + (1 - SMOOTHING) * previous
  return v < negligible ? 0 : v
}

export class LoadAccounts {
  private readonly accounts: RouteAccount[] = []

  /** A new account for `route` (one per route, created at registration). */
  open (route: string, health: boolean): RouteAccount {
    const account: RouteAccount = { route, health, busyMs: 0, count: 0, smoothedMs: 0, smoothedCount: 0 }
    this.accounts.push(account)
    return account
  }

  /** Closes the interval: smooths every account, starts the next interval, and says who the load belongs to. */
  close (): LoadAttribution {
    let totalMs = 0
    let totalCount = 0
    const active: Array<{ account: RouteAccount, requests: number }> = []
    for (const a of this.accounts) {
      a.smoothedMs = smooth(a.smoothedMs, a.busyMs, NEGLIGIBLE_MS)
      a.smoothedCount = smooth(a.smoothedCount, a.count, NEGLIGIBLE_COUNT)
      const requests = a.count
      a.busyMs = 0
      a.count = 0
      if (a.smoothedCount === 0 && a.smoothedMs === 0) continue
      totalMs += a.smoothedMs
      totalCount += a.smoothedCount
      active.push({ account: a, requests })
    }
    if (active.length === 0) return NO_ATTRIBUTION
    const shares = active.map(({ account, requests }) => {
      const requestShare = totalCount > 0 ? account.smoothedCount / totalCount : 0
      const timeShare = totalMs > 0 ? account.smoothedMs / totalMs : 0
      return { health: account.health, smoothedCount: account.smoothedCount, share: { route: account.route, share: requestShare, timeShare, requests } }
    }).sort((x, y) => y.share.share - x.share.share)
    const top = shares[0]
    // Dominance needs someone to protect: other (non-health) routes with traffic in the last seconds, however little.
    const others = shares.some((s) => s !== top && !s.health)
    const dominant = top.share.share >= DOMINANT_SHARE && top.smoothedCount >= DOMINANT_MIN_REQUESTS && others ? top.share : undefined
    return { dominant, attributedShare: dominant?.share ?? 0, top: shares.slice(0, TOP_ROUTES).map((s) => s.share) }
  }
}
