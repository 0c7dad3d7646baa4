import type { DroppedIndex } from './db-copy.js'
import type { Report } from './report-schema.js'

/** The before/after comparison: two reports of the same scenario on the same data, side by side. */

export interface Comparison {
  generatedAt: string
  source: string
  droppedIndexes: DroppedIndex[]
  before: { label: string, report: string, verdict: string }
  after: { label: string, report: string, verdict: string }
  rows: { metric: string, before: string, after: string, change: string }[]
  endpoints: { endpoint: string, beforeP95: number | null, afterP95: number | null, beforeP99: number | null, afterP99: number | null, beforeErrors: number, afterErrors: number }[]
}

const pct = (r: number | null, d = 2): string => r === null ? 'n/a' : `${(r * 100).toFixed(d)}%`
const ms = (n: number | null): string => n === null ? 'n/a' : `${n} ms`

function factor (before: number | null, after: number | null, lowerIsBetter: boolean): string {
  if (before === null || after === null || before === 0 || after === 0) return ''
  const f = lowerIsBetter ? before / after : after / before
  return f >= 1 ? `${f.toFixed(1)}× better` : `${(1 / f).toFixed(1)}× worse`
}

export function compare (before: Report, after: Report, files: { before: string, after: string }, source: string, dropped: DroppedIndex[]): Comparison {
  const b = before.overall
  const a = after.overall
  const row = (metric: string, bv: number | null, av: number | null, show: (n: number | null) => string, lowerIsBetter: boolean | null) =>
    ({ metric, before: show(bv), after: show(av), change: lowerIsBetter === null ? '' : factor(bv, av, lowerIsBetter) })
  const rows = [
    row('successful requests/s', b.okRps, a.okRps, (n) => String(n), false),
    row('requests sent', b.requests, a.requests, (n) => String(n), null),
    row('p50 latency', b.latencyMs.p50, a.latencyMs.p50, ms, true),
    row('p95 latency', b.latencyMs.p95, a.latencyMs.p95, ms, true),
    row('p99 latency', b.latencyMs.p99, a.latencyMs.p99, ms, true),
    row('max latency', b.latencyMs.max, a.latencyMs.max, ms, true),
    row('error rate', b.errorRate, a.errorRate, (n) => pct(n, 3), null),
    row('429 responses', b.limited, a.limited, (n) => String(n), null),
    row('cache hit rate', before.server.cacheHitRate, after.server.cacheHitRate, (n) => pct(n, 1), null),
    row('DB time per request', before.server.dbMsPerRequest, after.server.dbMsPerRequest, ms, true),
    row('DB queries', before.server.dbQueries, after.server.dbQueries, (n) => String(n ?? 'n/a'), null),
    row('load generator CPU (% of a core)', before.generator.cpuPercent, after.generator.cpuPercent, (n) => String(n), null),
    row('server CPU (% of a core)', before.machine.cpuSplit?.server ?? null, after.machine.cpuSplit?.server ?? null, (n) => String(n ?? 'n/a'), null),
    row('PostgreSQL CPU (% of a core)', before.machine.cpuSplit?.postgres ?? null, after.machine.cpuSplit?.postgres ?? null, (n) => String(n ?? 'n/a'), null),
    row('other processes CPU (% of a core)', before.machine.cpuSplit?.other ?? null, after.machine.cpuSplit?.other ?? null, (n) => String(n ?? 'n/a'), null)
  ]
  const names = [...new Set([...before.endpoints, ...after.endpoints].map((e) => e.endpoint))]
  const endpoints = names.map((endpoint) => {
    const be = before.endpoints.find((e) => e.endpoint === endpoint)
    const ae = after.endpoints.find((e) => e.endpoint === endpoint)
    return {
      endpoint,
      beforeP95: be?.latencyMs.p95 ?? null,
      afterP95: ae?.latencyMs.p95 ?? null,
      beforeP99: be?.latencyMs.p99 ?? null,
      afterP99: ae?.latencyMs.p99 ?? null,
      beforeErrors: be?.errors ?? 0,
      afterErrors: ae?.errors ?? 0
    }
  })
  return {
    generatedAt: new Date().toISOString(),
    source,
    droppedIndexes: dropped,
    before: { label: 'cache off, search/composite indexes dropped', report: files.before, verdict: before.verdict },
    after: { label: 'cache on, all indexes', report: files.after, verdict: after.verdict },
    rows,
    endpoints
  }
}

export function renderComparison (c: Comparison, before: Report, after: Report): string {
  const s = after.settings
  const lines = [
    '# Before / after', '',
    `Same scenario (${after.scenario}, ${s.users} users, ${s.targetRps ?? 'closed-loop'} requests/s scheduled, ${s.durationS} s measured after ${s.warmupS} s warm-up, seed ${s.seed}) ` +
      `on two copies of \`${c.source}\` made at the same moment, measured one after the other on ${after.machine.cpus} shared cores ` +
      `(load average ${before.machine.loadAverageBefore.join(' / ')} before the first run, ${after.machine.loadAverageAfter.join(' / ')} after the second).`, '',
    `- **before**: ${c.before.label} — ${c.before.verdict} (${c.before.report})`,
    `- **after**: ${c.after.label} — ${c.after.verdict} (${c.after.report})`, '',
    '| metric | before | after | change |', '| --- | ---: | ---: | --- |',
    ...c.rows.map((r) => `| ${r.metric} | ${r.before} | ${r.after} | ${r.change} |`), '',
    '## p95 / p99 per endpoint (ms)', '',
    '| endpoint | before p95 | after p95 | before p99 | after p99 | errors before | errors after |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...c.endpoints.map((e) => `| ${e.endpoint} | ${e.beforeP95 ?? 'n/a'} | ${e.afterP95 ?? 'n/a'} | ${e.beforeP99 ?? 'n/a'} | ${e.afterP99 ?? 'n/a'} | ${e.beforeErrors} | ${e.afterErrors} |`), '',
    `## Indexes dropped on the "before" copy (${c.droppedIndexes.length})`, '',
    ...c.droppedIndexes.map((d) => `- \`${d.definition}\``), ''
  ]
  return lines.join('\n')
}
