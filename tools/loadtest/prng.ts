/**
 * Seeded randomness for the load test: every virtual user draws from its own
 * stream derived from (--seed, user index), so a run's journeys, ids, words
 * and think times are the same on every machine, whatever the timing.
 */
import { sfc32 } from '../../src/public.js'

/** A uniform draw in [0, 1). */
export type Rng = () => number

/** 32-bit FNV-1a over the string form of `parts`, then a murmur finaliser: a stable seed per label. */
export function deriveSeed (...parts: (string | number)[]): number {
  let h = 0x811c9dc5
  for (const ch of parts.join('\u0000')) {
    h ^= ch.codePointAt(0)!
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** sfc32 (PractRand-clean, fast in V8) seeded through splitmix32 so nearby seeds give unrelated streams. */
export function createRng (seed: number): Rng {
  let s = seed >>> 0
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
  const next: Rng = sfc32(splitmix(), splitmix(), splitmix(), splitmix())
  for (let i = 0; i < 12; i++) next() // discard the warm-up outputs
  return next
}

/** An integer in [min, max]. */
export function intBetween (rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1))
}

/** One element of a non-empty array. */
export function pick<T> (rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)]
}

/** An exponential draw with the given mean (Poisson inter-arrival times). */
export function exponential (rng: Rng, mean: number): number {
  return -Math.log(1 - rng()) * mean
}

/** Deterministic Fisher–Yates shuffle of a copy. */
export function shuffled<T> (rng: Rng, items: readonly T[]): T[] {
  const out = items.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    const tmp = out[i]
    out[i] = out[j]
    out[j] = tmp
  }
  return out
}

/** Picks keys of `weights` in proportion to their (non-negative) values. */
export function createWeightedPicker<K extends string> (weights: Readonly<Partial<Record<K, number>>>): (rng: Rng) => K {
  const weightOf = (k: K): number => weights[k] ?? 0
  const keys = (Object.keys(weights) as K[]).filter((k) => weightOf(k) > 0)
  const total = keys.reduce((sum, k) => sum + weightOf(k), 0)
  if (keys.length === 0 || !(total > 0)) throw new Error('A weighted pick needs at least one positive weight')
  const cumulative: number[] = []
  let acc = 0
  for (const k of keys) {
    acc += weightOf(k) / total
    cumulative.push(acc)
  }
  return (rng) => {
    const u = rng()
    for (let i = 0; i < cumulative.length; i++) if (u < cumulative[i]) return keys[i]
    return keys[keys.length - 1]
  }
}

/**
 * Zipf-distributed indexes in [0, n): index k is drawn with weight 1/(k+1)^s.
 * Shop traffic is heavily skewed (a few products take most views); s = 0 gives
 * uniform draws. The CDF is precomputed once (8 bytes per item) and searched
 * in O(log n) per draw.
 */
export function createZipfSampler (n: number, s: number): (rng: Rng) => number {
  if (n <= 0) throw new Error('A Zipf sampler needs at least one item')
  if (s === 0) return (rng) => Math.floor(rng() * n)
  const cdf = new Float64Array(n)
  let acc = 0
  for (let k = 0; k < n; k++) {
    acc += 1 / Math.pow(k + 1, s)
    cdf[k] = acc
  }
  return (rng) => {
    const target = rng() * acc
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cdf[mid] < target) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
