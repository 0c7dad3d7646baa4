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
  /** Open model: the rate as a share of `1 / meanGapMs` over time (RateClock points); replaces `rampMs`. */
  profile?: RatePoint[]
}

/** `[ms from the origin, share of the full rate]`; the share is linear between points and stays at the last one after. */
export type RatePoint = readonly [atMs: number, share: number]

/** Share of the rate the warm-up ramp starts from. */
export const RAMP_START_SHARE = 0.1

interface Segment { t0: number, t1: number, s0: number, s1: number, u0: number, u1: number }

/**
 * A rate that changes over time, as a time change: "operational time" runs at
 * the rate's share of real time (piecewise linear between the points, constant
 * after the last), so a fixed-rate schedule drawn in operational time is, in
 * real time, a Poisson process whose rate follows the profile exactly — no gap
 * drawn in one part reaches into the next at the wrong rate. Two points at the
 * same time make a step (the capacity curve's rate steps).
 */
export class RateClock {
  private readonly segments: Segment[] = []
  private readonly endT: number
  private readonly endU: number
  private readonly endShare: number

  constructor (points: readonly RatePoint[]) {
    if (points.length === 0 || points[0][0] !== 0 || points.some(([t, s], i) => s <= 0 || (i > 0 && t < points[i - 1][0]))) {
      throw new Error('a rate profile starts at 0 ms and needs points in time order with positive shares')
    }
    let u = 0
    for (let i = 1; i < points.length; i++) {
      const [t0, s0] = points[i - 1]
      const [t1, s1] = points[i]
      const area = (t1 - t0) * (s0 + s1) / 2
      this.segments.push({ t0, t1, s0, s1, u0: u, u1: u + area })
      u += area
    }
    this.endT = points[points.length - 1][0]
    this.endU = u
    this.endShare = points[points.length - 1][1]
  }

  toOperational (t: number): number {
    if (t >= this.endT) return this.endU + (t - this.endT) * this.endShare
    const seg = this.segments.find((g) => t < g.t1 && g.t1 > g.t0) as Segment
    const d = t - seg.t0
    const slope = (seg.s1 - seg.s0) / (seg.t1 - seg.t0)
    return seg.u0 + seg.s0 * d + slope * d * d / 2
  }

  toReal (u: number): number {
    if (u >= this.endU) return this.endT + (u - this.endU) / this.endShare
    const seg = this.segments.find((g) => u < g.u1 && g.t1 > g.t0) as Segment
    const du = u - seg.u0
    const slope = (seg.s1 - seg.s0) / (seg.t1 - seg.t0)
    if (Math.abs(slope) < 1e-15) return seg.t0 + du / seg.s0
    // s0·d + slope·d²/2 = du, the root in [0, t1 - t0].
    return seg.t0 + (-seg.s0 + Math.sqrt(seg.s0 ** 2 + 2 * slope * du)) / slope
  }
}

/** The warm-up ramp: RAMP_START_SHARE rising linearly to 1 over `rampMs`, then the full rate. */
export class RampClock extends RateClock {
  constructor (rampMs: number) {
    super(rampMs > 0 ? [[0, RAMP_START_SHARE], [rampMs, 1]] : [[0, 1]])
  }
}

export class Pacer {
  private due: number | undefined
  /** Open model: operational time (see RampClock) of the last due request. */
  private op = 0
  private lastCompleted: number | undefined
  private readonly clock: RampClock

  constructor (private readonly plan: PacingPlan, private readonly rng: Rng, private readonly origin: number) {
    this.clock = plan.model === 'open' && plan.profile ? new RateClock(plan.profile) : new RampClock(plan.model === 'open' ? plan.rampMs ?? 0 : 0)
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
