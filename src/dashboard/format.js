// Formatting and tiny DOM helpers shared by the dashboard modules.

const NUMBER = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 })
const MONEY = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })

/** Escapes text for HTML: every value from the API (route names, search queries) goes through it. */
export function esc (value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])
}

export function num (n) {
  return n === null || n === undefined ? '–' : NUMBER.format(n)
}

export function ms (v) {
  if (v === null || v === undefined) return '–'
  if (v < 10) return `${v.toFixed(2)} ms`
  if (v < 100) return `${v.toFixed(1)} ms`
  if (v < 10000) return `${Math.round(v)} ms`
  return `${(v / 1000).toFixed(1)} s`
}

export function pct (ratio, digits) {
  if (ratio === null || ratio === undefined) return '–'
  const p = ratio * 100
  return `${p.toFixed(digits ?? (p !== 0 && p < 1 ? 2 : 1))}%`
}

export function money (v) {
  return v === null || v === undefined ? '–' : MONEY.format(v)
}

const COMPACT = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 2 })

/** Large amounts in a headline card: 1,437,554.17 → 1.44M (the panel shows the exact figure). */
export function moneyCompact (v) {
  return v === null || v === undefined ? '–' : Math.abs(v) < 100000 ? MONEY.format(v) : COMPACT.format(v)
}

export function bytes (b) {
  if (b === null || b === undefined) return '–'
  const units = ['B', 'KB', 'MB', 'GB']
  let i = 0
  while (b >= 1024 && i < units.length - 1) { b /= 1024; i++ }
  return `${b.toFixed(i === 0 ? 0 : 1)} ${units[i]}`
}

export function duration (seconds) {
  if (seconds < 60) return `${seconds}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`
  return `${Math.floor(seconds / 86400)}d ${Math.floor((seconds % 86400) / 3600)}h`
}

const CLOCK = { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }
const DAY_CLOCK = { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }

/** Compact local time (24 h): `16:49:31` today, `Nov 27, 16:49` before. */
export function time (iso) {
  if (!iso) return '–'
  const d = new Date(iso)
  const today = new Date().toDateString() === d.toDateString()
  return d.toLocaleString([], today ? CLOCK : DAY_CLOCK)
}

/** A table from rows: `columns` is [[header, (row) => html, className?], ...]. */
export function table (rows, columns, empty = 'Nothing yet') {
  if (!rows || rows.length === 0) return `<tr><td class="muted">${esc(empty)}</td></tr>`
  const head = `<thead><tr>${columns.map(([h, , c]) => `<th class="${c ?? ''}">${esc(h)}</th>`).join('')}</tr></thead>`
  const body = rows.map((r) => `<tr>${columns.map(([, f, c]) => `<td class="${c ?? ''}">${f(r)}</td>`).join('')}</tr>`).join('')
  return `${head}<tbody>${body}</tbody>`
}

export function $ (selector) {
  return document.querySelector(selector)
}

const rendered = new WeakMap()

/** Sets innerHTML only when it changed, so a 1-second refresh does not disturb selection, hover or open details. */
export function setHtml (el, html) {
  if (el && rendered.get(el) !== html) {
    el.innerHTML = html
    rendered.set(el, html)
  }
}

/** A short message at the bottom of the screen (failed actions). */
export function toast (message) {
  const el = Object.assign(document.createElement('div'), { className: 'toast', textContent: message })
  document.body.append(el)
  setTimeout(() => el.remove(), 6000)
}
