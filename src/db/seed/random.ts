/**
 * Deterministic randomness for the seed. Math.random is never used: every
 * value comes from an sfc32 generator seeded from (seed, stream name), so the
 * same `--seed` rebuilds the same catalog, and each phase has its own stream
 * (changing `--orders` does not reshuffle the products).
 */

/** A seeded pseudo-random generator with the helpers the generators need. */
export interface Rng {
  /** Uniform float in [0, 1). */
  next: () => number
  /** Uniform integer in [min, max] (both inclusive). */
  int: (min: number, max: number) => number
  /** True with probability `p`. */
  chance: (p: number) => boolean
  /** One element of a non-empty array. */
  pick: <T>(items: readonly T[]) => T
}

// cyrb128: spreads a short string over four 32-bit words, the state sfc32 needs.
function hash128 (text: string): [number, number, number, number] {
  let h1 = 1779033703
  let h2 = 3144134277
  let h3 = 1013904242
  let h4 = 2773480762
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i)
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067)
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233)
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213)
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179)
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067)
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233)
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213)
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179)
  h1 ^= h2 ^ h3 ^ h4
  h2 ^= h1
  h3 ^= h1
  h4 ^= h1
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0]
}

/** The sfc32 generator (PractRand-clean, fast in V8) over four 32-bit state words; uniform floats in [0, 1). */
export function sfc32 (a: number, b: number, c: number, d: number): () => number {
  return () => {
    a |= 0; b |= 0; c |= 0; d |= 0
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
}

/** A generator for one named stream of one seed. */
export function createRng (seed: number, stream: string): Rng {
  const [a, b, c, d] = hash128(`${seed}:${stream}`)
  const next = sfc32(a, b, c, d)
  // The first outputs of sfc32 correlate with the seed words; discard them.
  for (let i = 0; i < 15; i++) next()
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]
  }
}

/** A stable 32-bit hash of (seed, stream, n): per-entity traits without storing them. */
export function hashOf (seed: number, stream: string, n: number): number {
  return hash128(`${seed}:${stream}:${n}`)[0]
}

/** Picks an index by relative weights (cumulative array from `cumulative()`). */
export function pickWeighted (rng: Rng, cumulativeWeights: readonly number[] | Float64Array): number {
  const total = cumulativeWeights[cumulativeWeights.length - 1]
  return lowerBound(cumulativeWeights, rng.next() * total)
}

/** Running sums of `weights`, for `pickWeighted`. */
export function cumulative (weights: readonly number[]): number[] {
  let sum = 0
  return weights.map((w) => (sum += w))
}

// First index whose cumulative weight exceeds `target`.
function lowerBound (sums: readonly number[] | Float64Array, target: number): number {
  let lo = 0
  let hi = sums.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (sums[mid] > target) hi = mid
    else lo = mid + 1
  }
  return lo
}

/**
 * Zipf–Mandelbrot popularity over `n` ranks: weight(rank) = 1 / (rank + q)^s.
 * The offset `q` flattens the head so the best seller is a few hundred sales,
 * not a tenth of all orders, while the tail still sells almost nothing.
 */
export class ZipfSampler {
  private readonly sums: Float64Array

  constructor (n: number, s = 1, q = 20) {
    this.sums = new Float64Array(n)
    let sum = 0
    for (let r = 0; r < n; r++) {
      sum += 1 / Math.pow(r + 1 + q, s)
      this.sums[r] = sum
    }
  }

  /** A rank in [0, n), rank 0 the most popular. */
  sample (rng: Rng): number {
    return lowerBound(this.sums, rng.next() * this.sums[this.sums.length - 1])
  }
}

/** Fisher–Yates shuffle in place. */
export function shuffle<T extends Int32Array | number[]> (rng: Rng, items: T): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1))
    const tmp = items[i]
    items[i] = items[j]
    items[j] = tmp
  }
  return items
}
