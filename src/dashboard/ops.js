// Panels fed by the alerting and profiling API (shapes: src/modules/monitoring/alerts/schemas.ts,
// profiling/schemas.ts, slow-queries/schemas.ts): alerts, banner, silences, history, profiles, slow queries.
import { $, esc, ms, num, setHtml, table, time } from './format.js'
import { queryShares, renderSplit } from './diagnosis.js'
import { aliveInstances } from './panels.js'

const SILENCE_S = 3600

function severity (s) {
  return `<span class="sev sev-${esc(s)}">${esc(s)}</span>`
}

/** The banner that cannot be missed: every firing alert that is not silenced (nor a stale state nobody evaluates), with a silence button. */
function renderBanner (alerts) {
  const firing = alerts.filter((a) => a.state === 'firing' && !a.silenced && !a.stale)
  const banner = $('#alert-banner')
  document.body.classList.toggle('firing', firing.length > 0)
  document.title = firing.length > 0 ? `(${firing.length} firing) TechMart · Monitoring` : 'TechMart · Monitoring'
  banner.hidden = firing.length === 0
  setHtml(banner, firing.length === 0
    ? ''
    : `<strong>${firing.length} alert${firing.length === 1 ? '' : 's'} firing</strong>${firing.map((a) => `
      <span class="banner-item" data-alert="${esc(a.id)}">${severity(a.severity)} <b>${esc(a.id)}</b> ${esc(a.summary)}
      ${explainButton(a.id)} <button type="button" class="small" data-silence="${esc(a.id)}">Silence 1 h</button></span>`).join('')}`)
}

/** Opens the incident view of the alert's latest episode. */
function explainButton (id) {
  return `<button type="button" class="small" data-incident="${esc(id)}">Explain</button>`
}

/** Where a state or profile comes from: its process, and whether that process still runs. */
function origin (instance, current) {
  const gone = instance !== current && !aliveInstances.has(instance)
  return `<span class="muted" title="the process that ${gone ? 'left' : 'holds'} it">${esc(instance)}</span>${gone ? ' <span class="tag tag-stale">earlier run</span>' : ''}`
}

function alertRow (a) {
  const since = a.state === 'firing' ? a.firing_since : a.active_since
  const tags = [
    a.stale ? `<span class="tag tag-stale" title="not evaluated since ${esc(a.last_evaluated_at ?? 'ever')}: left by a process that is gone, or another copy of the database">stale · not evaluated since ${time(a.last_evaluated_at)}</span>` : '',
    a.resolving ? `<span class="tag tag-resolving">resolving at ${time(a.resolves_at)}</span>` : '',
    a.silenced ? '<span class="tag">silenced</span>' : '',
    a.inhibited ? `<span class="tag">inhibited by ${esc(a.inhibited_by)}</span>` : ''
  ].join(' ')
  const button = a.silenced ? '' : `<button type="button" class="small" data-silence="${esc(a.id)}">Silence 1 h</button>`
  return `<li class="alert state-${esc(a.state)}${a.stale ? ' stale' : ''}${a.resolving ? ' resolving' : ''}">${severity(a.severity)} <b>${esc(a.id)}</b> <span class="state">${esc(a.state)}</span> ${tags}
    <div class="summary">${esc(a.summary)} · since ${time(since)} · ${origin(a.labels.instance ?? '–', currentInstance)}</div>${explainButton(a.id)} ${button}</li>`
}

/** GET /monitoring/alerts → active list, banner, history and silences. */
// This process, from the latest overview.
let currentInstance = null

export function renderAlerts (overview) {
  currentInstance = overview.evaluation.instance
  renderBanner(overview.active)
  const ev = overview.evaluation
  $('#alerts-eval').textContent = `${ev.enabled ? `${overview.rules.length} rules · evaluated ${time(ev.last_tick_at)}` : 'evaluation off'} · this instance ${ev.instance} since ${time(ev.instance_started_at)}`
  setHtml($('#alerts-active'), overview.active.length === 0
    ? '<p class="ok-text">No active alerts</p>'
    : `<ul class="alerts">${overview.active.map(alertRow).join('')}</ul>`)
  // The incident view explains a rule's latest episode: offered on each rule's newest change.
  const started = Date.parse(ev.instance_started_at)
  const configured = new Set(overview.rules.map((r) => r.id))
  const seen = new Set()
  const history = overview.history.slice(0, 25).map((e) => {
    const newest = !seen.has(e.rule_id)
    seen.add(e.rule_id)
    return { ...e, newest }
  })
  setHtml($('#alerts-history'), `<table>${table(history, [
    ['When', (e) => Date.parse(e.at) < started ? `<span class="earlier" title="before this instance started (${esc(ev.instance_started_at)})">${time(e.at)}</span>` : time(e.at)],
    ['Rule', (e) => `<code>${esc(e.rule_id)}</code>${e.newest && e.to_state !== 'inactive' && configured.has(e.rule_id) ? ` ${explainButton(e.rule_id)}` : ''}`],
    ['Change', (e) => `${esc(e.from_state)} → <b class="state-${esc(e.to_state)}">${esc(e.to_state)}</b>`],
    ['Value', (e) => e.value === null ? '–' : num(e.value), 'n']
  ], 'No state changes yet')}</table>`)
  setHtml($('#alerts-silences'), `<table>${table(overview.silences, [
    ['Rule', (s) => `<code>${esc(s.rule_id)}</code>`],
    ['Until', (s) => time(s.ends_at)],
    ['Comment', (s) => esc(s.comment)],
    ['', (s) => `<button type="button" class="small" data-expire="${s.id}">Expire</button>`]
  ], 'No silences in force')}</table>`)
}

export function renderNotifications (list) {
  setHtml($('#alerts-notifications'), `<table>${table(list.slice(0, 20), [
    ['When', (n) => time(n.at)],
    ['To', (n) => `${esc(n.receiver)} <span class="muted">${esc(n.target)}</span>`],
    ['Status', (n) => esc(n.status)],
    ['Outcome', (n) => `<span data-level="${n.outcome === 'sent' ? 'ok' : n.outcome === 'failed' ? 'bad' : 'warn'}">${esc(n.outcome)}</span>${n.http_status ? ` (${n.http_status})` : ''}`],
    ['Rules', (n) => esc(n.rule_ids.join(', '))]
  ], 'No notifications sent')}</table>`)
}

/** GET /monitoring/profiles → captured profiles with where their window's time went and their hottest functions, and phase timings. */
export function renderProfiles (overview) {
  $('#capture').disabled = overview.capturing
  const warming = overview.warmup_ends_at && Date.parse(overview.warmup_ends_at) > Date.now()
  const state = [
    warming ? `automatic capture from ${time(overview.warmup_ends_at)} (warm-up)` : '',
    overview.cooldowns.length > 0 ? `in cooldown: ${overview.cooldowns.map((c) => `<code>${esc(c.route)}</code> until ${time(c.until)}`).join(', ')}` : ''
  ].filter(Boolean).join(' · ')
  setHtml($('#profiles'), (state ? `<p class="muted">${state}</p>` : '') + (overview.profiles.length === 0
    ? `<p class="muted">No profiles yet${overview.enabled ? ' — captured automatically when a critical route breaks its p95 budget' : ' (automatic profiling is off)'}.</p>`
    : overview.profiles.slice(0, 6).map((p) => `
      <div class="profile" data-profile="${p.id}">
        <div><b>#${p.id}</b> ${esc(p.trigger)} · ${esc(p.status)} · ${time(p.started_at)} · ${origin(p.instance, overview.instance)}
          ${p.route ? `· <code>${esc(p.route)}</code> p95 ${ms(p.p95_ms)} / budget ${ms(p.budget_ms)}` : ''}
          ${p.file_available ? `<button type="button" class="small" data-download="${p.id}">Download .cpuprofile</button>` : ''}</div>
        ${p.error ? `<div class="error">${esc(p.error)}</div>` : ''}
        ${p.status === 'ready' ? renderSplit(p.time_split) : ''}
        <ol class="fns" title="CPU: hottest functions by self time">${p.top_functions.slice(0, 5).map((f) => `<li><code>${esc(f.function_name || '(anonymous)')}</code>
          <span class="muted">${esc(f.url)}:${f.line}</span> <b>${f.self_pct.toFixed(1)}%</b> ${ms(f.self_ms)}</li>`).join('')}</ol>
      </div>`).join('')))
  setHtml($('#phases'), `<table>${table(overview.phases.slice(0, 10), [
    ['Route', (r) => `<code>${esc(r.route)}</code>`],
    ['Total', (r) => ms(r.avg_total_ms), 'n'],
    ['DB', (r) => ms(r.avg_db_ms), 'n'],
    ['Pool wait', (r) => ms(r.avg_pool_wait_ms), 'n'],
    ['Cache', (r) => ms(r.avg_cache_ms), 'n'],
    ['Serialize', (r) => ms(r.avg_serialize_ms), 'n'],
    ['Handler', (r) => ms(r.avg_handler_ms), 'n'],
    ['Queries (share of DB time)', (r) => queryShares(r.top_queries, 2)]
  ], 'No phase timings yet')}</table>`)
}

/**
 * GET /monitoring/slow-queries → the queries degraded now (p95 against their own baseline), then each
 * capture as its one-line summary (`catalog.search_rum: p95 45 ms, normally 3.1 ms, plan: Seq Scan on
 * products`), tagged relative or absolute; the SQL and the plan unfold under it.
 */
export function renderSlowQueries (res) {
  const degraded = (res.baselines ?? []).filter((b) => b.degraded)
  const live = degraded.length === 0
    ? ''
    : `<p><span class="sev sev-warning">degraded now</span> ${degraded.map((b) =>
      `<code>${esc(b.name)}</code> p95 ${ms(b.p95_ms)}, normally ${ms(b.baseline_ms)}`).join(' · ')}</p>`
  const rules = [res.threshold_ms > 0 ? `slower than ${ms(res.threshold_ms)}` : '', res.relative?.enabled ? `at ${num(res.relative.factor)}× its own baseline` : ''].filter(Boolean)
  const captures = res.queries.length === 0
    ? `<p class="muted">${rules.length === 0 ? 'Slow-query capture is off.' : `No query ${rules.join(' or ')} captured.`}</p>`
    : res.queries.slice(0, 10).map((q) => `
      <details class="slow"><summary>${q.reason === 'relative' ? '<span class="sev sev-warning">relative</span>' : '<span class="tag">absolute</span>'}
        ${esc(q.summary)} · ×${q.occurrences} · ${time(q.captured_at)}</summary>
        <pre>${esc(q.sql)}</pre>
        ${q.plan ? `<pre class="plan">${esc(JSON.stringify(q.plan, null, 1))}</pre>` : `<p class="muted">${esc(q.plan_error ?? 'no plan')}</p>`}
      </details>`).join('')
  setHtml($('#slow-queries'), live + captures)
}

/** The placeholder shown while a panel's API is not available (404/5xx). */
export function unavailable (selector, what) {
  setHtml($(selector), `<p class="muted">${esc(what)} not available.</p>`)
}

export { SILENCE_S }
