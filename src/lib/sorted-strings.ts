/** A turn of the event loop between steps of a long computation. */
export type Pause = () => Promise<unknown>

/** Strings (or integers) sorted per slice between pauses. */
const SLICE = 20_000

/**
 * `items` sorted (as Array.prototype.sort sorts strings: by UTF-16 code
 * units), a slice at a time, then merged pairwise, with a pause after each
 * step: one sort of a few hundred thousand strings holds the event loop for
 * hundreds of milliseconds, each step here for a few.
 */
export async function sortInSteps (items: readonly string[], pause: Pause): Promise<string[]> {
  let runs: string[][] = []
  for (let i = 0; i < items.length; i += SLICE) {
    runs.push(items.slice(i, i + SLICE).sort())
    await pause()
  }
  while (runs.length > 1) {
    const merged: string[][] = []
    for (let r = 0; r < runs.length; r += 2) {
      merged.push(merge(runs[r], runs[r + 1] ?? []))
      await pause()
    }
    runs = merged
  }
  return runs[0] ?? []
}

function merge (a: string[], b: string[]): string[] {
  const out = new Array<string>(a.length + b.length)
  for (let i = 0, j = 0, k = 0; k < out.length; k++) out[k] = j >= b.length || (i < a.length && a[i] < b[j]) ? a[i++] : b[j++]
  return out
}

/** [lo, hi): the positions in `sorted` (sorted as sortInSteps sorts) of the strings starting with `prefix`. */
export function prefixRange (sorted: readonly string[], prefix: string): [number, number] {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid] < prefix) lo = mid + 1
    else hi = mid
  }
  const start = lo
  hi = sorted.length
  // Every string starting with the prefix sorts right after it, in one run.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sorted[mid].startsWith(prefix)) lo = mid + 1
    else hi = mid
  }
  return [start, lo]
}

/**
 * `values` sorted ascending in place, a slice at a time, then merged
 * pairwise with a pause after each step: one sort of 500,000 integers holds
 * the event loop for about 50 ms, each step here for a few.
 */
export async function sortIntsInSteps (values: Int32Array, pause: Pause): Promise<Int32Array> {
  const n = values.length
  for (let i = 0; i < n; i += SLICE) {
    values.subarray(i, i + SLICE).sort()
    await pause()
  }
  let from: Int32Array = values
  let to: Int32Array = new Int32Array(n)
  for (let width = SLICE; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n)
      const hi = Math.min(lo + 2 * width, n)
      for (let i = lo, j = mid, k = lo; k < hi; k++) to[k] = j >= hi || (i < mid && from[i] <= from[j]) ? from[i++] : from[j++]
      await pause()
    }
    [from, to] = [to, from]
  }
  if (from !== values) values.set(from)
  return values
}
