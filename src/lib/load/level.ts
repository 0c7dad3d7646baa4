/**
 * Pure decision logic of the load sampler: the load level from readings and
 * thresholds, the hysteresis that keeps levels from flapping, and the rolling
 * latency window of the critical routes. No timers, no I/O: the plugin feeds
 * it one sample per second and tests feed it numbers.
 */
export type LoadLevel = 'low' | 'medium' | 'high' | 'critical'

export const LOAD_LEVELS: readonly LoadLevel[] = ['low', 'medium', 'high', 'critical']

/**
 * The levels' limit multipliers (1.0 / 0.7 / 0.4 / 0.1) in per-mille, so limits are
 * computed in integers: `300 × 0.7` in floating point is 209.99999999999997.
 */
export const LEVEL_MULTIPLIER_PERMILLE: Readonly<Record<LoadLevel, number>> = { low: 1000, medium: 700, high: 400, critical: 100 }

/** Values at which `medium`, `high` and `critical` start, in increasing order. */
export type LevelThresholds = readonly [medium: number, high: number, critical: number]

/** CPU thresholds: medium ≥ 60 %, high ≥ 80 %, critical ≥ 95 %. */
export const CPU_THRESHOLDS: LevelThresholds = [0.6, 0.8, 0.95]
/** Memory thresholds: medium ≥ 70 %, high ≥ 85 %, critical ≥ 95 %. */
export const MEMORY_THRESHOLDS: LevelThresholds = [0.7, 0.85, 0.95]

/** What the sampler measured over the last interval. */
export interface LoadReadings {
  /** p99 event-loop delay over the interval, milliseconds. */
  eventLoopDelayP99Ms: number
  /** Event-loop utilisation over the interval, 0..1. */
  elu: number
  /** Process CPU time over wall time, as a share of all cores, 0..1. */
  cpu: number
  /** V8 heap used / heap size limit, 0..1. */
  heapRatio: number
  /** Resident set size / memory available to the process (cgroup limit or total RAM), 0..1. */
  rssRatio: number
}

export interface LevelPolicy {
  cpu: LevelThresholds
  memory: LevelThresholds
  eventLoopDelayMs: LevelThresholds
  eventLoopUtilization: LevelThresholds
}

function rankOf (value: number, thresholds: LevelThresholds): number {
  let rank = 0
  for (const t of thresholds) if (value >= t) rank++
  return rank
}

/**
 * The highest level any reading reaches (0 = low … 3 = critical). Event-loop utilisation counts
 * in full only while the critical routes are slow (`criticalSlow`: their p95 over its target);
 * otherwise at most one level above the event-loop delay's: a loop that is always busy but on
 * time, with checkout answering within its target, is at capacity, not overloaded (shedding
 * treats it the same way, SHED_EVENT_LOOP_UTILIZATION is off by default). Utilisation counts the
 * time the thread waits for a core as busy, so on cores shared with the database it reads ~1
 * before requests queue. Measured with 1,000 users' mixed journeys on 2 shared cores: at 1,500
 * requests/s utilisation alone raised the level to critical within 3–6 s in two of four runs and
 * cut every limit to a tenth (5,000–6,200 × 429 in 30 s, 1,288–1,326 of 1,500 answered a second);
 * capped, the level stayed medium in every run and all 1,494 a second were answered, none refused.
 * At 2,000 a second, past capacity, uncapped it refused a quarter and kept the p95 at 1.6–2.5 s;
 * capped at every load, the p95 grew to 8.6 s and 0.6 % of the requests fell 10 s behind, hence
 * the full count once checkout is slow.
 */
export function levelRank (r: LoadReadings, policy: LevelPolicy, criticalSlow: boolean): number {
  const delay = rankOf(r.eventLoopDelayP99Ms, policy.eventLoopDelayMs)
  const utilisation = rankOf(r.elu, policy.eventLoopUtilization)
  return Math.max(
    rankOf(r.cpu, policy.cpu),
    rankOf(Math.max(r.heapRatio, r.rssRatio), policy.memory),
    delay,
    criticalSlow ? utilisation : Math.min(utilisation, delay + 1)
  )
}

/**
 * The readings as far as they are the load of ordinary traffic: event-loop delay, utilisation
 * and CPU scaled by the share of the load that is not attributed to a dominant route (a flood,
 * lib/load/attribution.ts). A route sending 90 % of the requests leaves a tenth
 * of its pressure to everyone else's level. Memory is the process's whole, not scaled.
 */
export function attributedReadings (r: LoadReadings, attributedShare: number): LoadReadings {
  if (attributedShare <= 0) return r
  const rest = Math.max(0, 1 - attributedShare)
  return { ...r, eventLoopDelayP99Ms: r.eventLoopDelayP99Ms * rest, elu: r.elu * rest, cpu: r.cpu * rest }
}

/** Parses `"100,250,500"` into increasing thresholds; throws naming `name` otherwise. */
export function parseThresholds (value: string, name: string): LevelThresholds {
  const parts = value.split(',').map((s) => Number(s.trim()))
  if (parts.length !== 3 || parts.some((n) => !Number.isFinite(n) || n < 0) || !(parts[0] < parts[1] && parts[1] < parts[2])) {
    throw new Error(`${name}: '${value}' must be three increasing non-negative numbers (medium,high,critical)`)
  }
  return [parts[0], parts[1], parts[2]]
}

/**
 * Ordinal state with hysteresis: it moves up only after `raiseAfter`
 * consecutive samples asking for more, and down only after `lowerAfter`
 * consecutive samples asking for less (raise fast, lower slowly). Over a
 * run it moves to the mildest value the whole run agreed on.
 */
export class RankHysteresis {
  private rank = 0
  private run = 0
  private runTarget = 0

  constructor (private readonly raiseAfter: number, private readonly lowerAfter: number) {}

  get current (): number { return this.rank }

  /** Feeds one sample's target rank; returns the (possibly changed) current rank. */
  update (target: number): number {
    const direction = Math.sign(target - this.rank)
    const runDirection = Math.sign(this.runTarget - this.rank)
    if (direction === 0) {
      this.run = 0
      return this.rank
    }
    if (this.run === 0 || direction !== runDirection) {
      this.run = 0
      this.runTarget = target
    }
    this.run++
    this.runTarget = direction > 0 ? Math.min(this.runTarget, target) : Math.max(this.runTarget, target)
    if (this.run >= (direction > 0 ? this.raiseAfter : this.lowerAfter)) {
      this.rank = this.runTarget
      this.run = 0
    }
    return this.rank
  }

  /** Jumps to `rank` now (test hooks and overrides). */
  force (rank: number): void {
    this.rank = rank
    this.run = 0
  }
}

/** Consecutive samples above the current level before the load level rises (a GC pause or a test burst is not load). */
export const LEVEL_RAISE_AFTER = 3

/**
 * Consecutive calm samples (asking for a lower level) before the load level
 * steps down one level, by the level it leaves: medium → low after 10,
 * high → medium after 20, critical → high after 30 (60 s from critical to
 * low). The wait is longest where the step lets the most traffic back in:
 * critical → high multiplies every limit by 4, medium → low by 1.43.
 */
export const LEVEL_CALM_SAMPLES: readonly [medium: number, high: number, critical: number] = [10, 20, 30]

/**
 * The load level's state machine: up fast, down slowly and one level at a
 * time. It rises as RankHysteresis does (after `raiseAfter` consecutive
 * samples above the level, to the mildest level that run agreed on, so it
 * may skip levels), and falls by one level after `calmSamples[level - 1]`
 * consecutive samples below it; the count starts again at the new level. A
 * sample at the current level ends both runs.
 *
 * Why not RankHysteresis: the limiter calms the process itself. At critical
 * (limits × 0.1) the readings are low within seconds, so falling straight to
 * low after 10 calm samples let the whole backlog back in and the level went
 * low → critical → low about three times a minute (docs/PERFORMANCE.md,
 * bottleneck 8). One step at a time lets 1.4–4× more traffic in per step
 * instead of 10×, and a level whose limits fit the traffic is kept.
 */
export class LevelHysteresis {
  private rank = 0
  private raiseRun = 0
  private raiseTarget = 0
  private calmRun = 0

  constructor (private readonly raiseAfter: number, private readonly calmSamples: readonly number[]) {}

  get current (): number { return this.rank }

  /** Feeds one sample's target rank; returns the (possibly changed) current rank. */
  update (target: number): number {
    if (target > this.rank) {
      this.calmRun = 0
      this.raiseTarget = this.raiseRun === 0 ? target : Math.min(this.raiseTarget, target)
      if (++this.raiseRun >= this.raiseAfter) {
        this.rank = this.raiseTarget
        this.raiseRun = 0
      }
    } else if (target < this.rank) {
      this.raiseRun = 0
      if (++this.calmRun >= this.calmSamples[this.rank - 1]) {
        this.rank--
        this.calmRun = 0
      }
    } else {
      this.raiseRun = 0
      this.calmRun = 0
    }
    return this.rank
  }

  /** Jumps to `rank` now (test hooks and overrides). */
  force (rank: number): void {
    this.rank = rank
    this.raiseRun = 0
    this.calmRun = 0
  }
}

/**
 * The latest request durations of the critical routes with their times, in a
 * fixed ring (bounded memory whatever the traffic). The p95 is computed once
 * per sample from the entries inside the window, never per request.
 */
export class LatencyWindow {
  private readonly values: Float64Array
  private readonly times: Float64Array
  private next = 0
  private filled = 0

  constructor (capacity: number, private readonly windowMs: number, private readonly minCount: number) {
    this.values = new Float64Array(capacity)
    this.times = new Float64Array(capacity)
  }

  record (durationMs: number, nowMs: number): void {
    this.values[this.next] = durationMs
    this.times[this.next] = nowMs
    this.next = (this.next + 1) % this.values.length
    if (this.filled < this.values.length) this.filled++
  }

  /** p95 over the window, or undefined with fewer than `minCount` requests (too few to judge). */
  p95 (nowMs: number): number | undefined {
    const since = nowMs - this.windowMs
    const recent: number[] = []
    for (let i = 0; i < this.filled; i++) if (this.times[i] >= since) recent.push(this.values[i])
    if (recent.length < this.minCount) return undefined
    recent.sort((a, b) => a - b)
    return recent[Math.min(recent.length - 1, Math.ceil(recent.length * 0.95) - 1)]
  }
}
