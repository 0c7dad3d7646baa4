/**
 * Relevance metrics of the judgment set (pure functions): hit@3, nDCG@10,
 * the zero-result rate and latency percentiles, per category and overall,
 * and the floors a run is checked against.
 */
import { CATEGORIES, type JudgedQuery, type QueryCategory } from './judgments.js'

export const HIT_K = 3
export const NDCG_K = 10

/** What the search answered for one query (the fields the metrics and the report read). */
export interface QueryOutcome {
  query: JudgedQuery
  /** Result ids in rank order (the first page). */
  ids: number[]
  names: string[]
  statusCode: number
  totalCount: number | null
  matching?: string
  dropped?: string[]
  correctedQuery?: string
  /** `app.inject` round trip: routing, validation, cache, database and serialization, no network. */
  latencyMs: number
}

export interface ScoredQuery extends QueryOutcome {
  hit3: boolean
  ndcg10: number
  zero: boolean
}

/**
 * A hit when the top `k` hold a grade-2 product, or any relevant product
 * when the query has no grade 2 (broad, model and prefix queries).
 */
export function hitAt (ids: readonly number[], relevant: ReadonlyMap<number, number>, k = HIT_K): boolean {
  const best = Math.max(0, ...relevant.values())
  return best > 0 && ids.slice(0, k).some((id) => (relevant.get(id) ?? 0) >= best)
}

/** Discounted cumulative gain with exponential gain: sum of (2^grade − 1) / log2(rank + 1). */
export function dcg (grades: readonly number[]): number {
  return grades.reduce((sum, g, i) => sum + (2 ** g - 1) / Math.log2(i + 2), 0)
}

/** nDCG@k: the DCG of the results over the DCG of the best possible order of the relevant products (0 when none is relevant). */
export function ndcgAt (ids: readonly number[], relevant: ReadonlyMap<number, number>, k = NDCG_K): number {
  const ideal = dcg([...relevant.values()].sort((a, b) => b - a).slice(0, k))
  return ideal === 0 ? 0 : dcg(ids.slice(0, k).map((id) => relevant.get(id) ?? 0)) / ideal
}

/** Nearest-rank percentile (`p` in 0..100) of unsorted values; 0 for none. */
export function percentile (values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]
}

export function score (o: QueryOutcome): ScoredQuery {
  return { ...o, hit3: hitAt(o.ids, o.query.relevant), ndcg10: ndcgAt(o.ids, o.query.relevant), zero: o.ids.length === 0 }
}

export interface Summary {
  queries: number
  hit3: number
  ndcg10: number
  zeroRate: number
  /** Queries answered with words dropped (`matching: partial`) or a corrected query. */
  partial: number
  corrected: number
  latencyMeanMs: number
  latencyP95Ms: number
}

export function summarize (scored: readonly ScoredQuery[]): Summary {
  const n = scored.length
  const mean = (f: (s: ScoredQuery) => number): number => (n === 0 ? 0 : scored.reduce((a, s) => a + f(s), 0) / n)
  return {
    queries: n,
    hit3: mean((s) => Number(s.hit3)),
    ndcg10: mean((s) => s.ndcg10),
    zeroRate: mean((s) => Number(s.zero)),
    partial: scored.filter((s) => s.matching === 'partial').length,
    corrected: scored.filter((s) => s.correctedQuery !== undefined).length,
    latencyMeanMs: mean((s) => s.latencyMs),
    latencyP95Ms: percentile(scored.map((s) => s.latencyMs), 95)
  }
}

export interface EvalSummary {
  overall: Summary
  byCategory: Partial<Record<QueryCategory, Summary>>
}

export function summarizeAll (scored: readonly ScoredQuery[]): EvalSummary {
  const byCategory: EvalSummary['byCategory'] = {}
  for (const c of CATEGORIES) {
    const of = scored.filter((s) => s.query.category === c)
    if (of.length > 0) byCategory[c] = summarize(of)
  }
  return { overall: summarize(scored), byCategory }
}

export interface Floors { minHit3?: number, minNdcg?: number, maxZero?: number }

/** The overall figures that break a floor, as sentences; empty when all hold. */
export function brokenFloors (overall: Summary, floors: Floors): string[] {
  const broken: string[] = []
  const f = (x: number): string => x.toFixed(3)
  if (floors.minHit3 !== undefined && overall.hit3 < floors.minHit3) broken.push(`hit@3 ${f(overall.hit3)} < ${f(floors.minHit3)}`)
  if (floors.minNdcg !== undefined && overall.ndcg10 < floors.minNdcg) broken.push(`nDCG@10 ${f(overall.ndcg10)} < ${f(floors.minNdcg)}`)
  if (floors.maxZero !== undefined && overall.zeroRate > floors.maxZero) broken.push(`zero-result rate ${f(overall.zeroRate)} > ${f(floors.maxZero)}`)
  return broken
}
