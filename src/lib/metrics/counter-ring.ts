/** Seconds of per-second counters kept: 15 minutes. */
export const HISTORY_SECONDS = 900

/** Per-second sums of `fields` numeric fields, for the last `size` seconds. */
export class CounterRing {
  /** Raw storage; writers on hot paths add at `slot(second) + field` directly. */
  readonly values: Float64Array
  private readonly seconds: Float64Array

  constructor (readonly fields: number, readonly size = HISTORY_SECONDS) {
    this.values = new Float64Array(fields * size)
    this.seconds = new Float64Array(size).fill(-1)
  }

  /** Index of `second`'s first field in `values`, clearing the slot when it held an older second. */
  slot (second: number): number {
    return this.base(second)
  }

  private base (second: number): number {
    const idx = second % this.size
    const base = idx * this.fields
    if (this.seconds[idx] !== second) {
      this.seconds[idx] = second
      this.values.fill(0, base, base + this.fields)
    }
    return base
  }

  add (field: number, amount: number, second: number): void {
    this.values[this.base(second) + field] += amount
  }

  /** Keeps the highest value seen in the second. */
  max (field: number, value: number, second: number): void {
    const i = this.base(second) + field
    if (value > this.values[i]) this.values[i] = value
  }

  /** The field in one second, or undefined when nothing was recorded in it. */
  get (field: number, second: number): number | undefined {
    const idx = second % this.size
    return this.seconds[idx] === second ? this.values[idx * this.fields + field] : undefined
  }

  /** Sum of a field over the `windowS` seconds ending with `nowS` (inclusive). */
  sum (field: number, windowS: number, nowS: number): number {
    let total = 0
    const from = nowS - Math.min(windowS, this.size) + 1
    for (let s = from; s <= nowS; s++) {
      const idx = s % this.size
      if (this.seconds[idx] === s) total += this.values[idx * this.fields + field]
    }
    return total
  }

  /** Highest value of a field over the window, or undefined when no second of it was recorded. */
  maxOver (field: number, windowS: number, nowS: number): number | undefined {
    let best: number | undefined
    const from = nowS - Math.min(windowS, this.size) + 1
    for (let s = from; s <= nowS; s++) {
      const idx = s % this.size
      if (this.seconds[idx] === s) {
        const v = this.values[idx * this.fields + field]
        if (best === undefined || v > best) best = v
      }
    }
    return best
  }
}
