import { decisionChannel } from '../observability/index.js'
import type { ClientKind } from '../rate-limit/index.js'

/** What the admission layer did with a request. */
export type Decision = 'allowed' | 'limited' | 'shed'

export interface DecisionEvent {
  /** Route template with method (`GET /api/v1/products/:id`), never a raw URL: bounded cardinality. */
  route: string
  /**
   * `user` / `ip` / `whitelisted`. Shedding runs before the token is verified (it must stay cheap),
   * so for `shed` it is `user` when a bearer token was presented, else `ip`.
   */
  clientKind: ClientKind
  decision: Decision
  /** Why a request was shed (`event_loop_delay`, `event_loop_utilization`, `heap`). */
  reason?: string
}

export interface DecisionCount extends DecisionEvent {
  count: number
}

/**
 * In-process counts of admission decisions by route, client kind, decision
 * and reason. Counts sit in a small map per route, keyed by a constant string
 * when there is no reason, so counting an allowed request allocates nothing.
 */
export class DecisionCounter {
  private readonly routes = new Map<string, Map<string, DecisionCount>>()

  record (route: string, clientKind: ClientKind, decision: Decision, reason?: string): void {
    let counts = this.routes.get(route)
    if (!counts) {
      counts = new Map()
      this.routes.set(route, counts)
    }
    const key = reason === undefined ? KEYS[clientKind][decision] : `${clientKind}:${decision}:${reason}`
    const entry = counts.get(key)
    if (entry) entry.count++
    else counts.set(key, reason === undefined ? { route, clientKind, decision, count: 1 } : { route, clientKind, decision, reason, count: 1 })
    if (decisionChannel.hasSubscribers) {
      decisionChannel.publish(reason === undefined ? { route, clientKind, decision } : { route, clientKind, decision, reason })
    }
  }

  /** A copy of every count so far. */
  snapshot (): DecisionCount[] {
    return [...this.routes.values()].flatMap((counts) => [...counts.values()].map((c) => ({ ...c })))
  }
}

const KINDS: ClientKind[] = ['user', 'ip', 'whitelisted']
const DECISIONS: Decision[] = ['allowed', 'limited', 'shed']
const KEYS = Object.fromEntries(KINDS.map((k) => [k, Object.fromEntries(DECISIONS.map((d) => [d, `${k}:${d}`]))])) as Record<ClientKind, Record<Decision, string>>

/** `GET /api/v1/products/:id` for a route's method(s) and template; HEAD counts as GET (same resource, same budget). */
export function routeLabel (method: string | string[], url: string): string {
  const methods = [...new Set((Array.isArray(method) ? method : [method]).map((m) => (m === 'HEAD' ? 'GET' : m)))]
  return `${methods.join(',')} ${url}`
}
