/** What the benchmark scripts share: autocannon's typed entry point, the servers' accept queue, latency histograms, the routes `npm run bench` requests. */
import { createRequire } from 'node:module'
import * as hdr from 'hdr-histogram-js'

/** The part of autocannon's API the benchmarks use (the package ships no types). */
export interface AutocannonRequest { method?: string, path: string, headers?: Record<string, string> }
export interface AutocannonResult { requests: { average: number, total: number }, non2xx: number, errors: number, timeouts: number }
export interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on: (event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void) => void
}
export type Autocannon = (opts: {
  url: string
  connections: number
  duration: number
  requests: { method?: string, setupRequest: (r: AutocannonRequest) => AutocannonRequest }[]
}) => AutocannonInstance
export const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon

/**
 * Accept queue of every benchmarked server. autocannon opens all its
 * connections at once; with Node's default of 511, 1,000 of them overflow the
 * queue and the overflowed ones wait for handshake retransmissions (1 s, 3 s,
 * 7 s …). Linux caps it at net.core.somaxconn.
 */
export const BACKLOG = 4096

/** A histogram of microseconds, from 1 µs to a minute, 3 significant digits. */
export const microsHistogram = () => hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 })

/** Milliseconds, from a microsecond histogram; `mean` is 0 for an empty one. */
export interface MsPercentiles { p50: number, p95: number, p975: number, p99: number, mean: number }

/** Percentiles in milliseconds of a microsecond histogram, with `zeros` more values of 0 counted in (requests that spent nothing there). */
export function msPercentiles (recorded: hdr.Histogram, zeros = 0): MsPercentiles {
  let h = recorded
  if (zeros > 0) {
    h = microsHistogram()
    h.add(recorded)
    h.recordValueWithCount(0, zeros)
  }
  const ms = (p: number) => h.getValueAtPercentile(p) / 1000
  return { p50: ms(50), p95: ms(95), p975: ms(97.5), p99: ms(99), mean: h.totalCount > 0 ? h.mean / 1000 : 0 }
}

/** Routes `npm run bench` requests as its users; their per-user budget is its `--budget` (points a minute, through RATE_LIMIT_ROUTES). */
export const BENCH_ROUTES = ['GET /api/v1/products/:id', 'GET /api/v1/products/search'] as const
