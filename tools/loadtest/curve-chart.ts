import type { CurveStep } from './report-schema.js'

/**
 * The capacity curve as a self-contained SVG (no dependency, no script): on
 * top, successful requests/s against the offered rate (with the offered rate
 * itself as a dashed diagonal), the 429s and 503s per second and the other
 * failures (timeouts, requests dropped 10 s behind schedule, other 5xx); below, p50,
 * p95 and p99 on a logarithmic axis with the 50 ms and 200 ms marks.
 */

const WIDTH = 760
const HEIGHT = 580
const LEFT = 70
const RIGHT = 150
const PANEL_H = 190
const TOP_Y = 80
const BOTTOM_Y = TOP_Y + PANEL_H + 70
const PLOT_W = WIDTH - LEFT - RIGHT

const COLORS = { offered: '#999999', ok: '#1f77b4', limited: '#ff7f0e', shed: '#d62728', failed: '#8c564b', p50: '#2ca02c', p95: '#9467bd', p99: '#333333' }

interface Series { name: string, color: string, points: Array<[number, number]>, dashed?: boolean }

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const fmt = (n: number): string => (n >= 1000 ? n.toLocaleString('en-US', { maximumFractionDigits: 0 }) : String(Math.round(n * 10) / 10))

/** 1, 2, 5 × 10^k steps giving about `count` ticks up to `max`. */
function niceTicks (max: number, count = 5): number[] {
  const raw = max / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag
  const ticks: number[] = []
  for (let v = 0; v <= max + step / 2; v += step) ticks.push(Math.round(v * 1e6) / 1e6)
  return ticks
}

function line (s: Series, x: (v: number) => number, y: (v: number) => number): string {
  if (s.points.length === 0) return ''
  const d = s.points.map(([a, b], i) => `${i === 0 ? 'M' : 'L'}${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ')
  const dots = s.dashed ? '' : s.points.map(([a, b]) => `<circle cx="${x(a).toFixed(1)}" cy="${y(b).toFixed(1)}" r="3" fill="${s.color}"/>`).join('')
  return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>${dots}`
}

function legend (series: Series[], top: number): string {
  return series.map((s, i) => {
    const y = top + 14 + i * 18
    const x = LEFT + PLOT_W + 16
    return `<line x1="${x}" y1="${y}" x2="${x + 22}" y2="${y}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>` +
      `<text x="${x + 28}" y="${y + 4}">${esc(s.name)}</text>`
  }).join('')
}

function frame (top: number, yTicks: Array<[number, string]>, xTicks: number[], x: (v: number) => number, title: string): string {
  const grid = yTicks.map(([py, label]) =>
    `<line x1="${LEFT}" y1="${py.toFixed(1)}" x2="${LEFT + PLOT_W}" y2="${py.toFixed(1)}" stroke="#e5e5e5"/>` +
    `<text x="${LEFT - 6}" y="${(py + 4).toFixed(1)}" text-anchor="end">${label}</text>`).join('')
  const xs = xTicks.map((v) => `<text x="${x(v).toFixed(1)}" y="${top + PANEL_H + 16}" text-anchor="middle">${fmt(v)}</text>`).join('')
  return `<text x="${LEFT}" y="${top - 10}" font-weight="bold">${esc(title)}</text>${grid}${xs}` +
    `<rect x="${LEFT}" y="${top}" width="${PLOT_W}" height="${PANEL_H}" fill="none" stroke="#888"/>`
}

export function renderCurveSvg (steps: CurveStep[], subtitle: string): string {
  const maxOffered = Math.max(1, ...steps.map((s) => s.offeredRps))
  const x = (v: number) => LEFT + (v / (maxOffered * 1.05)) * PLOT_W
  const xTicks = niceTicks(maxOffered * 1.05).filter((v) => v <= maxOffered * 1.05)

  const perS = (n: number, s: CurveStep) => n / Math.max(0.001, s.durationS)
  const throughput: Series[] = [
    { name: 'offered', color: COLORS.offered, points: steps.map((s) => [s.offeredRps, s.offeredRps]), dashed: true },
    { name: 'successful/s', color: COLORS.ok, points: steps.map((s) => [s.offeredRps, s.okRps]) },
    { name: '429/s', color: COLORS.limited, points: steps.map((s) => [s.offeredRps, perS(s.limited, s)]) },
    { name: '503/s', color: COLORS.shed, points: steps.map((s) => [s.offeredRps, perS(s.shed, s)]) },
    { name: 'other failures/s', color: COLORS.failed, points: steps.map((s) => [s.offeredRps, perS(s.errors - s.shed, s)]) }
  ]
  const maxRps = Math.max(1, ...throughput.flatMap((s) => s.points.map(([, v]) => v))) * 1.1
  const yTop = (v: number) => TOP_Y + PANEL_H - (v / maxRps) * PANEL_H
  const rpsTicks = niceTicks(maxRps).filter((v) => v <= maxRps).map((v): [number, string] => [yTop(v), fmt(v)])

  const latency: Series[] = [
    { name: 'p50', color: COLORS.p50, points: steps.map((s) => [s.offeredRps, s.latencyMs.p50]) },
    { name: 'p95', color: COLORS.p95, points: steps.map((s) => [s.offeredRps, s.latencyMs.p95]) },
    { name: 'p99', color: COLORS.p99, points: steps.map((s) => [s.offeredRps, s.latencyMs.p99]) }
  ]
  const maxMs = Math.max(200, ...latency.flatMap((s) => s.points.map(([, v]) => v)))
  const decades = Math.ceil(Math.log10(maxMs))
  const yBottom = (v: number) => BOTTOM_Y + PANEL_H - (Math.log10(Math.max(1, v)) / decades) * PANEL_H
  const msTicks = Array.from({ length: decades + 1 }, (_, k): [number, string] => [yBottom(10 ** k), `${fmt(10 ** k)} ms`])
  const marks = [50, 200].map((ms) =>
    `<line x1="${LEFT}" y1="${yBottom(ms).toFixed(1)}" x2="${LEFT + PLOT_W}" y2="${yBottom(ms).toFixed(1)}" stroke="#d62728" stroke-dasharray="2 3"/>` +
    `<text x="${LEFT + PLOT_W - 4}" y="${(yBottom(ms) - 4).toFixed(1)}" text-anchor="end" fill="#d62728">${ms} ms</text>`).join('')

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    '<rect width="100%" height="100%" fill="#ffffff"/>',
    `<text x="${LEFT}" y="22" font-size="15" font-weight="bold">TechMart capacity curve</text>`,
    `<text x="${LEFT}" y="40" fill="#555">${esc(subtitle)}</text>`,
    frame(TOP_Y, rpsTicks, xTicks, x, 'Requests per second'),
    ...throughput.map((s) => line(s, x, yTop)),
    legend(throughput, TOP_Y),
    frame(BOTTOM_Y, msTicks, xTicks, x, 'Latency from the scheduled start (log scale)'),
    marks,
    ...latency.map((s) => line(s, x, yBottom)),
    legend(latency, BOTTOM_Y),
    `<text x="${LEFT + PLOT_W / 2}" y="${HEIGHT - 12}" text-anchor="middle">offered requests per second</text>`,
    '</svg>',
    ''
  ].join('\n')
}
