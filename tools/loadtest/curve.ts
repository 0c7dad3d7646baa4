import type { RatePoint } from './open-model.js'
import { RAMP_START_SHARE } from './open-model.js'
import { Recorder } from './recorder.js'
import type { CurveStep } from './report-schema.js'

/**
 * The capacity curve (`--curve`): one run offers a series of open-model rates,
 * one step each, after the usual warm-up ramp to the first rate. Every request
 * is recorded in the step it was due in, so each step has its own percentiles,
 * throughput, 429s and 503s; the steps become a table in the report and a chart.
 */

export const DEFAULT_CURVE_RATES: readonly number[] = Object.freeze([500, 1000, 2000, 3000, 4000])
export const DEFAULT_STEP_S = 20

export interface CurveOptions {
  /** Offered requests per second, one step each, in the order given. */
  rates: number[]
  stepS: number
}

/** The rate profile as shares of the highest rate: the warm-up ramps to the first rate, then one level per step. */
export function curveProfile (curve: CurveOptions, warmupMs: number): { points: RatePoint[], topRate: number } {
  const topRate = Math.max(...curve.rates)
  const share = (rate: number) => rate / topRate
  const stepMs = curve.stepS * 1000
  const first = share(curve.rates[0])
  const points: RatePoint[] = warmupMs > 0 ? [[0, first * RAMP_START_SHARE], [warmupMs, first]] : [[0, first]]
  curve.rates.forEach((rate, k) => {
    const start = warmupMs + k * stepMs
    if (k > 0) points.push([start, share(rate)])
    points.push([start + stepMs, share(rate)])
  })
  return { points, topRate }
}

/** One recorder per step; `stepOf` finds the step a due time (ms after the measured window began) falls in. */
export class StepRecorders {
  readonly recorders: Recorder[]

  constructor (private readonly curve: CurveOptions) {
    this.recorders = curve.rates.map(() => new Recorder())
  }

  /** The recorder of the step a request due `msIntoWindow` after the window began belongs to. */
  at (msIntoWindow: number): Recorder {
    const k = Math.min(this.recorders.length - 1, Math.max(0, Math.floor(msIntoWindow / (this.curve.stepS * 1000))))
    return this.recorders[k]
  }

  /** Each step's figures; `seconds` of the last step may be shorter when the run was stopped early. */
  steps (measuredS: number): CurveStep[] {
    return this.curve.rates.map((rate, k) => {
      const rec = this.recorders[k]
      const seconds = Math.max(0.001, Math.min(this.curve.stepS, measuredS - k * this.curve.stepS))
      const t = rec.totals()
      const l = rec.overallLatency()
      const round1 = (n: number) => Math.round(n * 10) / 10
      return {
        offeredRps: rate,
        durationS: round1(seconds),
        requests: t.total,
        rps: round1(t.total / seconds),
        okRps: round1((t.ok + t.expected) / seconds),
        latencyMs: l,
        limited: t.limited,
        shed: t.statuses['503'] ?? 0,
        errors: t.errors,
        errorRate: t.total > 0 ? t.errors / t.total : 0
      }
    })
  }

  destroy (): void {
    for (const r of this.recorders) r.destroy()
  }
}

/** Parses `500,1000,2000`: positive request rates. */
export function parseRates (value: string): number[] {
  const rates = value.split(',').map((v) => Number(v.trim()))
  if (rates.length === 0 || rates.some((r) => !Number.isFinite(r) || r <= 0)) throw new Error(`--curve-rates: '${value}' must be positive numbers separated by commas`)
  return rates
}
