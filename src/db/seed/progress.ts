/** The phases of a seed run, in order. */
export type SeedPhase = 'users' | 'categories' | 'products' | 'orders' | 'order items' | 'reviews' | 'cart items' | 'finalize'

/** A progress event: `done` of `total` units of `phase` (rows, or steps for 'finalize'). */
export interface SeedProgress {
  phase: SeedPhase
  done: number
  total: number
}

/**
 * Receives progress from `seedDatabase`: once with `done = 0` when a phase
 * starts, after each streamed chunk, and once with `done = total` at its end.
 */
export type ProgressReporter = (event: SeedProgress) => void

/** The part of a stream the printer uses (process.stdout fits). */
export interface ProgressStream {
  write: (text: string) => unknown
  isTTY?: boolean
  columns?: number
}

const BAR_WIDTH = 24
const REDRAW_MS = 100

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')

interface PhaseState { phase: SeedPhase, started: number, lastDraw: number, lastQuarter: number, ended: boolean }

/**
 * A reporter that draws one progress bar per phase on a terminal (redrawn in
 * place with `\r`, at most 10 times a second) and, on anything else (CI logs,
 * pipes), prints plain lines at 0, 25, 50, 75 and 100% of each phase.
 */
export function createProgressPrinter (stream: ProgressStream, now: () => number = () => performance.now()): ProgressReporter {
  let state: PhaseState | undefined
  return (event) => {
    const t = now()
    if (state?.phase !== event.phase) state = { phase: event.phase, started: t, lastDraw: -Infinity, lastQuarter: -1, ended: false }
    const finished = event.done >= event.total
    // A phase may report its end twice (last chunk, then the exact total): draw it once.
    if (state.ended) return
    state.ended = finished
    const seconds = Math.max((t - state.started) / 1000, 1e-3)
    // Finalize counts steps, not rows: a rate would mean nothing.
    const rate = event.done > 0 && event.phase !== 'finalize' ? `  ${fmt(event.done / seconds)}/s` : ''
    if (stream.isTTY) {
      if (!finished && t - state.lastDraw < REDRAW_MS) return
      state.lastDraw = t
      const ratio = event.total > 0 ? Math.min(1, event.done / event.total) : 1
      const filled = Math.round(ratio * BAR_WIDTH)
      const line = `${event.phase.padEnd(12)} [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${fmt(event.done)}/${fmt(event.total)}${rate}`
      stream.write(`\r${line.slice(0, Math.max(20, (stream.columns || 120) - 1))}\x1b[K${finished ? '\n' : ''}`)
      return
    }
    const quarter = event.total > 0 ? Math.floor((event.done / event.total) * 4) : 4
    if (quarter <= state.lastQuarter) return
    state.lastQuarter = quarter
    const percent = event.total > 0 ? Math.floor((event.done / event.total) * 100) : 100
    stream.write(`${event.phase}: ${fmt(event.done)}/${fmt(event.total)} (${percent}%)${rate}\n`)
  }
}
