import { exponential, type Rng } from './prng.js'

/**
 * When each virtual user sends its next request.
 *
 * Open model (default): every user owns an arrival schedule fixed in advance
 * (Poisson or uniform gaps with mean `meanGapMs`, so the N users together
 * arrive at N / meanGap requests per second) that never looks at responses.
 * A request due while the same user still waits for its previous answer is
 * sent when that answer comes, but its latency is still timed from the due
 * time, so a slow server cannot hide its queueing delay behind a slower load
 * (the coordinated-omission correction wrk2 made standard). A request more
 * than `maxLagMs` behind its schedule is dropped and counted as an error.
 *
 * Closed model (`--model closed`, for capacity): each user waits for the
 * answer, thinks `meanGapMs`, and sends again; latency is timed from the
 * actual send and throughput is whatever the server sustains.
 */

export type LoadModel = 'open' | 'closed'
export type ArrivalProcess = 'poisson' | 'uniform'

export interface Window {
  /** Milliseconds from the schedule origin when the user comes online. */
  start: number
  /** Milliseconds from the origin after which the user sends nothing new. */
  end: number
}

export interface PacingPlan {
  model: LoadModel
  arrival: ArrivalProcess
  /** Mean gap between one user's requests (open: inter-arrival time; closed: think time), ms. */
  meanGapMs: number
  window: Window
  /**
   * Open model: ms from the origin over which the rate ramps up linearly from
   * RAMP_START_SHARE to full (the warm-up), so a cold server is not buried in
   * a backlog before the measured window starts. 0: full rate at once.
   */
  rampMs?: number
}

/** Share of the rate the warm-up ramp starts from. */
export const RAMP_START_SHARE = 0.1

/**
 * The warm-up ramp as a time change: "operational time" runs at the ramp's
 * share of real time (RAMP_START_SHARE rising linearly to 1 over `rampMs`),
 * so a fixed-rate schedule drawn in operational time is, in real time, a
 * Poisson process whose rate follows the ramp exactly — no gap drawn early
 * in the ramp reaches into the measured window.
 */
export class RampClock {
  private readonly area: number

  constructor (private readonly rampMs: number) {
    this.area = rampMs * (1 + RAMP_START_SHARE) / 2
  }

  toOperational (t: number): number {
    const r = this.rampMs
    if (r <= 0 || t >= r) return r <= 0 ? t : this.area + (t - r)
    return RAMP_START_SHARE * t + (1 - RAMP_START_SHARE) * t * t / (2 * r)
  }

  toReal (u: number): number {
    const r = this.rampMs
    if (r <= 0 || u >= this.area) return r <= 0 ? u : r + (u - this.area)
    const a = (1 - RAMP_START_SHARE) / (2 * r)
    return (-RAMP_START_SHARE + Math.sqrt(RAMP_START_SHARE ** 2 + 4 * a * u)) / (2 * a)
  }
}

export class Pacer {
  private due: number | undefined
  /** Open model: operational time (see RampClock) of the last due request. */
  private op = 0
  private lastCompleted: number | undefined
  private readonly clock: RampClock

  constructor (private readonly plan: PacingPlan, private readonly rng: Rng, private readonly origin: number) {
    this.clock = new RampClock(plan.model === 'open' ? plan.rampMs ?? 0 : 0)
  }

  private gap (): number {
    const mean = this.plan.meanGapMs
    if (mean <= 0) return 0
    return this.plan.arrival === 'uniform' ? mean : exponential(this.rng, mean)
  }

  /**
   * The absolute time (performance.now scale) the user's next request is
   * due, or undefined once it falls outside the user's window.
   */
  nextDue (): number | undefined {
    const { window } = this.plan
    let next: number
    if (this.due === undefined) {
      // A random phase spreads the first requests instead of firing them all at once.
      const phase = this.plan.arrival === 'uniform' ? this.rng() * this.plan.meanGapMs : this.gap()
      this.op = this.clock.toOperational(window.start) + phase
      next = this.plan.model === 'open' ? this.origin + this.clock.toReal(this.op) : this.origin + window.start + phase
    } else if (this.plan.model === 'open') {
      this.op += this.gap()
      next = this.origin + this.clock.toReal(this.op)
    } else {
      next = (this.lastCompleted ?? this.due) + this.gap()
    }
    this.due = next
    return next < this.origin + window.end ? next : undefined
  }

  /** Records when the last request completed (the closed model schedules from it). */
  completed (at: number): void {
    this.lastCompleted = at
  }
}

/**
 * A promotion peak: the online population (and so the arrival rate) ramps
 * from 1x to `factor`x and back. Phases as fractions of the measured window:
 * base 25%, ramp up 10%, peak 30%, ramp down 10%, base 25%.
 */
export const SPIKE_PHASES = { rampUpStart: 0.25, peakStart: 0.35, peakEnd: 0.65, rampDownEnd: 0.75 } as const

/** The spike's load factor at `t` ms into a measured window of `durationMs`. */
export function spikeFactor (t: number, durationMs: number, factor: number): number {
  const f = t / durationMs
  const p = SPIKE_PHASES
  if (f <= p.rampUpStart || f >= p.rampDownEnd) return 1
  if (f >= p.peakStart && f <= p.peakEnd) return factor
  const rising = f < p.peakStart
  const progress = rising ? (f - p.rampUpStart) / (p.peakStart - p.rampUpStart) : (p.rampDownEnd - f) / (p.rampDownEnd - p.peakEnd)
  return 1 + (factor - 1) * progress
}

/**
 * The online window of user `index` in a spike with `baseUsers` always
 * online and up to `baseUsers * factor` at the peak: extra user k joins when
 * the factor reaches 1 + (k + 1) / baseUsers and leaves when it falls below,
 * so each user keeps a human request rate and its own rate-limit budget while
 * the total rate follows the spike.
 */
export function spikeWindow (index: number, baseUsers: number, factor: number, offsetMs: number, durationMs: number): Window {
  if (index < baseUsers || factor <= 1) return { start: 0, end: offsetMs + durationMs }
  const threshold = 1 + (index - baseUsers + 1) / baseUsers
  const share = Math.min(1, (threshold - 1) / (factor - 1))
  const p = SPIKE_PHASES
  const up = p.rampUpStart + share * (p.peakStart - p.rampUpStart)
  const down = p.rampDownEnd - share * (p.rampDownEnd - p.peakEnd)
  return { start: offsetMs + up * durationMs, end: offsetMs + down * durationMs }
}

/** Users needed for a spike: the base population times the factor. */
export function spikePoolSize (baseUsers: number, factor: number): number {
  return Math.ceil(baseUsers * Math.max(1, factor))
}
