import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { renderCurveSvg } from './curve-chart.js'
import type { EndpointCounts, LatencySummary } from './recorder.js'
import type { CurveStep, Findings, Flood, Report, ServerFigures, Target, Traffic } from './report-schema.js'

/** Pass/fail targets (defaults: p95 200 ms, 0.1 % errors, 1,000 req/s, 80 % cache hits); `--target-*` flags may tighten or relax them. */
export interface Targets {
  p95Ms: number
  errorRate: number
  rps: number
  cacheHitRate: number
}

export const DEFAULT_TARGETS: Readonly<Targets> = Object.freeze({ p95Ms: 200, errorRate: 0.001, rps: 1000, cacheHitRate: 0.8 })

const round = (n: number, digits = 2): number => Math.round(n * 10 ** digits) / 10 ** digits
const pct = (r: number | null, digits = 2): string => r === null ? 'n/a' : `${(r * 100).toFixed(digits)}%`

export function traffic (counts: EndpointCounts, latency: LatencySummary, seconds: number): Traffic {
  const good = counts.ok + counts.expected
  return {
    requests: counts.total,
    rps: round(counts.total / seconds, 1),
    okRps: round(good / seconds, 1),
    ok: counts.ok,
    expected: counts.expected,
    limited: counts.limited,
    errors: counts.errors,
    errorRate: counts.total > 0 ? counts.errors / counts.total : 0,
    limitedRate: counts.total > 0 ? counts.limited / counts.total : 0,
    latencyMs: latency,
    statuses: counts.statuses
  }
}

export interface TargetInput {
  overall: Traffic
  server: ServerFigures
  rpsApplies: boolean
  cacheApplies: boolean
  flashExact: boolean | null
}

/** PASS/FAIL per target; a target whose figure could not be measured fails (nothing is assumed). */
export function evaluateTargets (t: Targets, input: TargetInput): Target[] {
  const { overall, server } = input
  const out: Target[] = [
    { name: 'p95 latency', goal: `< ${t.p95Ms} ms`, actual: overall.latencyMs.p95, shown: `${overall.latencyMs.p95} ms`, pass: overall.requests > 0 && overall.latencyMs.p95 < t.p95Ms },
    { name: 'error rate', goal: `< ${pct(t.errorRate)}`, actual: overall.errorRate, shown: pct(overall.errorRate, 3), pass: overall.requests > 0 && overall.errorRate < t.errorRate },
    input.rpsApplies
      ? { name: 'throughput', goal: `> ${t.rps} RPS`, actual: overall.okRps, shown: `${overall.okRps} RPS`, pass: overall.okRps > t.rps }
      : { name: 'throughput', goal: `> ${t.rps} RPS`, actual: overall.okRps, shown: `${overall.okRps} RPS (not a goal of this scenario)`, pass: null },
    {
      name: 'cache hit rate',
      goal: `> ${pct(t.cacheHitRate, 0)}`,
      actual: server.cacheHitRate,
      shown: (server.cacheHitRate === null ? `n/a (${server.cacheLookups === 0 ? 'no cache lookups' : server.source})` : pct(server.cacheHitRate, 1)) +
        (input.cacheApplies ? '' : ' (not a goal of this scenario)'),
      pass: input.cacheApplies ? server.cacheHitRate !== null && server.cacheHitRate > t.cacheHitRate : null
    }
  ]
  if (input.flashExact !== null) {
    out.push({ name: 'flash sale', goal: 'exactly the stock is sold, stock ends at 0', actual: null, shown: input.flashExact ? 'exact' : 'NOT exact', pass: input.flashExact })
  }
  return out
}

/**
 * Capacity curve: one target per step (its p95 and error rate within the targets, no 429 and
 * no 503), plus the cache hit rate over the whole run. A curve is meant to find where the
 * server stops meeting them, so a FAIL at the highest steps is its expected result.
 */
export function evaluateCurveTargets (t: Targets, steps: CurveStep[], input: TargetInput): Target[] {
  const perStep: Target[] = steps.map((s) => ({
    name: `${s.offeredRps} req/s offered`,
    goal: `p95 < ${t.p95Ms} ms, errors < ${pct(t.errorRate)}, no 429, no 503`,
    actual: s.latencyMs.p95,
    shown: `p95 ${s.latencyMs.p95} ms, ${s.okRps} successful/s, errors ${pct(s.errorRate, 3)}, 429 ×${s.limited}, 503 ×${s.shed}`,
    pass: s.requests > 0 && s.latencyMs.p95 < t.p95Ms && s.errorRate < t.errorRate && s.limited === 0 && s.shed === 0
  }))
  const cache = evaluateTargets(t, input).find((x) => x.name === 'cache hit rate')
  return cache ? [...perStep, cache] : perStep
}

export function verdictOf (targets: Target[]): 'PASS' | 'FAIL' {
  return targets.every((t) => t.pass !== false) ? 'PASS' : 'FAIL'
}

function statusText (statuses: Record<string, number>): string {
  return Object.entries(statuses).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}: ${v}`).join(', ')
}

function trafficRow (name: string, t: Traffic): string {
  const l = t.latencyMs
  return `| ${name} | ${t.requests} | ${t.rps} | ${l.p50} | ${l.p95} | ${l.p99} | ${l.max} | ${t.errors} | ${t.limited} | ${t.expected} | ${statusText(t.statuses)} |`
}

function serverSection (s: ServerFigures): string[] {
  if (!s.available) return ['## Server side', '', `Not available: ${s.source}.`, '']
  const lines = [
    '## Server side (deltas of /metrics over the measured window)', '',
    `- Cache hit rate: **${pct(s.cacheHitRate, 1)}** over ${s.cacheLookups ?? 'n/a'} lookups`,
    `- Database: ${s.dbQueries ?? 'n/a'} queries, ${s.dbTimeMs === null ? 'n/a' : `${Math.round(s.dbTimeMs)} ms`} in total, ${s.dbMsPerRequest === null ? 'n/a' : `${s.dbMsPerRequest} ms`} per request (server counted ${s.serverRequests ?? 'n/a'} requests)`,
    ''
  ]
  if (s.cacheByType.length > 0) {
    lines.push('| cache type | lookups | hit rate |', '| --- | ---: | ---: |')
    for (const c of s.cacheByType) lines.push(`| ${c.type} | ${c.lookups} | ${pct(c.hitRate, 1)} |`)
    lines.push('')
  }
  if (s.dbByQuery.length > 0) {
    lines.push('| query | count | total ms | avg ms |', '| --- | ---: | ---: | ---: |')
    for (const q of s.dbByQuery) lines.push(`| ${q.name} | ${q.count} | ${Math.round(q.totalMs)} | ${q.avgMs} |`)
    lines.push('')
  }
  return lines
}

function findingsSection (f: Findings): string[] {
  const lines = ['## What the server saw', '']
  if (f.phases.length > 0) {
    lines.push('Phase timings per route (server side, averages over its last minutes, ms):', '',
      '| route | requests | total | db | cache | serialize | our code + waiting |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: |')
    for (const p of f.phases) lines.push(`| ${p.route} | ${p.count} | ${p.totalMs} | ${p.dbMs} | ${p.cacheMs} | ${p.serializeMs} | ${p.handlerMs} |`)
    lines.push('')
  }
  lines.push(f.profiles.length === 0 ? 'No CPU profile was captured during the run (no critical route broke its p95 budget, or the cooldown was running).' : 'CPU profiles captured during the run (automatic: a route\'s p95 broke its budget):', '')
  for (const p of f.profiles) {
    lines.push(`- ${p.startedAt} ${p.route} (p95 ${p.p95Ms ?? 'n/a'} ms, budget ${p.budgetMs ?? 'n/a'} ms, ${p.status}, idle ${p.idlePct ?? 'n/a'}%): ` +
      p.top.map((t) => `\`${t.fn}\` ${t.selfPct}%`).join(', '))
  }
  lines.push('', f.slowQueries.length === 0 ? 'No slow query was captured during the run.' : 'Slow queries captured during the run (with their plans):', '')
  for (const q of f.slowQueries) lines.push(`- \`${q.name}\` ${q.durationMs} ms (×${q.occurrences}, cost ${q.totalCost ?? 'n/a'}): ${q.plan}`)
  if (f.notes.length > 0) lines.push('', `Notes: ${f.notes.join('; ')}.`)
  lines.push('')
  return lines
}

function cpuLine (m: Report['machine']): string {
  const c = m.cpuSplit
  if (!c) return '- CPU split: n/a (no /proc)'
  return `- CPU during the window (% of one core, ${m.cpus * 100} in all): server ${c.serverFound ? c.server : 'not found (remote?)'}, PostgreSQL ${c.postgres}, Redis ${c.redis}, ` +
    `load generator ${c.generator}, other processes (other databases' backends included) ${c.other}, idle ${c.idle}`
}

function scheduled (s: Report['settings'], curve: Report['curve']): string {
  if (curve) return `capacity curve: ${curve.steps.map((c) => c.offeredRps).join(', ')} requests/s offered, ${curve.stepS} s each`
  if (s.targetRps === null) return s.model === 'closed' ? 'closed loop' : 'one visit per user'
  if (s.spikeFactor === null) return `${s.targetRps} requests/s scheduled`
  return `${s.targetRps} requests/s scheduled at 1x, ${Math.round(s.targetRps * s.spikeFactor)} at the ${s.spikeFactor}x peak`
}

function databaseLine (d: Report['machine']['database']): string[] {
  if (!d) return []
  const advice = d.autovacuum ? '' : ' (nothing cleans them up between runs: `VACUUM ANALYZE` the database before measuring)'
  return [`- Database under test before the run: autovacuum ${d.autovacuum ? 'on' : 'off'}, ${d.deadRows.toLocaleString('en-US')} dead rows beside ${d.liveRows.toLocaleString('en-US')} live ones${advice}`]
}

function curveSection (curve: NonNullable<Report['curve']>, chart: string | undefined): string[] {
  const lines = ['## Capacity curve', '',
    'Each step offers one rate (open model, after the warm-up ramp to the first); a request belongs to the step it was due in, so a backlog carried into the next step counts there. Latency from the scheduled start, in ms; 503s are also counted among the errors.', '']
  if (chart) lines.push(`![capacity curve](${chart})`, '')
  lines.push('| offered req/s | requests | successful req/s | p50 | p95 | p99 | max | 429 | 503 | errors |', '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const c of curve.steps) {
    const l = c.latencyMs
    lines.push(`| ${c.offeredRps} | ${c.requests} | ${c.okRps} | ${l.p50} | ${l.p95} | ${l.p99} | ${l.max} | ${c.limited} | ${c.shed} | ${c.errors} (${pct(c.errorRate, 2)}) |`)
  }
  lines.push('')
  return lines
}

function floodSection (f: Flood, overall: Traffic): string[] {
  const figures = f.problem ?? `${f.requests} requests (${f.rps}/s), statuses: ${statusText(f.statuses)}`
  return ['## Flood beside the journeys', '',
    `\`GET ${f.path}\` from ${f.connections} connections for ${f.durationS} s (a separate autocannon process, no token): ${figures}.`, '',
    `The journeys meanwhile: 503 ×${overall.statuses['503'] ?? 0}, 429 ×${overall.limited} of ${overall.requests} requests.`, '']
}

export function renderMarkdown (r: Report, chart?: string): string {
  const s = r.settings
  const m = r.machine
  const lines = [
    `# Load test: ${r.scenario} — ${r.verdict}`, '',
    `${r.description}. Started ${r.startedAt}, ${s.durationS} s measured after ${s.warmupS} s of warm-up.`, '',
    `- Target: ${s.baseUrl} (${s.workers} worker${s.workers === 1 ? '' : 's'}), ${s.model} model (${s.arrival} arrivals), ${s.users} users${s.accounts !== s.users ? ` (${s.accounts} accounts at the peak)` : ''}, ` +
      `${scheduled(s, r.curve ?? null)}, seed ${s.seed}, Zipf ${s.zipf}, ${s.connections} connections, auth ${s.auth}`,
    `- Machine: ${m.cpus} × ${m.cpuModel}, ${m.memoryMb} MB, Node ${m.node}; load average before ${m.loadAverageBefore.join(' / ')}, after ${m.loadAverageAfter.join(' / ')}. ` +
      'The app, PostgreSQL, Redis and this load generator share these cores.',
    ...databaseLine(m.database),
    `- Load generator: ${r.generator.cpuPercent}% of one core, event-loop delay p99 ${r.generator.eventLoopDelayP99Ms} ms, at most ${r.generator.peakInFlight} requests in flight`,
    cpuLine(r.machine), '',
    '## Targets', '', '| target | goal | measured | result |', '| --- | --- | --- | --- |',
    ...r.targets.map((t) => `| ${t.name} | ${t.goal} | ${t.shown} | ${t.pass === null ? 'n/a' : t.pass ? 'PASS' : 'FAIL'} |`), '',
    '## Requests', '',
    'Latency in ms, timed from each request\'s scheduled start (open model), so queueing counts. Errors: non-2xx answers other than 429 and the expected 409s, plus timeouts and dropped requests. 429s are counted apart and kept out of the latency figures.', '',
    '| endpoint | requests | RPS | p50 | p95 | p99 | max | errors | 429 | expected | statuses |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    trafficRow('**overall**', r.overall),
    ...r.endpoints.map((e) => trafficRow(e.endpoint, e)), '',
    `Visits: ${Object.entries(r.visits.started).map(([k, v]) => `${k} ${v}`).join(', ')} (aborted ${r.visits.aborted}); orders placed ${r.visits.ordersPlaced}, checkout conflicts ${r.visits.orderConflicts} (whole run, warm-up included).`, '',
    ...(r.curve ? curveSection(r.curve, chart) : []),
    ...(r.flood ? floodSection(r.flood, r.overall) : []),
    ...serverSection(r.server),
    ...findingsSection(r.findings)
  ]
  if (r.flashSale) {
    const f = r.flashSale
    lines.push('## Flash sale', '', `Product ${f.productId} with ${f.stock} units: ${f.wins} orders won, ${f.losses} shoppers turned away (409), ${f.soldInDb} units sold according to the database, stock now ${f.stockAfter}: ${f.exact ? 'exact' : 'NOT exact'}.`, '')
  }
  lines.push('## Per second', '', '| s | responses | p95 ms | p99 ms | errors | 429 | users online |', '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const t of r.timeline) lines.push(`| ${t.t} | ${t.responses} | ${t.p95Ms} | ${t.p99Ms} | ${t.errors} | ${t.limited} | ${t.online} |`)
  return lines.join('\n') + '\n'
}

/** The chart's subtitle: what ran, when, and how busy the machine was. */
function curveSubtitle (r: Report): string {
  const m = r.machine
  const server = m.cpuSplit?.serverFound ? `, the server had ${Math.round(m.cpuSplit.server)} % of a core` : ''
  return `${r.scenario}, ${r.settings.users} users, ${r.curve?.stepS} s per step, ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC; ` +
    `load average ${m.loadAverageBefore[0]} → ${m.loadAverageAfter[0]} on ${m.cpus} cores${server}`
}

/** Writes `<prefix>.json` and `<prefix>.md`, and `<prefix>.svg` for a capacity curve; returns the paths. */
export async function writeReport (report: Report, prefix: string): Promise<{ json: string, markdown: string, svg?: string }> {
  await mkdir(path.dirname(prefix), { recursive: true })
  const json = `${prefix}.json`
  const markdown = `${prefix}.md`
  const svg = report.curve ? `${prefix}.svg` : undefined
  await writeFile(json, JSON.stringify(report, null, 2) + '\n')
  if (svg && report.curve) await writeFile(svg, renderCurveSvg(report.curve.steps, curveSubtitle(report)))
  await writeFile(markdown, renderMarkdown(report, svg && path.basename(svg)))
  return { json, markdown, svg }
}
