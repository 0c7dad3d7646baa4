/**
 * Reading EXPLAIN (FORMAT JSON) output: the one-line summary of a capture
 * ("catalog.search_rum: p95 45 ms, normally 3.1 ms, plan: Seq Scan on
 * products") and the removal of constants from a plan built with real
 * parameter values, so those values are never stored.
 */

interface PlanNode {
  'Node Type'?: string
  'Relation Name'?: string
  'Index Name'?: string
  'Total Cost'?: number
  Plans?: PlanNode[]
}

/** Plan keys that name structure (node kinds, tables, indexes), never expressions: kept as they are. */
const STRUCTURE_KEYS = new Set([
  'Node Type', 'Parent Relationship', 'Relation Name', 'Schema', 'Alias', 'Index Name', 'Join Type', 'Strategy',
  'Partial Mode', 'Scan Direction', 'Subplan Name', 'CTE Name', 'Function Name', 'Operation', 'Sort Method',
  'Sort Space Type', 'Command', 'Custom Plan Provider', 'Tuplestore Name'
])

/**
 * In an expression as PostgreSQL prints it: a string constant ('it''s',
 * also typed ones like '10'::numeric), a quoted identifier (kept), or a
 * bare number (42, 12.5, 1e+15) not part of a name or a $n reference.
 */
const CONSTANT = /('(?:[^']|'')*')|("(?:[^"]|"")*")|((?<![\w$.])\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w.]))/gi

/** Replaces every constant in one expression string: strings become '…', numbers ?. */
export function redactExpression (text: string): string {
  return text.replace(CONSTANT, (match, str: string | undefined, ident: string | undefined) => str !== undefined ? '\'…\'' : ident !== undefined ? match : '?')
}

/**
 * A plan built for real parameter values prints them as constants
 * (`Index Cond: (search_vector @@ '''laptop'''::tsquery)`, `(user_id = 42)`).
 * Returns a copy with every constant of every expression replaced, so a
 * stored plan holds no parameter value (nor any other literal of the SQL).
 */
export function redactPlanValues (value: unknown, key?: string): unknown {
  if (typeof value === 'string') return key !== undefined && STRUCTURE_KEYS.has(key) ? value : redactExpression(value)
  if (Array.isArray(value)) return value.map((v) => redactPlanValues(v, key))
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = redactPlanValues(v, k)
    return out
  }
  return value
}

function nodesOf (plan: unknown[]): PlanNode[] {
  const out: PlanNode[] = []
  const walk = (n: PlanNode | undefined): void => {
    if (!n || typeof n !== 'object') return
    out.push(n)
    if (Array.isArray(n.Plans)) for (const child of n.Plans) walk(child)
  }
  for (const entry of plan) walk((entry as { Plan?: PlanNode } | undefined)?.Plan)
  return out
}

const costOf = (n: PlanNode): number => typeof n['Total Cost'] === 'number' ? n['Total Cost'] : 0

function describeNode (n: PlanNode): string {
  const type = n['Node Type'] ?? 'unknown node'
  let index = n['Index Name']
  // A bitmap heap scan's index is named by its Bitmap Index Scan child.
  if (!index && type === 'Bitmap Heap Scan') index = nodesOf([{ Plan: n }]).find((c) => c['Index Name'])?.['Index Name']
  return `${type}${index ? ` using ${index}` : ''}${n['Relation Name'] ? ` on ${n['Relation Name']}` : ''}`
}

/** A second sequential scan is named only when it costs at least this share of the costliest one. */
const NOTABLE_SCAN_SHARE = 0.25

/**
 * The plan node(s) that explain a slow query, in a few words: the
 * costliest sequential scan (and a second one when it costs as much as a
 * quarter of it: a small table's scan, such as categories joined to
 * products, is normal and left out), else the costliest scan of a table
 * (with its index), else the top node.
 */
export function planSummary (plan: unknown[]): string {
  const nodes = nodesOf(plan)
  if (nodes.length === 0) return 'empty plan'
  const seqScans = nodes.filter((n) => n['Node Type'] === 'Seq Scan').sort((a, b) => costOf(b) - costOf(a))
  if (seqScans.length > 0) {
    const notable = seqScans.filter((n, i) => i === 0 || costOf(n) >= NOTABLE_SCAN_SHARE * costOf(seqScans[0]))
    const named = notable.slice(0, 2).map(describeNode)
    return notable.length > 2 ? `${named.join(', ')} (+${notable.length - 2} more Seq Scans)` : named.join(', ')
  }
  const scans = nodes.filter((n) => n['Relation Name'] !== undefined).sort((a, b) => costOf(b) - costOf(a))
  return describeNode(scans[0] ?? nodes[0])
}

/** Milliseconds for a summary line: 0.42, 3.1, 45. */
export function formatMs (ms: number): string {
  if (ms < 1) return (Math.round(ms * 100) / 100).toString()
  if (ms < 10) return (Math.round(ms * 10) / 10).toString()
  return Math.round(ms).toString()
}

export interface SummaryInput {
  name: string
  reason: 'absolute' | 'relative'
  durationMs: number
  p95Ms: number | null
  baselineMs: number | null
  /** The absolute threshold in force at capture time. */
  thresholdMs?: number | null
  plan: unknown[] | null
  planError: string | null
}

const MAX_SUMMARY_CHARS = 300

/**
 * One line that reads as the diagnosis:
 * `catalog.search_rum: p95 45 ms, normally 3.1 ms, plan: Seq Scan on products`
 * (relative) or `orders.list: 230 ms (over 100 ms), plan: Index Scan using ... on orders` (absolute).
 */
export function captureSummary (c: SummaryInput): string {
  const timing = c.reason === 'relative' && c.p95Ms !== null && c.baselineMs !== null
    ? `p95 ${formatMs(c.p95Ms)} ms, normally ${formatMs(c.baselineMs)} ms`
    : `${formatMs(c.durationMs)} ms${c.thresholdMs ? ` (over ${formatMs(c.thresholdMs)} ms)` : ''}`
  const plan = c.plan ? planSummary(c.plan) : `none (${(c.planError ?? 'not explained').slice(0, 120)})`
  return `${c.name}: ${timing}, plan: ${plan}`.slice(0, MAX_SUMMARY_CHARS)
}
