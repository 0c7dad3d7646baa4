/**
 * A small parser for the Prometheus text exposition format (what prom-client
 * writes): enough to read counters and histogram sums before and after a run.
 */

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

function unescape (value: string): string {
  return value.replace(/\\(["\\n])/g, (_m, ch: string) => (ch === 'n' ? '\n' : ch))
}

function parseValue (raw: string): number {
  if (raw === '+Inf') return Infinity
  if (raw === '-Inf') return -Infinity
  return Number(raw)
}

/** Parses every sample line; comments and malformed lines are skipped. */
export function parsePrometheus (text: string): Sample[] {
  const out: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const brace = line.indexOf('{')
    const firstSpace = line.indexOf(' ')
    let name: string
    let rest: string
    const labels: Record<string, string> = {}
    if (brace >= 0 && (firstSpace < 0 || brace < firstSpace)) {
      name = line.slice(0, brace)
      const close = line.lastIndexOf('}')
      for (const m of line.slice(brace + 1, close).matchAll(LABEL)) labels[m[1]] = unescape(m[2])
      rest = line.slice(close + 1).trim()
    } else {
      const sep = line.indexOf(' ')
      if (sep < 0) continue
      name = line.slice(0, sep)
      rest = line.slice(sep + 1).trim()
    }
    const value = parseValue(rest.split(' ')[0])
    if (!Number.isNaN(value)) out.push({ name, labels, value })
  }
  return out
}

/** Sum of the samples named `name` whose labels match every entry of `where`, grouped by `by` (or one group ''). */
export function sumBy (samples: readonly Sample[], name: string, by?: string, where: Record<string, string | ((v: string) => boolean)> = {}): Map<string, number> {
  const out = new Map<string, number>()
  for (const s of samples) {
    if (s.name !== name) continue
    let match = true
    for (const [k, want] of Object.entries(where)) {
      const have = s.labels[k] ?? ''
      if (typeof want === 'function' ? !want(have) : have !== want) {
        match = false
        break
      }
    }
    if (!match) continue
    const key = by ? (s.labels[by] ?? '') : ''
    out.set(key, (out.get(key) ?? 0) + s.value)
  }
  return out
}

/** `after - before` per key (a counter reset, e.g. a restarted server, yields the after value). */
export function delta (before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>()
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0)
    out.set(k, d >= 0 ? d : v)
  }
  return out
}

export function total (values: Map<string, number>): number {
  let sum = 0
  for (const v of values.values()) sum += v
  return sum
}
