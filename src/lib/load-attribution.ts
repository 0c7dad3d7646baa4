/**
 * Who the load belongs to: each route's share of the in-flight work (the time its requests
 * spent between arrival and response, i.e. its average number of requests in flight, by
 * Little's law), smoothed over a few seconds. The load sampler closes an interval once a
 * second; shedding and the load level read the result, so a flood of one route — a cheap
 * unauthenticated one included — is answered by that route alone instead of raising every
 * client's level. Pure: no timers, no I/O.
 */

/** A route that holds at least this share of the in-flight work, while others have traffic too, dominates the load. */
export const DOMINANT_SHARE = 0.5
/**
 * A dominant route is a flood, not one slow request: it must have answered at least this many
 * requests per interval (smoothed like the busy time).
 */
export const DOMINANT_MIN_REQUESTS = 20
/** Weight of the newest interval in the smoothed busy time (half-life of one sample). */
const SMOOTHING = 0.5
/** Below this, a smoothed busy time is zero (a route that went quiet leaves the accounts' sums). */
const NEGLIGIBLE_MS = 0.01
const TOP_ROUTES = 5

/** Accumulates one route's requests; the sampler's response hook adds to it, nothing else. */
export interface RouteAccount {
  readonly route: string
  /** Health probes: never load of their own, never shed. */
  readonly health: boolean
  busyMs: number
  count: number
  smoothedMs: number
  smoothedCount: number
}

export interface RouteShare {
  route: string
  /** Share of the smoothed in-flight work, 0..1. */
  share: number
  /** Requests answered in the last interval. */
  requests: number
}

export interface LoadAttribution {
  /** The route holding at least DOMINANT_SHARE of the in-flight work while other routes have traffic, if any. */
  dominant: RouteShare | undefined
  /**
   * Share of the in-flight work that is nobody else's load: health probes plus the dominant
   * route. Pressure scaled by (1 − this) is what the other routes put on the process.
   */
  attributedShare: number
  /** The largest shares, for diagnosis. */
  top: RouteShare[]
}

export const NO_ATTRIBUTION: LoadAttribution = Object.freeze({ dominant: undefined, attributedShare: 0, top: [] })

export class LoadAccounts {
  private readonly accounts: RouteAccount[] = []

  /** A new account for `route` (one per route, created at registration). */
  open (route: string, health: boolean): RouteAccount {
    const account: RouteAccount = { route, health, busyMs: 0, count: 0, smoothedMs: 0, smoothedCount: 0 }
    this.accounts.push(account)
    return account
  }

  /** Closes the interval: smooths every account's busy time, starts the next interval, and says who the load belongs to. */
  close (): LoadAttribution {
    let total = 0
    let health = 0
    const busiest: Array<{ account: RouteAccount, requests: number }> = []
    for (const a of this.accounts) {
      const smoothed = SMOOTHING * a.busyMs + (1 - SMOOTHING) * a.smoothedMs
      a.smoothedMs = smoothed < NEGLIGIBLE_MS ? 0 : smoothed
      a.smoothedCount = SMOOTHING * a.count + (1 - SMOOTHING) * a.smoothedCount
      const requests = a.count
      a.busyMs = 0
      a.count = 0
      if (a.smoothedMs === 0) continue
      total += a.smoothedMs
      if (a.health) health += a.smoothedMs
      busiest.push({ account: a, requests })
    }
    if (total === 0) return NO_ATTRIBUTION
    busiest.sort((x, y) => y.account.smoothedMs - x.account.smoothedMs)
    const shareOf = ({ account, requests }: { account: RouteAccount, requests: number }): RouteShare =>
      ({ route: account.route, share: account.smoothedMs / total, requests })
    const top = busiest[0].account
    // What the other routes' clients put on the process: everything but the top route and the probes.
    const others = (total - top.smoothedMs - (health - (top.health ? top.smoothedMs : 0))) / total
    // Dominance needs someone to protect: other routes with traffic in the last seconds, however little.
    const dominant = top.smoothedMs / total >= DOMINANT_SHARE && top.smoothedCount >= DOMINANT_MIN_REQUESTS && others > 0
      ? shareOf(busiest[0])
      : undefined
    const attributed = health + (dominant && !top.health ? top.smoothedMs : 0)
    return { dominant, attributedShare: Math.min(1, attributed / total), top: busiest.slice(0, TOP_ROUTES).map(shareOf) }
  }
}
