import type { CurveOptions } from './curve.js'
import type { FloodOptions } from './flood.js'
import type { ArrivalProcess, LoadModel } from './open-model.js'
import type { Targets } from './report.js'
import type { JourneyMix, ScenarioName } from './scenarios.js'
import type { AuthMode } from './users.js'

/** Every setting of a run; the CLI fills it from flags, the smoke test and before-after pass it directly. */
export interface LoadTestOptions {
  baseUrl: string
  /** The database the server under test uses: ids, words and users are read (and created) there. */
  databaseUrl: string
  scenario: ScenarioName
  /** Virtual users (distinct accounts), the base population in a spike. */
  users: number
  durationS: number
  /** Seconds of traffic before the measured window (filled caches, warmed JIT), not reported. */
  warmupS: number
  /** Open model: requests per second the schedule asks for at 1x. @default users * DEFAULT_USER_RPS */
  rate?: number
  model: LoadModel
  arrival: ArrivalProcess
  /** Closed model: think time between a user's requests. @default 0 */
  thinkMs: number
  seed: number
  /** Popularity skew of products, categories and search words (0 = uniform). */
  zipf: number
  connections: number
  timeoutMs: number
  /** Open model: drop (as an error) a request this far behind its schedule. */
  maxLagMs: number
  maxInFlight: number
  auth: AuthMode
  /** Signs minted tokens; must be the server's JWT_SECRET. */
  jwtSecret: string
  jwtExpiresInS: number
  /** Password of the demo accounts (DEMO_PASSWORD). */
  password: string
  /** Bearer for /metrics; when empty an admin token is used. */
  metricsToken: string
  acceptEncoding: string
  /** Flash sale: units of the promoted product. */
  flashStock?: number
  mix?: JourneyMix
  targets: Targets
  /** Capacity curve: offer these rates one step each (open model) instead of one `rate` for `durationS`. */
  curve?: CurveOptions
  /** A flood of one path beside the journeys (its own process, closed loop). */
  flood?: FloodOptions
}

/**
 * Requests per second per user by default (a click every ~0.8 s on average,
 * Poisson). The target is more than 1000 RPS from 1000 concurrent users, so a
 * user must average more than one request a second; 1.2 puts the schedule
 * 20% above the throughput target. `--rate` sets any other total.
 */
export const DEFAULT_USER_RPS = 1.2
