// Where the time went: the time split of a profile's capture window (database, pool wait, Redis,
// CPU) as a bar with its verdict and the route's dominant queries. Shapes: TimeSplitSchema in
// src/modules/monitoring/profiling/schemas.ts.
import { esc, ms, num, table, time } from './format.js'

const PARTS = ['database', 'pool', 'redis', 'cpu']
const LABEL = { database: 'database', pool: 'pool wait', redis: 'Redis', cpu: 'CPU' }

/** A stacked bar of the four shares (0..100), each segment titled with its share and mean time. */
export function splitBar (split) {
  return `<div class="split-bar" role="img" aria-label="${esc(PARTS.map((p) => `${LABEL[p]} ${Math.round(split.shares[p])}%`).join(', '))}">${PARTS
    .filter((p) => split.shares[p] > 0)
    .map((p) => `<span class="seg seg-${p}" style="width:${split.shares[p]}%" title="${esc(`${LABEL[p]} ${split.shares[p]}% · ${ms(split.avg_ms[p])} per request`)}"></span>`)
    .join('')}</div>`
}

/** The verdict badge: `database 91%`. */
export function verdictBadge (split) {
  if (!split?.verdict) return '<span class="tag">no requests</span>'
  return `<span class="verdict verdict-${esc(split.verdict)}">${esc(LABEL[split.verdict])} ${Math.round(split.shares[split.verdict])}%</span>`
}

/** The named queries of a route with their share of its DB time: `catalog.search 97% · catalog.count 2%`. */
export function queryShares (queries, max = 3) {
  if (!queries || queries.length === 0) return ''
  return queries.slice(0, max).map((q) => `<code>${esc(q.name)}</code> ${Math.round(q.db_share_pct)}% <span class="muted">(${ms(q.avg_ms)} avg)</span>`).join(' · ')
}

/** A profile's time split: verdict, bar, summary line, dominant queries, and the other busy routes. */
export function renderSplit (split) {
  if (!split) return '<div class="muted">No time split (captured without request timings).</div>'
  const others = split.routes.filter((r) => r.route !== split.route && r.verdict).slice(0, 3)
  return `<div class="split" data-verdict="${esc(split.verdict ?? '')}">
    <div>${verdictBadge(split)} ${splitBar(split)}</div>
    <div class="split-summary">${esc(split.summary)}</div>
    ${split.queries.length > 0 ? `<div class="muted">DB time: ${queryShares(split.queries)}</div>` : ''}
    ${others.length > 0 ? `<div class="muted">Also in the window: ${others.map((r) => `<code>${esc(r.route)}</code> ${verdictBadge(r)}`).join(' · ')}</div>` : ''}
  </div>`
}

function routeQueries (r) {
  if (r.queries.length === 0) return '<span class="muted">–</span>'
  return r.queries.slice(0, 3).map((q) => `<code>${esc(q.name)}</code> ${Math.round(q.db_share_pct)}%${q.degraded ? ' <span class="sev sev-warning">degraded</span>' : ''}`).join(' · ')
}

/** The incident view of an alert episode (GET /monitoring/alerts/{id}/incident; IncidentSchema). */
export function renderIncident (incident) {
  const a = incident.alert
  const w = incident.window
  const routes = incident.routes.length === 0
    ? '<p class="muted">No route got slower than its baseline (p95 at least 1.5× and 5 ms above it).</p>'
    : `<table>${table(incident.routes, [
      ['Route', (r) => `<code>${esc(r.route)}</code>`],
      ['Requests', (r) => num(r.requests), 'n'],
      ['p95', (r) => `<span data-level="bad">${ms(r.p95_ms)}</span>`, 'n'],
      ['Normally', (r) => ms(r.baseline_p95_ms), 'n'],
      ['×', (r) => r.ratio === null ? 'new' : `${r.ratio}×`, 'n'],
      ['Queries (share of DB time)', routeQueries]
    ])}</table>`
  const captures = incident.slow_queries.length === 0
    ? '<p class="muted">No slow-query capture in the window.</p>'
    : `<ul class="captures">${incident.slow_queries.map((c) => `<li>${c.reason === 'relative' ? '<span class="sev sev-warning">relative</span>' : '<span class="tag">absolute</span>'} ${esc(c.summary)} <span class="muted">· ${time(c.captured_at)}</span></li>`).join('')}</ul>`
  const p = incident.profile
  const profile = !p
    ? '<p class="muted">No profile was taken during the episode.</p>'
    : `<div class="profile"><div><b>#${p.id}</b> ${esc(p.trigger)} · ${esc(p.status)} · ${time(p.started_at)} ${p.route ? `· <code>${esc(p.route)}</code>` : ''}
        ${p.file_available ? `<button type="button" class="small" data-download="${p.id}">Download .cpuprofile</button>` : ''}</div>
        ${p.status === 'ready' ? renderSplit(p.time_split) : ''}
        <ol class="fns" title="CPU: hottest functions by self time">${p.top_functions.slice(0, 3).map((f) => `<li><code>${esc(f.function_name || '(anonymous)')}</code>
          <span class="muted">${esc(f.url)}:${f.line}</span> <b>${f.self_pct.toFixed(1)}%</b></li>`).join('')}</ol></div>`
  const tags = [
    a.stale ? `<span class="tag tag-stale">stale · not evaluated since ${time(a.last_evaluated_at)}</span>` : '',
    a.resolving ? `<span class="tag tag-resolving">resolving at ${time(a.resolves_at)}</span>` : ''
  ].join(' ')
  return `<header class="incident-head"><h2>Incident · <code>${esc(a.id)}</code> <span class="state state-${esc(a.state)}">${esc(a.state)}</span> ${tags}</h2>
      <span class="spacer"></span><button type="button" class="small" data-close-incident="1">Close</button></header>
    <div class="summary">${esc(a.summary)} <span class="muted">· episode started on ${esc(a.labels.instance ?? '–')}</span></div>
    <p class="muted">Window ${time(w.from)} – ${w.ongoing ? 'now (ongoing)' : time(w.to)} · compared with ${time(w.baseline_from)} – ${time(w.baseline_to)}</p>
    <ol class="incident-summary">${incident.summary.map((line) => `<li>${esc(line)}</li>`).join('')}</ol>
    <h3>Slower routes</h3>${routes}
    <h3>Slow-query captures</h3>${captures}
    <h3>Profile of the episode</h3>${profile}`
}
