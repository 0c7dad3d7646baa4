import type { ProductKind } from './catalog-kinds.js'
import type { Rng } from './random.js'

// Template text for descriptions and reviews. Every sentence carries words
// from the product's kind (features, uses), so full-text search on the demo
// catalog finds products by what they do, not only by name.

/** `count` distinct items of `items` (all of them when it has fewer). */
export function sample<T> (rng: Rng, items: readonly T[], count: number): T[] {
  const pool = [...items]
  const out: T[] = []
  while (out.length < count && pool.length > 0) out.push(pool.splice(Math.floor(rng.next() * pool.length), 1)[0])
  return out
}

function joinAnd (items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1)

const OPENINGS: ((model: string, f: string[], u: string[]) => string)[] = [
  (m, f, u) => `The ${m} brings ${f[0]} and ${f[1]} to ${u[0]}.`,
  (m, f) => `Meet the ${m}: ${f[0]}, ${f[1]} and ${f[2]} in one well-built package.`,
  (m, f, u) => `Built for ${u[0]} and ${u[1]}, the ${m} pairs ${f[0]} with ${f[1]}.`,
  (m, f) => `With ${f[0]} and ${f[1]}, the ${m} is made to keep up with you every day.`,
  (m, f, u) => `Upgrade your ${u[0]} setup with the ${m}, featuring ${f[0]}.`
]

const CLOSINGS = [
  'Ships in 1-2 business days with free returns within 30 days.',
  'Covered by a 1-year manufacturer warranty; extended protection plans are available.',
  'Includes everything you need to get started right out of the box.',
  'Backed by a 2-year limited warranty and responsive customer support.',
  'Eligible for free standard shipping and 30-day hassle-free returns.'
]

export interface ProductText { description: string, shortDescription: string }

/** Description (4–5 sentences) and one-line summary for a product. */
export function productText (rng: Rng, kind: ProductKind, model: string, variants: readonly string[]): ProductText {
  const f = sample(rng, kind.features, 5)
  const u = sample(rng, kind.uses, 3)
  while (f.length < 5) f.push(f[f.length % Math.max(1, f.length)] ?? 'solid build quality')
  while (u.length < 3) u.push(u[0] ?? 'everyday use')
  const sentences = [
    rng.pick(OPENINGS)(model, f, u),
    `Highlights include ${joinAnd(f.slice(2, 5))}.`,
    `${capitalize(rng.pick(['a great choice', 'ideal', 'a smart pick', 'perfect']))} for ${joinAnd(u)}.`
  ]
  if (variants.length > 0) sentences.push(`Configuration: ${variants.join(', ')}.`)
  sentences.push(rng.pick(CLOSINGS))
  return {
    description: sentences.join(' '),
    shortDescription: `${model} with ${f[0]} and ${f[1]}.`
  }
}

const TITLES: Record<number, string[]> = {
  5: ['Absolutely love it', 'Best purchase this year', 'Exceeded my expectations', 'Five stars, no regrets', 'Fantastic quality', 'Worth every penny'],
  4: ['Very good, minor quibbles', 'Great value', 'Solid choice', 'Happy with it', 'Does the job well'],
  3: ['It is okay', 'Decent but not great', 'Mixed feelings', 'Average for the price'],
  2: ['Disappointed', 'Not as described', 'Expected more', 'Had issues after a week'],
  1: ['Would not buy again', 'Stopped working', 'Poor quality', 'Returned it']
}

const BODIES: Record<number, ((feature: string, use: string) => string)[]> = {
  5: [
    (f, u) => `The ${f} is outstanding and it has been perfect for ${u}.`,
    (f) => `Setup took five minutes and the ${f} works exactly as advertised.`,
    (f, u) => `I use it daily for ${u}; the ${f} alone makes it worth it.`
  ],
  4: [
    (f, u) => `Really good for ${u}. The ${f} is great, though the packaging could be better.`,
    (f) => `Does almost everything right. I wish the ${f} were a bit better, but overall very happy.`
  ],
  3: [
    (f, u) => `Fine for ${u}, but the ${f} is not as good as I hoped.`,
    (f) => `It works. The ${f} is okay; nothing special for the price.`
  ],
  2: [
    (f) => `The ${f} was underwhelming and support was slow to respond.`,
    (f, u) => `Bought it for ${u} and it struggles. The ${f} feels cheap.`
  ],
  1: [
    (f) => `The ${f} failed after two weeks. Sent it back for a refund.`,
    (f, u) => `Completely unusable for ${u}. Do not recommend.`
  ]
}

const RATING_CUMULATIVE = [0.06, 0.11, 0.21, 0.47, 1] // 1★ 6%, 2★ 5%, 3★ 10%, 4★ 26%, 5★ 53%

/** A rating skewed toward 4–5; `bias` in [-1, 1] shifts it per product (some products are simply better). */
export function reviewRating (rng: Rng, bias: number): number {
  const r = Math.min(0.999999, Math.max(0, rng.next() + bias * 0.15))
  const idx = RATING_CUMULATIVE.findIndex((c) => r < c)
  return idx + 1
}

/** Title and comment for a review of `rating` stars. */
export function reviewText (rng: Rng, kind: ProductKind, rating: number): { title: string, comment: string } {
  const feature = rng.pick(kind.features)
  const use = rng.pick(kind.uses)
  return { title: rng.pick(TITLES[rating]), comment: rng.pick(BODIES[rating])(feature, use) }
}
