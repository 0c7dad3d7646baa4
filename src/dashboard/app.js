// TechMart monitoring dashboard: admin login, live updates over SSE (one DOM update per
// event, at most one per second), periodic refresh of the slower panels, and actions.
/* global requestAnimationFrame, cancelAnimationFrame, EventSource, location, history */
import { createCharts } from './charts.js'
import { $, esc, setHtml, toast } from './format.js'
import { markComputed, renderAges, renderBackends, renderBusiness, renderInstances, renderKpis, renderRoutes, renderSearch } from './panels.js'
import { renderAlerts, renderNotifications, renderProfiles, renderSlowQueries, SILENCE_S, unavailable } from './ops.js'
import { renderIncident } from './diagnosis.js'

const API = '/api/v1'
const TOKEN_KEY = 'techmart.monitoring.token'
const RANGE_SPAN_S = { '1h': 3600, '24h': 86400, '7d': 604800 }
// Search analytics: the server reuses a summary for at most 1 s and searches reach it within 1 s,
// so a search shows in the panel within 4 s; one poll is a cached read most of the time.
const POLL = { alerts: 15000, profiles: 30000, slow: 30000, search: 2000, history: 60000 }
const AGE_TICK_MS = 1000

let charts
let stream
let reconnectDelay = 1000
let pendingFrame = null
const timers = []

class HttpError extends Error {
  constructor (status, body) {
    super(body?.message ?? `HTTP ${status}`)
    this.status = status
  }
}

async function api (path, opts = {}) {
  const token = sessionStorage.getItem(TOKEN_KEY)
  const res = await fetch(`${API}${path}`, {
    ...opts,
    headers: { ...(opts.body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...opts.headers }
  })
  if (res.status === 401 && token) {
    signOut('Your session has expired; sign in again.')
    throw new HttpError(401)
  }
  const body = res.headers.get('content-type')?.includes('json') ? await res.json() : null
  if (!res.ok) throw new HttpError(res.status, body)
  return body
}

function setConn (state, text) {
  const el = $('#conn')
  el.dataset.state = state
  el.textContent = text
}

/** Applies a stream `metrics` event on the next animation frame (dropping stale ones). */
function onMetrics (event) {
  if (pendingFrame) cancelAnimationFrame(pendingFrame)
  pendingFrame = requestAnimationFrame(() => {
    pendingFrame = null
    renderKpis(event)
    renderRoutes(event.routes)
    renderInstances(event)
    charts.live(event.point)
  })
}

let alertsRefresh
function refreshAlertsSoon () {
  clearTimeout(alertsRefresh)
  alertsRefresh = setTimeout(loadAlerts, 200)
}

async function openStream () {
  stream?.close()
  try {
    await api('/monitoring/stream-token', { method: 'POST' })
  } catch (err) {
    if (err.status === 401) return
    setConn('down', 'stream unavailable, retrying…')
    setTimeout(openStream, reconnectDelay = Math.min(reconnectDelay * 2, 30000))
    return
  }
  stream = new EventSource(`${API}/monitoring/stream`)
  stream.addEventListener('open', () => { reconnectDelay = 1000; setConn('live', 'live') })
  stream.addEventListener('metrics', (e) => { setConn('live', 'live'); onMetrics(JSON.parse(e.data)) })
  stream.addEventListener('business', (e) => { const b = JSON.parse(e.data); renderBusiness(b); charts.business(b.orders.per_minute) })
  stream.addEventListener('alert', refreshAlertsSoon)
  stream.addEventListener('profile', () => loadProfiles())
  // The stream cookie lives 60 s: on any error get a new one rather than letting EventSource retry with a stale one.
  stream.addEventListener('error', () => {
    stream.close()
    setConn('down', 'reconnecting…')
    setTimeout(openStream, reconnectDelay = Math.min(reconnectDelay * 2, 30000))
  })
}

const guarded = (fn, selector, what) => async () => {
  try {
    await fn()
  } catch (err) {
    if (err.status !== 401) unavailable(selector, `${what}: ${err.status ? `HTTP ${err.status}` : err.message} —`)
  }
}

const loadAlerts = guarded(async () => {
  renderAlerts(await api('/monitoring/alerts?history_limit=25'))
  renderNotifications((await api('/monitoring/alerts/notifications?limit=20')).notifications)
  if (openIncident) await showIncident(openIncident)
}, '#alerts-active', 'Alerts')

// The incident view (one at a time): opened from an alert's Explain button or `#incident=<rule id>`
// (the webhook's incident_url), refreshed with the alerts, closed by its button or Escape.
let openIncident = null

async function showIncident (id) {
  openIncident = id
  const view = $('#incident')
  view.hidden = false
  if (location.hash !== `#incident=${encodeURIComponent(id)}`) history.replaceState(null, '', `#incident=${encodeURIComponent(id)}`)
  try {
    setHtml($('#incident-body'), renderIncident(await api(`/monitoring/alerts/${encodeURIComponent(id)}/incident`)))
  } catch (err) {
    if (openIncident !== id) return
    setHtml($('#incident-body'), `<header class="incident-head"><h2>Incident · <code>${esc(id)}</code></h2><span class="spacer"></span>
      <button type="button" class="small" data-close-incident="1">Close</button></header>
      <p class="${err.status === 404 ? 'muted' : 'error'}">${esc(err.status === 404 ? err.message : `Could not load the incident: ${err.message}`)}</p>`)
  }
}

function closeIncident () {
  openIncident = null
  $('#incident').hidden = true
  if (location.hash.startsWith('#incident=')) history.replaceState(null, '', location.pathname + location.search)
}

function incidentFromHash () {
  const m = /^#incident=([a-z0-9_]+)$/.exec(location.hash)
  return m ? m[1] : null
}
// Both lists are read from the database on each request: their data is as of the answer.
const loadProfiles = guarded(async () => {
  renderProfiles(await api('/monitoring/profiles?limit=6'))
  markComputed('#profiles-age', new Date().toISOString())
}, '#profiles', 'Profiles')
const loadSlow = guarded(async () => {
  renderSlowQueries(await api('/monitoring/slow-queries?limit=10'))
  markComputed('#slow-age', new Date().toISOString())
}, '#slow-queries', 'Slow queries')
const loadSearch = guarded(async () => renderSearch(await api('/monitoring/search-analytics')), '#search', 'Search analytics')
const loadBusiness = guarded(async () => {
  const b = await api('/monitoring/business')
  renderBusiness(b)
  charts.business(b.orders.per_minute)
}, '#business', 'Business metrics')

async function loadPerformance () {
  const range = $('#range').value
  const perf = await api(`/monitoring/performance?range=${range}`)
  if (range === '15m') charts.seedLive(perf.series)
  else charts.history(perf.series, RANGE_SPAN_S[range])
  renderKpis(perf)
  renderRoutes(perf.routes)
  renderInstances(perf)
}

async function start () {
  $('#login').hidden = true
  $('#app').hidden = false
  $('#whoami').textContent = sessionStorage.getItem(`${TOKEN_KEY}.email`) ?? ''
  charts ??= createCharts($('#charts'))
  // Which backends are embedded (public, no token): the badge, and no "Redis down" warnings without Redis.
  await fetch('/health/ready').then((res) => res.json()).then(renderBackends, () => {})
  await loadPerformance().catch(() => {})
  await Promise.all([loadBusiness(), loadAlerts(), loadProfiles(), loadSlow(), loadSearch()])
  openStream()
  timers.push(setInterval(loadAlerts, POLL.alerts), setInterval(loadProfiles, POLL.profiles), setInterval(loadSlow, POLL.slow), setInterval(loadSearch, POLL.search))
  timers.push(setInterval(() => { if (charts.mode === 'history') loadPerformance().catch(() => {}) }, POLL.history))
  timers.push(setInterval(renderAges, AGE_TICK_MS))
  const fromHash = incidentFromHash()
  if (fromHash) await showIncident(fromHash)
}

function signOut (message = '') {
  sessionStorage.removeItem(TOKEN_KEY)
  sessionStorage.removeItem(`${TOKEN_KEY}.email`)
  stream?.close()
  for (const t of timers.splice(0)) clearInterval(t)
  openIncident = null
  $('#incident').hidden = true
  $('#app').hidden = true
  $('#login').hidden = false
  $('#login-error').textContent = message
}

async function signIn (event) {
  event.preventDefault()
  const form = new FormData(event.target)
  $('#login-error').textContent = ''
  try {
    const session = await api('/auth/login', { method: 'POST', body: JSON.stringify({ email: form.get('email'), password: form.get('password') }) })
    if (session.user?.user_type !== 'admin') throw new Error('This dashboard is for administrators.')
    sessionStorage.setItem(TOKEN_KEY, session.access_token)
    sessionStorage.setItem(`${TOKEN_KEY}.email`, session.user.email)
    await start()
  } catch (err) {
    $('#login-error').textContent = err.status === 401 ? 'Wrong email or password.' : err.message
  }
}

async function onClick (event) {
  const el = event.target.closest('button')
  if (!el) return
  if (el.dataset.silence) {
    el.disabled = true
    await api(`/monitoring/alerts/${encodeURIComponent(el.dataset.silence)}/silence`, {
      method: 'POST', body: JSON.stringify({ duration_s: SILENCE_S, comment: `Silenced from the dashboard by ${$('#whoami').textContent || 'an admin'}` })
    }).catch((err) => toast(`Could not silence: ${err.message}`))
    await loadAlerts()
  } else if (el.dataset.expire) {
    await api(`/monitoring/silences/${el.dataset.expire}`, { method: 'DELETE' }).catch((err) => toast(`Could not expire: ${err.message}`))
    await loadAlerts()
  } else if (el.dataset.incident) {
    await showIncident(el.dataset.incident)
  } else if (el.dataset.closeIncident) {
    closeIncident()
  } else if (el.dataset.download) {
    await download(el.dataset.download)
  } else if (el.id === 'capture') {
    el.disabled = true
    await api('/monitoring/profiles', { method: 'POST', body: JSON.stringify({}) }).catch((err) => toast(`Could not capture: ${err.message}`))
    await loadProfiles()
  } else if (el.id === 'logout') {
    signOut()
  }
}

/** Profiles need the Authorization header, so they are fetched and saved as a blob, not linked. */
async function download (id) {
  const res = await fetch(`${API}/monitoring/profiles/${id}`, { headers: { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` } })
  if (!res.ok) return toast(`Download failed: HTTP ${res.status}`)
  const url = URL.createObjectURL(await res.blob())
  const a = Object.assign(document.createElement('a'), { href: url, download: `techmart-profile-${id}.cpuprofile` })
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 10000)
}

document.addEventListener('DOMContentLoaded', () => {
  $('#login-form').addEventListener('submit', signIn)
  document.addEventListener('click', (e) => { onClick(e).catch(() => {}) })
  $('#range').addEventListener('change', () => loadPerformance().catch(() => {}))
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && openIncident) closeIncident() })
  window.addEventListener('hashchange', () => {
    const id = incidentFromHash()
    if (id && id !== openIncident) showIncident(id).catch(() => {})
  })
  if (sessionStorage.getItem(TOKEN_KEY)) start().catch(() => signOut())
  else signOut()
})
