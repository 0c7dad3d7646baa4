// Panels fed by the metrics side: KPIs, endpoints, instances, queries, business, search.
import { $, bytes, duration, esc, money, moneyCompact, ms, num, pct, setHtml, table, time } from './format.js'

function kpi (name, value, sub, level) {
  const v = document.querySelector(`[data-kpi="${name}"]`)
  const s = document.querySelector(`[data-kpi="${name}_sub"]`)
  if (v && v.textContent !== value) v.textContent = value
  if (s && s.textContent !== (sub ?? '')) s.textContent = sub ?? ''
  v?.closest('.kpi')?.setAttribute('data-level', level ?? 'ok')
}

const level = (value, warn, bad, lowerIsWorse = false) => {
  if (value === null || value === undefined) return 'ok'
  if (lowerIsWorse) return value < bad ? 'bad' : value < warn ? 'warn' : 'ok'
  return value > bad ? 'bad' : value > warn ? 'warn' : 'ok'
}

/** The headline cards from the combined snapshot (targets: p95 < 200 ms, errors < 0.1 %, cache > 80 %). */
export function renderKpis (snap) {
  const { http, cache, db, event_loop: el } = snap.total
  kpi('rps', num(http.rps_1s), `${num(http.rps)} avg 60 s · ${num(http.in_flight)} in flight`)
  kpi('p95', ms(http.p95_ms), `p50 ${ms(http.p50_ms)} · p99 ${ms(http.p99_ms)}`, level(http.p95_ms, 100, 200))
  kpi('errors', pct(http.error_rate, 2), `${num(http.errors)} 5xx · ${num(http.rate_limited)} 429 · ${num(snap.total.rate_limit.shed)} shed`, level(http.error_rate, 0.0005, 0.001))
  kpi('cache', pct(cache.hit_rate), `${num(cache.hits)} hits / ${num(cache.lookups)} reads`, level(cache.hit_rate, 0.9, 0.8, true))
  kpi('el', ms(el.delay_p99_ms), `ELU ${pct(el.utilization, 0)} · CPU ${pct(snap.total.cpu_ratio, 0)}`, level(el.delay_p99_ms, 50, 100))
  kpi('pool', `${db.pool.in_use}/${db.pool.size}`, `${db.pool.waiting} waiting · peak ${db.pool.max_in_use} · ${db.up === false ? 'DB DOWN' : `${num(db.queries)} queries`}`,
    db.up === false ? 'bad' : level(db.pool.max_in_use / Math.max(1, db.pool.size), 0.7, 0.9))
  const alive = snap.instances.filter((i) => i.alive).length
  const scope = snap.shared ? 'combined via Redis' : redisEmbedded ? 'one process (embedded mode, no Redis)' : 'this instance only (Redis down)'
  kpi('instances', `${alive}`, `${scope} · ${bytes(snap.total.memory.rss_bytes)} RSS`,
    redisEmbedded || (snap.shared && snap.total.redis.up !== false) ? 'ok' : 'warn')
}

// Set from /health/ready: without Redis at all, "Redis down" warnings would be wrong.
let redisEmbedded = false

/** The badge naming the backends `npm start` embedded (PGlite, no Redis), from `/health/ready`. */
export function renderBackends (health) {
  const embedded = (name) => health?.checks?.[name]?.mode === 'embedded'
  redisEmbedded = embedded('redis')
  const parts = [embedded('database') && 'PostgreSQL → PGlite', redisEmbedded && 'Redis → in-process'].filter(Boolean)
  const badge = $('#backends')
  badge.hidden = parts.length === 0
  badge.textContent = `embedded: ${parts.join(' · ')}`
  badge.title = 'Embedded mode: one process, one database connection, not for load. Set DATABASE_URL and REDIS_URL in production.'
}

export function renderRoutes (routes) {
  setHtml($('#routes'), table(routes, [
    ['Route', (r) => `<code>${esc(r.route)}</code>`],
    ['Count', (r) => num(r.requests), 'n'],
    ['RPS', (r) => num(r.rps), 'n'],
    ['p50', (r) => ms(r.p50_ms), 'n'],
    ['p95', (r) => `<span data-level="${level(r.p95_ms, 100, 200)}">${ms(r.p95_ms)}</span>`, 'n'],
    ['p99', (r) => ms(r.p99_ms), 'n'],
    ['Errors', (r) => `<span data-level="${level(r.error_rate, 0.0005, 0.001)}">${pct(r.error_rate, 2)}</span>`, 'n'],
    ['429', (r) => num(r.rate_limited), 'n'],
    ['DB ms', (r) => ms(r.avg_db_ms), 'n'],
    ['Cache ms', (r) => ms(r.avg_cache_ms), 'n']
  ], 'No requests in the last minute'))
}

/** Instances publishing now (from the latest snapshot): a profile or alert of any other process comes from an earlier run. */
export const aliveInstances = new Set()

export function renderInstances (snap) {
  aliveInstances.clear()
  for (const i of snap.instances) if (i.alive) aliveInstances.add(i.instance_id)
  setHtml($('#instances'), table(snap.instances, [
    ['Instance', (i) => `<span class="dot ${i.alive ? 'up' : 'down'}"></span><code>${esc(i.instance_id)}</code>`],
    ['RPS', (i) => num(i.http.rps), 'n'],
    ['p95', (i) => ms(i.http.p95_ms), 'n'],
    ['Err', (i) => pct(i.http.error_rate, 2), 'n'],
    ['EL p99', (i) => ms(i.event_loop.delay_p99_ms), 'n'],
    ['Pool', (i) => `${i.db.pool.in_use}/${i.db.pool.size}`, 'n'],
    ['RSS', (i) => bytes(i.memory.rss_bytes), 'n'],
    ['Up', (i) => duration(i.uptime_s), 'n']
  ]))
  setHtml($('#queries'), table(snap.total.db.by_name.slice(0, 12), [
    ['Query', (q) => `<code>${esc(q.name)}</code>`],
    ['Count', (q) => num(q.count), 'n'],
    ['Avg', (q) => ms(q.avg_ms), 'n'],
    ['p95', (q) => ms(q.p95_ms), 'n'],
    ['Err', (q) => num(q.errors), 'n']
  ], 'No named queries in the last minute'))
  $('#scope').textContent = `${snap.instances.length} instance${snap.instances.length === 1 ? '' : 's'} · updated ${new Date(snap.generated_at).toLocaleTimeString()}`
}

export function renderBusiness (b) {
  kpi('revenue', moneyCompact(b.revenue.today), `${num(b.orders.today)} orders today`)
  $('#business-age').textContent = `computed ${time(b.computed_at)} (${b.timezone})`
  const growth = b.orders.growth_percent === null ? '–' : `${b.orders.growth_percent > 0 ? '+' : ''}${b.orders.growth_percent}%`
  const figure = (label, value, note = '') => `<div class="fig"><span class="k">${esc(label)}</span><span class="v">${value}</span><span class="s">${note}</span></div>`
  const figures = [
    figure('Users', num(b.users.total), `${num(b.users.active_today)} active · ${num(b.users.new_today)} new today`),
    figure('Products', num(b.products.active), `<span data-level="${b.products.low_stock > 0 ? 'warn' : 'ok'}">${num(b.products.low_stock)} low stock (≤ ${b.products.low_stock_threshold})</span>`),
    figure('Orders today', num(b.orders.today), `${growth} vs yesterday same time (${num(b.orders.yesterday_same_time)}) · ${num(b.orders.yesterday)} yesterday`),
    figure('Revenue', money(b.revenue.today), `30 days ${money(b.revenue.month)} · AOV ${money(b.revenue.avg_order_value)}`),
    figure('Conversion 24 h', pct(b.conversion.rate), `${num(b.conversion.ordering_users_24h)} ordering / ${num(b.conversion.cart_users_24h)} with a cart`)
  ].join('')
  const top = table(b.top_products, [
    ['Top products (7 days)', (p) => esc(p.name)],
    ['Sold', (p) => num(p.total_sold), 'n'],
    ['Revenue', (p) => money(p.revenue), 'n']
  ], 'No orders this week')
  setHtml($('#business'), `<div class="figs">${figures}</div><table>${top}</table>`)
}

/** "updated 3s ago" from an ISO time, against this browser's clock (seconds never below 0). */
function age (iso) {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000))
  return `updated ${duration(s)} ago`
}

/** Refreshes every "updated … ago" label (called every second, so the age counts up between polls). */
export function renderAges () {
  for (const el of document.querySelectorAll('[data-computed-at]')) {
    const iso = el.dataset.computedAt
    if (iso) el.textContent = age(iso)
  }
}

/** Marks a panel's "updated … ago" label with when its data was computed (an ISO time). */
export function markComputed (selector, iso) {
  const label = $(selector)
  label.dataset.computedAt = iso
  label.title = `computed ${iso}`
  label.textContent = age(iso)
}

export function renderSearch (s) {
  markComputed('#search-age', s.computed_at)
  if (!s.available) {
    setHtml($('#search'), `<p class="muted">${redisEmbedded ? 'Search analytics need Redis; this embedded run has none (set REDIS_URL).' : 'Search analytics need Redis, which is unreachable.'}</p>`)
    return
  }
  const list = (rows, empty) => table(rows, [['Query', (r) => esc(r.query)], ['Count', (r) => num(r.count), 'n']], empty)
  setHtml($('#search'), `
    <p class="muted">${num(s.total_searches)} searches · ${num(s.zero_result_searches)} without results</p>
    <div class="cols">
      <table>${list(s.top_queries, 'No searches yet')}</table>
      <table>${list(s.zero_result_queries, 'No zero-result searches')}</table>
    </div>
    <table>${table(s.slow_searches, [['Slow search', (r) => esc(r.query)], ['Time', (r) => ms(r.duration_ms), 'n'], ['Results', (r) => num(r.results), 'n'], ['When', (r) => time(r.at), 'n']], 'No slow searches')}</table>`)
}
