import type { DbQueryEvent } from '../../../lib/observability/index.js'

/**
 * Per-query latency baselines: "is this named query slow compared with
 * itself?". Each named query gets a short current window (its executions
 * of the last `windowS` seconds, whose p95 is taken every tick) and a
 * baseline: the median of those window p95s over the last `baselineS`
 * seconds, counting only time when the query was not degraded. A query is
 * degraded while its window p95 is at least `factor` × the baseline and at
 * least `floorMs`, over at least `minSamples` executions.
 *
 * Why a median of window p95s rather than the p95 of every execution: the
 * slow executions of a process start (cold caches and plans, start-up work
 * competing for the CPU) would otherwise be the baseline's tail for its
 * whole period; a median ignores them once they are under half of it.
 *
 * Cost: `record` (every named query) is a Map lookup, a log2 and two
 * array increments, no allocation. `tick` (on a timer, every `intervalMs`)
 * does the rest: a few hundred additions per query name.
 *
 * Latencies go into log-scale buckets (8 per octave, ±4.5 %), from 10 µs to
 * about 21 s. The window is a ring of one bucket array per tick. A tick's
 * window p95 joins the baseline one window later, and only if the query was
 * not degraded meanwhile, so the first seconds of an incident (before the
 * window p95 crosses the threshold) never become the new normal either. The
 * baseline is a ring of BASELINE_SLOTS histograms spanning `baselineS`; with
 * nothing admitted (a degradation that lasts longer than `baselineS`) it
 * empties, and the query learns its new normal.
 */

const MIN_MS = 0.01
const PER_OCTAVE = 8
/** Bucket 0 holds [0, MIN_MS]; bucket i ≥ 1 holds (MIN_MS·2^((i-1)/8), MIN_MS·2^(i/8)]; the last also everything above. */
const BUCKETS = 1 + PER_OCTAVE * 21
const BASELINE_SLOTS = 15
/** Names tracked at most; a bug producing unbounded names costs nothing beyond this. */
const DEFAULT_MAX_QUERIES = 500

export interface QueryBaselinesOptions {
  /** Window p95 ≥ factor × baseline makes a query degraded (> 1). */
  factor: number
  /** ...and the window p95 is at least this many milliseconds. */
  floorMs: number
  /** ...over at least this many executions in the window. */
  minSamples: number
  /** Length of the current window, seconds. */
  windowS: number
  /** Tick period (`tick` is called this often), milliseconds. */
  intervalMs: number
  /** The baseline is the median window p95 over this many seconds of not-degraded time. */
  baselineS: number
  /** A baseline is trusted once it holds this many seconds of window p95s (not-degraded ticks with minSamples executions). */
  baselineMinS: number
  /** @default 500 */
  maxQueries?: number
}

/** The execution whose parameters a capture EXPLAINs: the slowest one in the current window. */
export interface QuerySample {
  durationMs: number
  sql: DbQueryEvent['sql']
}

/** A degraded query at this tick, over its threshold now. */
export interface Degradation {
  name: string
  p95Ms: number
  baselineMs: number
  /** Executions in the current window. */
  samples: number
  /** Epoch ms when this degradation began. */
  sinceMs: number
  /** Executions at or over the threshold since the previous `takeSlowCount`. */
  slowCount: number
  sample?: QuerySample
}

/** One query's live state, for the API and the incident view. */
export interface BaselineView {
  name: string
  /** p95 of the current window, or null with fewer than minSamples executions in it. */
  p95Ms: number | null
  /** The trusted baseline (median window p95), or null while it is still being learned. */
  baselineMs: number | null
  samples: number
  degraded: boolean
  degradedSinceMs: number | null
}

export interface TickResult {
  /** Queries degraded and over their threshold at this tick (captures are taken from these). */
  over: Degradation[]
  /** Names that became degraded at this tick. */
  entered: string[]
  /** Names that stopped being degraded at this tick (recovered, or their baseline expired). */
  recovered: string[]
}

interface State {
  name: string
  /** windowTicks × BUCKETS counts, one row per tick of the window ring. */
  slots: Uint32Array
  slotCounts: Uint32Array
  windowSum: Uint32Array
  windowCount: number
  /** Window p95 of each of the last windowTicks ticks (NaN: too few executions), waiting to join the baseline. */
  pending: Float64Array
  /** BASELINE_SLOTS × BUCKETS: admitted window p95s per bucket. */
  baseSlots: Uint32Array
  /** Admitted window p95s per baseline slot. */
  baseSlotCounts: Uint32Array
  baseSum: Uint32Array
  /** Admitted window p95s in the baseline period. */
  baseCount: number
  /** Tick of the latest record, to drop idle names. */
  lastTick: number
  /** Latest tick at which the query was degraded; window p95s of ticks at or before it never join the baseline. */
  lastDegradedTick: number
  degraded: boolean
  degradedSinceMs: number
  /** Consecutive ticks below the threshold while degraded. */
  calmTicks: number
  p95Ms: number | null
  baselineMs: number | null
  /** factor × baseline, Infinity without a baseline: `record` counts executions at or above it. */
  slowMs: number
  slowCount: number
  sampleMs: number
  sampleSql: DbQueryEvent['sql']
  sampleTick: number
}

export function bucketOf (ms: number): number {
  if (!(ms > MIN_MS)) return 0
  const b = Math.floor(Math.log2(ms / MIN_MS) * PER_OCTAVE) + 1
  return b < BUCKETS ? b : BUCKETS - 1
}

/** The bucket's geometric middle, the value reported for it. */
function bucketValue (b: number): number {
  return b === 0 ? MIN_MS / 2 : MIN_MS * 2 ** ((b - 0.5) / PER_OCTAVE)
}

/** The q-quantile (0..1) of `count` values in `sums`, or null when empty. */
export function quantileOf (sums: Uint32Array, count: number, q: number): number | null {
  if (count <= 0) return null
  const rank = Math.max(1, Math.ceil(q * count))
  let seen = 0
  for (let b = 0; b < BUCKETS; b++) {
    seen += sums[b]
    if (seen >= rank) return bucketValue(b)
  }
  return bucketValue(BUCKETS - 1)
}

function addRow (target: Uint32Array, source: Uint32Array, offset: number, sign: 1 | -1): void {
  for (let b = 0; b < BUCKETS; b++) target[b] += sign * source[offset + b]
}

export function validateBaselineOptions (o: QueryBaselinesOptions): void {
  const problems: string[] = []
  if (!(o.factor > 1)) problems.push(`factor must be above 1 (got ${o.factor})`)
  if (!(o.intervalMs >= 10)) problems.push(`intervalMs must be at least 10 (got ${o.intervalMs})`)
  if (!(o.windowS * 1000 >= o.intervalMs)) problems.push(`the window (${o.windowS} s) must be at least one interval (${o.intervalMs} ms)`)
  if (!(o.baselineS > o.windowS)) problems.push(`the baseline (${o.baselineS} s) must be longer than the window (${o.windowS} s)`)
  if (!(o.baselineMinS <= o.baselineS)) problems.push(`the baseline warm-up (${o.baselineMinS} s) must not exceed the baseline (${o.baselineS} s)`)
  if (!(o.minSamples >= 1)) problems.push(`minSamples must be at least 1 (got ${o.minSamples})`)
  if (problems.length > 0) throw new Error(`Invalid relative slow-query settings: ${problems.join('; ')}`)
}

export class QueryBaselines {
  private readonly states = new Map<string, State>()
  private readonly windowTicks: number
  private readonly baseSlotTicks: number
  private readonly baseMinTicks: number
  private readonly idleTicks: number
  private readonly maxQueries: number
  /** Ticks done so far; records go to the window row of tick `tickNo`. */
  private tickNo = 0
  /** Window row of the current tick, and its offset in `slots`. */
  private row = 0
  private rowOffset = 0

  constructor (private readonly opts: QueryBaselinesOptions) {
    validateBaselineOptions(opts)
    this.windowTicks = Math.max(1, Math.round(opts.windowS * 1000 / opts.intervalMs))
    const horizonTicks = Math.max(BASELINE_SLOTS, Math.round(opts.baselineS * 1000 / opts.intervalMs))
    this.baseSlotTicks = Math.ceil(horizonTicks / BASELINE_SLOTS)
    this.baseMinTicks = Math.ceil(opts.baselineMinS * 1000 / opts.intervalMs)
    this.idleTicks = this.baseSlotTicks * BASELINE_SLOTS + this.windowTicks
    this.maxQueries = opts.maxQueries ?? DEFAULT_MAX_QUERIES
  }

  /** Hot path: one execution of `name`. Never allocates once the name is known. */
  record (name: string, durationMs: number, sql?: DbQueryEvent['sql']): void {
    let s = this.states.get(name)
    if (s === undefined) {
      if (this.states.size >= this.maxQueries) return
      s = this.create(name)
    }
    s.slots[this.rowOffset + bucketOf(durationMs)]++
    s.slotCounts[this.row]++
    s.lastTick = this.tickNo
    if (durationMs >= s.slowMs) s.slowCount++
    if (durationMs > s.sampleMs) {
      s.sampleMs = durationMs
      s.sampleSql = sql
      s.sampleTick = this.tickNo
    }
  }

  private create (name: string): State {
    const s: State = {
      name,
      slots: new Uint32Array(this.windowTicks * BUCKETS),
      slotCounts: new Uint32Array(this.windowTicks),
      windowSum: new Uint32Array(BUCKETS),
      windowCount: 0,
      pending: new Float64Array(this.windowTicks).fill(Number.NaN),
      baseSlots: new Uint32Array(BASELINE_SLOTS * BUCKETS),
      baseSlotCounts: new Uint32Array(BASELINE_SLOTS),
      baseSum: new Uint32Array(BUCKETS),
      baseCount: 0,
      lastTick: this.tickNo,
      lastDegradedTick: -1,
      degraded: false,
      degradedSinceMs: 0,
      calmTicks: 0,
      p95Ms: null,
      baselineMs: null,
      slowMs: Infinity,
      slowCount: 0,
      sampleMs: -1,
      sampleSql: undefined,
      sampleTick: -1
    }
    this.states.set(name, s)
    return s
  }

  /**
   * Closes the current tick: updates every query's window and baseline,
   * decides which are degraded, then opens the next tick. Called every
   * `intervalMs` by a timer (tests call it by hand).
   */
  tick (nowMs: number): TickResult {
    const result: TickResult = { over: [], entered: [], recovered: [] }
    const t = this.tickNo
    const row = this.row
    const nextRow = (t + 1) % this.windowTicks
    // The row (and window p95) leaving the ring is that of tick t + 1 - windowTicks (once the ring is full).
    const leavingTick = t + 1 - this.windowTicks
    const rotateBaseline = (t + 1) % this.baseSlotTicks === 0
    const nextBaseSlot = Math.floor((t + 1) / this.baseSlotTicks) % BASELINE_SLOTS
    const baseSlot = Math.floor(t / this.baseSlotTicks) % BASELINE_SLOTS
    for (const s of this.states.values()) {
      if (t - s.lastTick > this.idleTicks && !s.degraded) {
        this.states.delete(s.name)
        continue
      }
      addRow(s.windowSum, s.slots, row * BUCKETS, 1)
      s.windowCount += s.slotCounts[row]
      this.evaluate(s, t, nowMs, result)
      s.pending[row] = s.p95Ms ?? Number.NaN
      if (leavingTick >= 0) this.admit(s, nextRow, leavingTick, baseSlot)
      this.evict(s, nextRow)
      if (rotateBaseline) this.clearBaseSlot(s, nextBaseSlot)
      if (s.sampleTick >= 0 && t + 1 - s.sampleTick >= this.windowTicks) {
        s.sampleMs = -1
        s.sampleSql = undefined
        s.sampleTick = -1
      }
    }
    this.tickNo = t + 1
    this.row = nextRow
    this.rowOffset = nextRow * BUCKETS
    return result
  }

  private evaluate (s: State, t: number, nowMs: number, result: TickResult): void {
    const o = this.opts
    s.baselineMs = s.baseCount >= this.baseMinTicks && s.baseCount > 0 ? quantileOf(s.baseSum, s.baseCount, 0.5) : null
    s.slowMs = s.baselineMs === null ? Infinity : o.factor * s.baselineMs
    s.p95Ms = s.windowCount >= o.minSamples ? quantileOf(s.windowSum, s.windowCount, 0.95) : null
    const over = s.p95Ms !== null && s.p95Ms >= o.floorMs && s.p95Ms >= s.slowMs
    if (over) {
      s.calmTicks = 0
      if (!s.degraded) {
        s.degraded = true
        s.degradedSinceMs = nowMs
        result.entered.push(s.name)
      }
    } else if (s.degraded) {
      // Out only after a whole window below the threshold (or with no baseline left), so a p95
      // hovering at the threshold does not flap.
      s.calmTicks++
      if (s.calmTicks >= this.windowTicks || s.baselineMs === null) {
        s.degraded = false
        s.calmTicks = 0
        result.recovered.push(s.name)
      }
    }
    if (s.degraded) s.lastDegradedTick = t
    if (over) {
      result.over.push({
        name: s.name,
        p95Ms: s.p95Ms!,
        baselineMs: s.baselineMs!,
        samples: s.windowCount,
        sinceMs: s.degradedSinceMs,
        slowCount: s.slowCount,
        sample: s.sampleMs >= 0 ? { durationMs: s.sampleMs, sql: s.sampleSql } : undefined
      })
    }
  }

  /**
   * The window p95 of tick `ofTick` joins the baseline, a window after it was taken, unless the
   * query was degraded at any tick since (an incident's onset is then never admitted).
   */
  private admit (s: State, idx: number, ofTick: number, baseSlot: number): void {
    const p95 = s.pending[idx]
    if (Number.isNaN(p95) || s.lastDegradedTick >= ofTick) return
    const b = bucketOf(p95)
    s.baseSlots[baseSlot * BUCKETS + b]++
    s.baseSum[b]++
    s.baseSlotCounts[baseSlot]++
    s.baseCount++
  }

  /** The oldest window row leaves the window. */
  private evict (s: State, rowIdx: number): void {
    const offset = rowIdx * BUCKETS
    addRow(s.windowSum, s.slots, offset, -1)
    s.windowCount -= s.slotCounts[rowIdx]
    s.slots.fill(0, offset, offset + BUCKETS)
    s.slotCounts[rowIdx] = 0
  }

  private clearBaseSlot (s: State, slot: number): void {
    const offset = slot * BUCKETS
    addRow(s.baseSum, s.baseSlots, offset, -1)
    s.baseCount -= s.baseSlotCounts[slot]
    s.baseSlots.fill(0, offset, offset + BUCKETS)
    s.baseSlotCounts[slot] = 0
  }

  /** Returns the slow executions counted for `name` since the last call, and starts counting again. */
  takeSlowCount (name: string): number {
    const s = this.states.get(name)
    if (!s) return 0
    const n = s.slowCount
    s.slowCount = 0
    return n
  }

  /** Every tracked query with a trusted baseline or a degradation, worst (p95 / baseline) first. */
  view (): BaselineView[] {
    const out: BaselineView[] = []
    for (const s of this.states.values()) {
      if (s.baselineMs === null && !s.degraded) continue
      out.push({
        name: s.name,
        p95Ms: s.p95Ms,
        baselineMs: s.baselineMs,
        samples: s.windowCount,
        degraded: s.degraded,
        degradedSinceMs: s.degraded ? s.degradedSinceMs : null
      })
    }
    const ratio = (v: BaselineView) => v.p95Ms !== null && v.baselineMs ? v.p95Ms / v.baselineMs : 0
    return out.sort((a, b) => Number(b.degraded) - Number(a.degraded) || ratio(b) - ratio(a) || a.name.localeCompare(b.name))
  }

  get size (): number {
    return this.states.size
  }
}
