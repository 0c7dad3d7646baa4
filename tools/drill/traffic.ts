import { setTimeout as sleep } from 'node:timers/promises'
import type { HttpClient } from '../loadtest/http.js'
import { createRng, intBetween, pick } from '../loadtest/prng.js'

/**
 * The drill's steady traffic: `clients` shoppers, each with one request in
 * flight at most and paced to `ratePerClient` requests a second (when the
 * server slows down, a client waits for its answer, as a browser does).
 * A request is an uncached search of one or two random catalog words, or a
 * product detail out of a small set (cached after the first read).
 */

export interface TrafficOptions {
  http: HttpClient
  clients: number
  ratePerClient: number
  /** Share of requests that are searches, 0..1. */
  searchShare: number
  words: string[]
  productIds: number[]
  /** Access tokens used in turn (each its own rate-limit budget); empty sends none. */
  tokens: string[]
  /**
   * Add `in_stock=true` to every search. The in-process match index answers
   * relevance searches without a stock filter, so only these reach the
   * database's text index, which is what the drill takes away.
   */
  inStock: boolean
  seed: number
}

export interface PhaseStats {
  requests: number
  /** Status code → count (0 = no answer). */
  statuses: Record<string, number>
  searchMs: number[]
  detailMs: number[]
}

export interface Traffic {
  /** Starts a new phase (e.g. "after the drop"); returns the finished one's figures. */
  nextPhase: () => PhaseStats
  /** Stops every client; returns the last phase's figures. */
  stop: () => Promise<PhaseStats>
}

const newPhase = (): PhaseStats => ({ requests: 0, statuses: {}, searchMs: [], detailMs: [] })

export function startTraffic (opts: TrafficOptions): Traffic {
  let phase = newPhase()
  const state = { stopped: false }
  let turn = 0
  const rng = createRng(opts.seed)
  const intervalMs = opts.ratePerClient > 0 ? 1000 / opts.ratePerClient : 0

  function searchPath (): string {
    const words = Array.from({ length: intBetween(rng, 1, 2) }, () => pick(rng, opts.words)).join(' ')
    return `/api/v1/products/search?q=${encodeURIComponent(words)}${opts.inStock ? '&in_stock=true' : ''}`
  }

  async function client (index: number): Promise<void> {
    // Start the clients spread over one interval, not in lockstep.
    await sleep(intervalMs * index / opts.clients)
    while (!state.stopped) {
      const started = performance.now()
      const search = rng() < opts.searchShare
      const token = opts.tokens.length > 0 ? opts.tokens[turn++ % opts.tokens.length] : undefined
      const res = await opts.http.request({ method: 'GET', path: search ? searchPath() : `/api/v1/products/${pick(rng, opts.productIds)}`, token })
      const ms = performance.now() - started
      const p = phase
      p.requests++
      p.statuses[res.status] = (p.statuses[res.status] ?? 0) + 1
      ;(search ? p.searchMs : p.detailMs).push(ms)
      const wait = intervalMs - (performance.now() - started)
      if (wait > 0 && !state.stopped) await sleep(wait)
    }
  }

  const running = Promise.all(Array.from({ length: opts.clients }, (_, i) => client(i)))
  return {
    nextPhase () {
      const done = phase
      phase = newPhase()
      return done
    },
    async stop () {
      state.stopped = true
      await running
      return phase
    }
  }
}

/** The q-quantile (0..1) of `values`, or null without any. */
export function quantile (values: number[], q: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]
}

/** `1234 requests (200: 1200, 429: 34), search p50 3.1 ms p95 9.8 ms, detail p95 1.2 ms` */
export function describePhase (p: PhaseStats): string {
  const f = (v: number | null) => v === null ? '–' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`
  const statuses = Object.entries(p.statuses).map(([s, n]) => `${s === '0' ? 'no answer' : s}: ${n}`).join(', ')
  return `${p.requests} requests (${statuses}), search p50 ${f(quantile(p.searchMs, 0.5))} p95 ${f(quantile(p.searchMs, 0.95))}, detail p95 ${f(quantile(p.detailMs, 0.95))}`
}
