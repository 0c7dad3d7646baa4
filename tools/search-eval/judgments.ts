/**
 * The relevance judgment set: queries and their graded relevant products,
 * derived by fixed rules from a seeded catalog (pure functions, no I/O).
 * The same catalog gives the same queries and judgments on every run.
 *
 * Grades: 2 = the product the query was made from, or any product with the
 * same name (case-insensitive), or for a prefix a name that continues the
 * typed text; 1 = a related product (same brand and product line, or the
 * words a broad, model or prefix query asks for). 0 = the rest.
 */
import { KIND_LIST } from '../../src/public.js'

export interface CatalogProduct { id: number, name: string, brand: string | null }

export const CATEGORIES = ['exact', 'model', 'typo', 'unknown_word', 'prefix', 'broad'] as const
export type QueryCategory = typeof CATEGORIES[number]

export interface JudgedQuery {
  category: QueryCategory
  /** What the query exercises inside its category (e.g. `decimal`, `transposition`, `colour`). */
  kind: string
  q: string
  /** The product the query was made from, when there is one. */
  sourceId?: number
  /** Product id → grade (1 or 2); absent ids are grade 0. */
  relevant: Map<number, number>
}

/** How many queries of each category (and kind) the set holds, when the catalog has enough candidates. */
export const QUERY_COUNTS = {
  exact: { plus: 4, slash: 4, unit: 4, decimal: 4, hyphen: 4 },
  model: { measure: 8, model_number: 6 },
  typo: 12,
  unknown_word: 8,
  prefix: 10,
  broad: { colour: 5, noun: 7 }
} as const

/** Words that name no product; the caller keeps only those absent from the catalog's text. */
export const EXTRA_WORD_CANDIDATES = ['zorblax', 'quendrix', 'vorplin', 'glimtrax', 'snarfel', 'wuxtorb']

const COLOURS = ['black', 'white', 'silver', 'blue', 'red', 'green', 'gray', 'pink', 'graphite', 'purple']
const NOUNS = ['headphones', 'speaker', 'monitor', 'laptop', 'camera', 'keyboard', 'mouse', 'charger', 'lens', 'drone',
  'router', 'tablet', 'vacuum', 'soundbar', 'watch', 'case', 'earbuds', 'projector', 'microwave', 'blender']
/** A broad word is used only when at least this many products have it in their name. */
const MIN_BROAD_MATCHES = 5

/** Punctuation a full-name query must carry, tried rarest first so each kind gets its names. */
const PUNCTUATION: [kind: keyof typeof QUERY_COUNTS.exact, pattern: RegExp][] = [
  ['plus', /\+/],
  ['slash', /\//],
  ['unit', /\d(?:\.\d+)? cu ft\b|\d+-inch\b|\b\d+(?:\.\d+)? L\b|\b\d+(?:\.\d+)?(?:mm|TB|GB|W|Hz|mAh)\b/],
  ['decimal', /\d\.\d/],
  ['hyphen', /[A-Za-z0-9]-[A-Za-z0-9]/]
]

const MEASURE_TOKEN = /^\d+(?:[.-]\d+)+$/
const MODEL_TOKEN = /^(?=.*\d)(?=.*[a-z])[a-z0-9][a-z0-9+\-/]{2,}$/i
/** Sizes and capacities ("128GB", "56mm", "100W"): measures, not model numbers. */
const UNIT_TOKEN = /^\d+(?:\.\d+)?[a-z]{1,3}$/i

const lower = (s: string): string => s.toLowerCase()
const spaced = (s: string): string[] => s.split(/\s+/).filter(Boolean)
/** Letter and digit runs, lowercased: how a broad word is looked for in a name. */
export const nameWords = (name: string): string[] => lower(name).match(/[\p{L}\p{N}]+/gu) ?? []

/**
 * `k` items spread evenly over `items` (indexes 0, n/k, 2n/k, …), so the
 * picks cover the whole id range instead of its first rows.
 */
export function spread<T> (items: readonly T[], k: number): T[] {
  if (items.length <= k) return [...items]
  return Array.from({ length: k }, (_, i) => items[Math.floor((i * items.length) / k)])
}

// The seed builds every name as "<brand> <line> <noun> <variants>": the product
// line is the model a shopper means, so products of one line are related.
const LINES_BY_BRAND: ReadonlyMap<string, string[]> = (() => {
  const byBrand = new Map<string, Set<string>>()
  for (const kind of KIND_LIST) {
    for (const b of kind.brands) {
      const set = byBrand.get(lower(b.name)) ?? new Set<string>()
      for (const line of b.lines) set.add(lower(line))
      byBrand.set(lower(b.name), set)
    }
  }
  return new Map([...byBrand].map(([brand, set]) => [brand, [...set].sort((a, b) => b.length - a.length)]))
})()

/**
 * "<brand> <line>" of a product, lowercased: the longest line of its brand
 * the name starts with; for a name the seed did not make, the brand and the
 * next word.
 */
export function productLine (p: CatalogProduct): string {
  const name = lower(p.name)
  const brand = lower(p.brand ?? '')
  const rest = name.startsWith(`${brand} `) ? name.slice(brand.length + 1) : name
  const line = (LINES_BY_BRAND.get(brand) ?? []).find((l) => rest === l || rest.startsWith(`${l} `))
  return `${brand} ${line ?? spaced(rest)[0] ?? ''}`
}

/** Indexes over the catalog that the rules below share. */
export interface CatalogIndex {
  products: readonly CatalogProduct[]
  byName: Map<string, number[]>
  byLine: Map<string, number[]>
  /** Every lowercased whitespace-separated word of every name (a typo must not be one). */
  vocabulary: Set<string>
}

export function indexCatalog (products: readonly CatalogProduct[]): CatalogIndex {
  const sorted = [...products].sort((a, b) => a.id - b.id)
  const byName = new Map<string, number[]>()
  const byLine = new Map<string, number[]>()
  const vocabulary = new Set<string>()
  for (const p of sorted) {
    const n = lower(p.name)
    byName.set(n, [...(byName.get(n) ?? []), p.id])
    const l = productLine(p)
    byLine.set(l, [...(byLine.get(l) ?? []), p.id])
    for (const w of spaced(n)) vocabulary.add(w)
    for (const w of nameWords(n)) vocabulary.add(w)
  }
  return { products: sorted, byName, byLine, vocabulary }
}

/** Grade 2: same name as `p`; grade 1: same brand and product line. */
export function nameRelevance (idx: CatalogIndex, p: CatalogProduct): Map<number, number> {
  const relevant = new Map<number, number>()
  for (const id of idx.byLine.get(productLine(p)) ?? []) relevant.set(id, 1)
  for (const id of idx.byName.get(lower(p.name)) ?? []) relevant.set(id, 2)
  return relevant
}

/** One product per distinct name, in id order. */
function distinctNames (idx: CatalogIndex): CatalogProduct[] {
  const seen = new Set<string>()
  return idx.products.filter((p) => {
    const n = lower(p.name)
    if (seen.has(n)) return false
    seen.add(n)
    return true
  })
}

/** Exact full names, each carrying one kind of punctuation (decimal, hyphen, plus, slash, unit). */
export function exactQueries (idx: CatalogIndex): JudgedQuery[] {
  const used = new Set<string>()
  const out: JudgedQuery[] = []
  const names = distinctNames(idx)
  for (const [kind, pattern] of PUNCTUATION) {
    const candidates = names.filter((p) => pattern.test(p.name) && !used.has(lower(p.name)))
    for (const p of spread(candidates, QUERY_COUNTS.exact[kind])) {
      used.add(lower(p.name))
      out.push({ category: 'exact', kind, q: p.name, sourceId: p.id, relevant: nameRelevance(idx, p) })
    }
  }
  return out
}

/**
 * Brand + one model number or measure token of a name ("Polk 2.1",
 * "Sabrent 5.0", "Sony WH-1000XM5"). Relevant (grade 1): products of that
 * brand whose name has the token as a word.
 */
export function modelQueries (idx: CatalogIndex): JudgedQuery[] {
  const pairs = new Map<string, { brand: string, token: string, kind: 'measure' | 'model_number' }>()
  for (const p of idx.products) {
    if (!p.brand) continue
    const brandWords = spaced(p.brand).length
    for (const token of spaced(p.name).slice(brandWords)) {
      const kind = MEASURE_TOKEN.test(token) ? 'measure' : MODEL_TOKEN.test(token) && !UNIT_TOKEN.test(token) ? 'model_number' : null
      const key = `${lower(p.brand)}\u0000${lower(token)}`
      if (kind !== null && !pairs.has(key)) pairs.set(key, { brand: p.brand, token, kind })
    }
  }
  const out: JudgedQuery[] = []
  for (const kind of ['measure', 'model_number'] as const) {
    const candidates = [...pairs.values()].filter((c) => c.kind === kind)
    for (const c of spread(candidates, QUERY_COUNTS.model[kind])) {
      const relevant = new Map<number, number>()
      for (const p of idx.products) {
        if (lower(p.brand ?? '') === lower(c.brand) && spaced(lower(p.name)).includes(lower(c.token))) relevant.set(p.id, 1)
      }
      out.push({ category: 'model', kind, q: `${c.brand} ${c.token}`, relevant })
    }
  }
  return out
}

export type TypoEdit = 'substitution' | 'transposition' | 'deletion'
const EDITS: TypoEdit[] = ['substitution', 'transposition', 'deletion']

/** One edit at the middle of `word`: the next letter of the alphabet, a swap with the letter before, or a dropped letter. */
export function applyTypo (word: string, edit: TypoEdit): string {
  const m = Math.floor(word.length / 2)
  switch (edit) {
    case 'substitution': {
      const c = word[m]
      const next = c === 'z' ? 'a' : c === 'Z' ? 'A' : String.fromCharCode(c.charCodeAt(0) + 1)
      return word.slice(0, m) + next + word.slice(m + 1)
    }
    case 'transposition':
      return word.slice(0, m - 1) + word[m] + word[m - 1] + word.slice(m + 1)
    case 'deletion':
      return word.slice(0, m) + word.slice(m + 1)
  }
}

/**
 * Full names with one edit in their longest word of 5+ letters (first of
 * equals), cycling substitution, transposition, deletion. An edit that makes
 * another catalog word (or changes nothing) moves on to the next candidate.
 */
export function typoQueries (idx: CatalogIndex): JudgedQuery[] {
  const candidates = distinctNames(idx).filter((p) => spaced(p.name).some((w) => /^[A-Za-z]{5,}$/.test(w)))
  const want = QUERY_COUNTS.typo
  const stride = Math.max(1, Math.floor(candidates.length / want))
  const out: JudgedQuery[] = []
  for (let i = 0; i < candidates.length && out.length < want; i += stride) {
    // Walk forward from each spread position until one product gives a real typo.
    for (let j = i; j < Math.min(candidates.length, i + stride); j++) {
      const p = candidates[j]
      const words = spaced(p.name)
      const target = words.filter((w) => /^[A-Za-z]{5,}$/.test(w)).reduce((a, b) => (b.length > a.length ? b : a))
      const edit = EDITS[out.length % EDITS.length]
      const typo = applyTypo(target, edit)
      if (lower(typo) === lower(target) || idx.vocabulary.has(lower(typo))) continue
      const at = words.indexOf(target)
      const q = [...words.slice(0, at), typo, ...words.slice(at + 1)].join(' ')
      out.push({ category: 'typo', kind: edit, q, sourceId: p.id, relevant: nameRelevance(idx, p) })
      break
    }
  }
  return out
}

/** Full names plus one word that is in no product (`extraWords`, cycled). */
export function unknownWordQueries (idx: CatalogIndex, extraWords: readonly string[]): JudgedQuery[] {
  if (extraWords.length === 0) return []
  // Offset by half a stride so these names differ from the exact ones where possible.
  const names = distinctNames(idx)
  const k = QUERY_COUNTS.unknown_word
  const picks = names.length <= k ? names : Array.from({ length: k }, (_, i) => names[Math.floor(((i + 0.5) * names.length) / k)])
  return picks.map((p, i) => ({
    category: 'unknown_word', kind: 'extra_word', q: `${p.name} ${extraWords[i % extraWords.length]}`, sourceId: p.id, relevant: nameRelevance(idx, p)
  }))
}

/**
 * As-you-type: a name's words up to its first alphabetic word of 6+ letters
 * after the brand, that word cut to 3, 4 or 5 letters (cycled). Relevant:
 * grade 2, names that continue the typed text (start with it); grade 1,
 * names that hold every typed word, the last one as the start of a word.
 */
export function prefixQueries (idx: CatalogIndex): JudgedQuery[] {
  const candidates = distinctNames(idx).filter((p) => cutPoint(p) >= 0)
  const out: JudgedQuery[] = []
  for (const [i, p] of spread(candidates, QUERY_COUNTS.prefix).entries()) {
    const words = spaced(p.name)
    const at = cutPoint(p)
    const q = [...words.slice(0, at), words[at].slice(0, 3 + (i % 3))].join(' ')
    const typed = spaced(lower(q))
    const last = typed.pop()!
    const relevant = new Map<number, number>()
    for (const other of idx.products) {
      const name = lower(other.name)
      const own = spaced(name)
      if (name.startsWith(lower(q))) relevant.set(other.id, 2)
      else if (typed.every((w) => own.includes(w)) && own.some((w) => w.startsWith(last))) relevant.set(other.id, 1)
    }
    out.push({ category: 'prefix', kind: `cut_${3 + (i % 3)}`, q, sourceId: p.id, relevant })
  }
  return out
}

function cutPoint (p: CatalogProduct): number {
  const words = spaced(p.name)
  const from = Math.max(1, p.brand ? spaced(p.brand).length : 1)
  for (let i = from; i < words.length; i++) if (/^[A-Za-z]{6,}$/.test(words[i])) return i
  return -1
}

/**
 * One word, a colour or a product noun, taken from fixed lists in order when
 * enough names have it. Relevant (grade 1): names with the word, or its
 * plural in -s/-es, as a word.
 */
export function broadQueries (idx: CatalogIndex): JudgedQuery[] {
  const words = idx.products.map((p) => new Set(nameWords(p.name)))
  const matches = (w: string): number[] => idx.products.filter((_, i) => words[i].has(w) || words[i].has(`${w}s`) || words[i].has(`${w}es`)).map((p) => p.id)
  const out: JudgedQuery[] = []
  for (const [kind, list, want] of [['colour', COLOURS, QUERY_COUNTS.broad.colour], ['noun', NOUNS, QUERY_COUNTS.broad.noun]] as const) {
    let taken = 0
    for (const w of list) {
      if (taken === want) break
      const ids = matches(w)
      if (ids.length < MIN_BROAD_MATCHES) continue
      out.push({ category: 'broad', kind, q: w, relevant: new Map(ids.map((id) => [id, 1])) })
      taken++
    }
  }
  return out
}

/** The whole judgment set, category by category. */
export function buildJudgmentSet (products: readonly CatalogProduct[], extraWords: readonly string[]): JudgedQuery[] {
  const idx = indexCatalog(products)
  return [
    ...exactQueries(idx),
    ...modelQueries(idx),
    ...typoQueries(idx),
    ...unknownWordQueries(idx, extraWords),
    ...prefixQueries(idx),
    ...broadQueries(idx)
  ]
}
