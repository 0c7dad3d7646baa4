// uPlot charts: one per figure, sharing a synced cursor and the same x range.
// Live mode keeps the last 15 minutes of per-second points from the stream;
// history mode shows rollup buckets fetched for the selected range.
/* global ResizeObserver, requestAnimationFrame */
import UPlot from './vendor/uPlot.esm.js'

const LIVE_SECONDS = 900
const HEIGHT = 140
const COLORS = { blue: '#60a5fa', green: '#34d399', amber: '#fbbf24', red: '#f87171', violet: '#a78bfa', grey: '#94a3b8' }

const round = (v, d) => v === null || v === undefined ? '–' : v.toFixed(d)
/** Integers as integers, small values with the decimals they need. */
const smart = (v) => v === null || v === undefined ? '–' : Math.abs(v) >= 10 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(Math.abs(v) >= 1 ? 1 : 2)
const HH_MM = { hour: '2-digit', minute: '2-digit', hour12: false }
/** One-line time labels: hours and minutes, with the day when the range spans days. */
const timeLabels = (u, splits) => {
  const spanS = (u.scales.x.max ?? 0) - (u.scales.x.min ?? 0)
  return splits.map((t) => {
    const d = new Date(t * 1000)
    return spanS > 86400 ? `${d.getMonth() + 1}/${d.getDate()} ${d.toLocaleTimeString([], HH_MM)}` : d.toLocaleTimeString([], HH_MM)
  })
}

/** Each chart: title, its series (name, colour, key in the series data, scale factor) and y-axis formatting. */
const DEFINITIONS = [
  { id: 'rps', title: 'Requests / s', series: [['rps', COLORS.blue, 'rps']], unit: (v) => round(v, 0) },
  {
    id: 'latency',
    title: 'Latency (ms)',
    series: [['p50', COLORS.green, 'p50_ms'], ['p95', COLORS.amber, 'p95_ms'], ['p99', COLORS.red, 'p99_ms']],
    unit: smart
  },
  { id: 'errors', title: 'Error rate (5xx %)', series: [['errors', COLORS.red, 'error_rate', 100]], unit: smart, minMax: 1 },
  { id: 'cache', title: 'Cache hit rate (%)', series: [['hit rate', COLORS.green, 'cache_hit_rate', 100]], unit: (v) => round(v, 0), fixed: [0, 100] },
  { id: 'eventloop', title: 'Event-loop delay p99 (ms)', series: [['p99', COLORS.violet, 'event_loop_p99_ms']], unit: smart },
  {
    id: 'pool',
    title: 'DB pool (connections)',
    series: [['in use', COLORS.blue, 'db_pool_in_use'], ['waiting', COLORS.red, 'db_pool_waiting']],
    unit: (v) => round(v, 0),
    minMax: 2
  }
]

function yRange (def) {
  if (def.fixed) return () => def.fixed
  return (_u, _min, max) => [0, Math.max(def.minMax ?? 1, (max ?? 0) * 1.15)]
}

function makeChart (container, def) {
  const el = document.createElement('div')
  el.className = 'chart'
  el.dataset.chart = def.id
  container.append(el)
  const axis = { stroke: '#94a3b8', grid: { stroke: '#1e293b', width: 1 }, ticks: { stroke: '#334155', width: 1 } }
  const opts = {
    title: def.title,
    width: Math.max(280, el.clientWidth),
    height: HEIGHT,
    cursor: { sync: { key: 'techmart' } },
    legend: { live: true },
    scales: { x: { time: true }, y: { range: yRange(def) } },
    axes: [{ ...axis, values: timeLabels }, { ...axis, size: 44, values: (_u, vals) => vals.map(def.unit) }],
    series: [{}, ...def.series.map(([label, stroke]) => ({ label, stroke, width: 1.5, points: { show: false }, spanGaps: false, value: (_u, v) => def.unit(v) }))]
  }
  return { def, el, plot: new UPlot(opts, [[], ...def.series.map(() => [])], el) }
}

/** Builds the charts in `container`; returns { live(point), history(series), business(perMinute), clear() }. */
export function createCharts (container) {
  const charts = DEFINITIONS.map((def) => makeChart(container, def))
  const ordersDef = { id: 'orders', title: 'Orders / minute', series: [['orders', COLORS.amber, 'count']], unit: (v) => round(v, 0), minMax: 2 }
  const orders = makeChart(container, ordersDef)
  let mode = 'live'
  let points = []
  let xRange
  let perMinute = { t: [], count: [] }

  const resize = () => {
    for (const c of [...charts, orders]) {
      const width = Math.max(280, c.el.clientWidth)
      if (Math.abs(c.plot.width - width) > 4) c.plot.setSize({ width, height: HEIGHT })
    }
  }
  new ResizeObserver(() => requestAnimationFrame(resize)).observe(container)

  function setX (range) {
    xRange = range
    for (const c of [...charts, orders]) c.plot.setScale('x', { min: range[0], max: range[1] })
  }

  function drawLive () {
    const t = points.map((p) => p.t)
    for (const c of charts) {
      c.plot.setData([t, ...c.def.series.map(([, , key, factor]) => points.map((p) => p[key] === null ? null : p[key] * (factor ?? 1)))], false)
    }
    const last = t.at(-1) ?? Math.floor(Date.now() / 1000)
    setX([last - LIVE_SECONDS, last])
    drawOrders()
  }

  function drawOrders () {
    orders.plot.setData([perMinute.t, perMinute.count], false)
    if (xRange) orders.plot.setScale('x', { min: xRange[0], max: xRange[1] })
  }

  return {
    get mode () { return mode },

    /** Seeds live mode with the per-second series from GET /performance?range=15m. */
    seedLive (series) {
      mode = 'live'
      points = series.t.map((t, i) => Object.fromEntries(Object.keys(series).filter((k) => Array.isArray(series[k])).map((k) => [k, series[k][i]])))
      drawLive()
    },

    /** Appends one per-second point from the stream (live mode only). */
    live (point) {
      if (!point || mode !== 'live' || (points.length > 0 && point.t <= points.at(-1).t)) return
      points.push(point)
      const oldest = point.t - LIVE_SECONDS
      while (points.length > 0 && points[0].t < oldest) points.shift()
      drawLive()
    },

    /** Shows rollup history (1h/24h/7d) over [now - span, now]. */
    history (series, spanS) {
      mode = 'history'
      for (const c of charts) {
        c.plot.setData([series.t, ...c.def.series.map(([, , key, factor]) => series[key].map((v) => v === null ? null : v * (factor ?? 1)))], false)
      }
      const now = Math.floor(Date.now() / 1000)
      setX([now - spanS, now])
      drawOrders()
    },

    /** Orders per minute from the business metrics, on the same x range as the other charts. */
    business (series) {
      perMinute = series
      drawOrders()
    }
  }
}
