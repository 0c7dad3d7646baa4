// Where the time went: the time split of a profile's capture window (database, pool wait, Redis,
// CPU) as a bar with its verdict and the route's dominant queries. Shapes: TimeSplitSchema in
// src/modules/monitoring/profiles.schemas.ts.
import { esc, ms } from './format.js'

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
