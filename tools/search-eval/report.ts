/** Text table and JSON report of an evaluation run. */
import { CATEGORIES } from './judgments.js'
import type { EvalSummary, ScoredQuery, Summary } from './metrics.js'

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`
const ms = (x: number): string => x.toFixed(1)

/** One row per category plus the overall row. */
export function formatTable (summary: EvalSummary): string {
  const header = ['category', 'queries', 'hit@3', 'nDCG@10', 'zero results', 'partial', 'corrected', 'mean ms', 'p95 ms']
  const row = (name: string, s: Summary): string[] => [
    name, String(s.queries), pct(s.hit3), s.ndcg10.toFixed(3), pct(s.zeroRate), String(s.partial), String(s.corrected), ms(s.latencyMeanMs), ms(s.latencyP95Ms)
  ]
  const rows = [header, ...CATEGORIES.flatMap((c) => summary.byCategory[c] ? [row(c, summary.byCategory[c])] : []), row('overall', summary.overall)]
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)))
  const line = (r: string[]): string => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1, -1).map(line), line(rows[rows.length - 1])].join('\n') +
    '\nlatency: app.inject round trip per query (routing, validation, cache miss, database, serialization; no network)'
}

/** The queries that missed (no hit@3), with what came first instead. */
export function formatMisses (scored: readonly ScoredQuery[], limit = 30): string {
  const misses = scored.filter((s) => !s.hit3)
  if (misses.length === 0) return 'every query had a hit in its top 3'
  const lines = misses.slice(0, limit).map((s) => {
    const extra = [
      s.correctedQuery !== undefined && `corrected to "${s.correctedQuery}"`,
      s.matching === 'partial' && `dropped ${JSON.stringify(s.dropped ?? [])}`,
      s.statusCode !== 200 && `HTTP ${s.statusCode}`
    ].filter(Boolean).join(', ')
    const first = s.names.length === 0 ? 'no results' : `1st: ${s.names[0]}`
    return `  [${s.query.category}/${s.query.kind}] "${s.query.q}" → ${first}${extra ? ` (${extra})` : ''}`
  })
  return `${misses.length} queries without a hit in the top 3:\n${lines.join('\n')}${misses.length > limit ? `\n  … ${misses.length - limit} more` : ''}`
}

/** The JSON report: summary, then every query with its judgments' size, results and scores. */
export function jsonReport (meta: Record<string, unknown>, summary: EvalSummary, scored: readonly ScoredQuery[]): unknown {
  return {
    ...meta,
    latency_note: 'app.inject round trip per query, in milliseconds',
    summary,
    queries: scored.map((s) => ({
      category: s.query.category,
      kind: s.query.kind,
      q: s.query.q,
      source_id: s.query.sourceId ?? null,
      relevant: { grade2: [...s.query.relevant.values()].filter((g) => g === 2).length, grade1: [...s.query.relevant.values()].filter((g) => g === 1).length },
      hit3: s.hit3,
      ndcg10: Number(s.ndcg10.toFixed(4)),
      zero: s.zero,
      status: s.statusCode,
      total_count: s.totalCount,
      matching: s.matching ?? null,
      dropped: s.dropped ?? null,
      corrected_query: s.correctedQuery ?? null,
      latency_ms: Number(s.latencyMs.toFixed(2)),
      results: s.ids.map((id, i) => ({ id, name: s.names[i], grade: s.query.relevant.get(id) ?? 0 }))
    }))
  }
}
