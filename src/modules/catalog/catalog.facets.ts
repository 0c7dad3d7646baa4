import type { Sql } from '../../db/client.js'
import type { CategoryIndex } from './catalog.categories.js'
import { filters, matchFilter, servesFilter, textMatch, type ListingFilter, type TextIndex } from './catalog.search.js'
import type { MatchIndex } from './catalog.match-index.js'
import { exactNames } from './catalog.query.js'
import { timedSql } from './catalog.sql.js'

export const FACET_NAMES = ['brand', 'category', 'price'] as const
export type FacetName = typeof FACET_NAMES[number]

/**
 * Facets count at most this many matches, the best ranked ones: a broad word
 * (thousands of matches) then costs about as much as a rare one, and the
 * counts describe the products a shopper sees first. `facets.exact` says
 * whether the match set was smaller than the sample.
 */
export const FACET_SAMPLE = 1000
/** Values listed per facet, most frequent first. */
const MAX_VALUES = 20
/** Price bucket edges (effective price); the last bucket has no upper bound. */
export const PRICE_EDGES = [0, 25, 50, 100, 250, 500, 1000, 2500]

export interface Facets {
  exact: boolean
  /** Matches counted (at most FACET_SAMPLE). */
  sample_size: number
  brand?: { value: string, count: number }[]
  category?: { id: number, name: string, slug: string, count: number }[]
  price?: { min: number, max: number | null, count: number }[]
}

/** `facets=brand,price` as names, in canonical order, without repeats. */
export function parseFacetNames (raw: string | undefined): FacetName[] {
  if (raw === undefined) return []
  const asked = new Set(raw.split(',').map((s) => s.trim()))
  return FACET_NAMES.filter((n) => asked.has(n))
}

interface FacetRow { facet: 'brand' | 'category' | 'price' | 'total', value: string | null, n: number }

/**
 * Counts per brand, per category and per price bucket: over every match of a
 * text search from the in-process match index when it holds the filters;
 * otherwise over the best ranked FACET_SAMPLE matches, in one statement.
 */
export async function fetchFacets (sql: Sql, filter: ListingFilter, names: FacetName[], index: TextIndex, categories: CategoryIndex, inProcess?: MatchIndex): Promise<Facets> {
  const text = filter.text
  if (text !== undefined && inProcess !== undefined && servesFilter(filter)) {
    const counts = inProcess.facets({ words: text.words, exact: exactNames(text), filter: matchFilter(filter) }, PRICE_EDGES)
    const rows: FacetRow[] = [
      ...[...counts.brands].map(([value, n]): FacetRow => ({ facet: 'brand', value, n })),
      ...[...counts.categories].map(([id, n]): FacetRow => ({ facet: 'category', value: String(id), n })),
      ...counts.prices.flatMap((n, bucket): FacetRow[] => n > 0 ? [{ facet: 'price', value: String(bucket), n }] : [])
    ]
    return { ...shape(rows, names, categories), exact: true, sample_size: counts.total }
  }
  const match = textMatch(sql, filter)
  // With RUM the matches come out of the text index in rank order; otherwise the planner
  // chooses between the rank index (broad words) and the text index plus a sort.
  const order = text !== undefined && index === 'rum' ? sql`p.search_rank <=| '1e15'::float8` : sql`p.search_rank DESC`
  const rows = text !== undefined && text.words.length === 0
    ? []
    : await timedSql('catalog.facets', sql<FacetRow[]>`
      WITH m AS MATERIALIZED (
        SELECT p.brand, p.category_id, p.effective_price FROM products p
        WHERE p.is_active ${match} ${filters(sql, filter)}
        ORDER BY ${order} LIMIT ${FACET_SAMPLE + 1}
      )
      -- One row past the sample only tells whether the match set is larger; the counts leave it out.
      , s AS (SELECT * FROM m LIMIT ${FACET_SAMPLE})
      SELECT 'total' AS facet, NULL AS value, count(*)::int AS n FROM m
      UNION ALL
      SELECT 'brand', brand, count(*)::int FROM s WHERE brand IS NOT NULL AND ${names.includes('brand')} GROUP BY brand
      UNION ALL
      SELECT 'category', category_id::text, count(*)::int FROM s WHERE ${names.includes('category')} GROUP BY category_id
      UNION ALL
      SELECT 'price', width_bucket(effective_price, ${sql.unsafe(`'{${PRICE_EDGES.join(',')}}'`)}::numeric[])::text, count(*)::int FROM s
      WHERE ${names.includes('price')} GROUP BY 2`)
  return shape(rows, names, categories)
}

function shape (rows: FacetRow[], names: FacetName[], categories: CategoryIndex): Facets {
  const total = rows.find((r) => r.facet === 'total')?.n ?? 0
  const of = (facet: FacetRow['facet']) => rows.filter((r) => r.facet === facet).sort((a, b) => b.n - a.n || String(a.value).localeCompare(String(b.value)))
  const facets: Facets = { exact: total <= FACET_SAMPLE, sample_size: Math.min(total, FACET_SAMPLE) }
  if (names.includes('brand')) facets.brand = of('brand').slice(0, MAX_VALUES).map((r) => ({ value: r.value!, count: r.n }))
  if (names.includes('category')) {
    facets.category = of('category').flatMap((r) => {
      const id = Number(r.value)
      const c = categories.describe(id)
      return c === undefined ? [] : [{ id, name: c.name, slug: c.slug, count: r.n }]
    }).slice(0, MAX_VALUES)
  }
  if (names.includes('price')) {
    facets.price = rows.filter((r) => r.facet === 'price').map((r) => {
      const bucket = Number(r.value)
      return { min: PRICE_EDGES[bucket - 1], max: PRICE_EDGES[bucket] ?? null, count: r.n }
    }).sort((a, b) => a.min - b.min)
  }
  return facets
}
