import { setImmediate as yieldToEventLoop } from 'node:timers/promises'

/**
 * A prefix index over ranked entries (entry 0 is the best), in typed arrays:
 *
 * - `tokens`: every distinct token, sorted, so the tokens starting with a
 *   typed word are one contiguous range found by two binary searches;
 * - postings: for each token, the entries holding it, ascending (that is,
 *   best first), so walking a range's lists merged in order visits the
 *   matching entries best first and can stop after `want` of them;
 * - each entry's token ids, so the other words of a query are checked on a
 *   candidate with integer comparisons against their ranges;
 * - for each one- and two-character prefix, its best SHORT_PREFIX_TOP entries
 *   already merged: such a prefix spans thousands of tokens, too many lists
 *   to merge per keystroke.
 *
 * A query's words must all match (each a prefix of some token of the entry).
 * The word with the fewest postings drives: its entries are walked best
 * first and the others checked on each. At most MAX_CANDIDATES are examined
 * per query, which bounds the time of a query whose driving word is common
 * and whose other words reject nearly all of its entries (it may then find
 * fewer entries than exist).
 */
export interface TokenIndex {
  size: number
  tokens: string[]
  postStart: Int32Array
  postings: Int32Array
  entryStart: Int32Array
  entryTokens: Int32Array
  short: Map<string, Int32Array>
}

/** Entries kept per one- or two-character prefix. */
export const SHORT_PREFIX_TOP = 512
/** Candidates examined per query, at most. */
export const MAX_CANDIDATES = 20_000
/** Entries processed between two yields to the event loop while building. */
const BUILD_CHUNK = 2000

/**
 * Builds the index of `entryTokens[i]` (the tokens of entry i, entries best
 * first), yielding to the event loop between chunks so that requests keep
 * being served while a large catalog is indexed.
 */
export async function buildTokenIndex (entryTokenLists: string[][]): Promise<TokenIndex> {
  const size = entryTokenLists.length
  const counts = new Map<string, number>()
  let totalRefs = 0
  for (let i = 0; i < size; i++) {
    for (const t of entryTokenLists[i]) counts.set(t, (counts.get(t) ?? 0) + 1)
    totalRefs += entryTokenLists[i].length
    if (i % BUILD_CHUNK === BUILD_CHUNK - 1) await yieldToEventLoop()
  }
  const tokens = [...counts.keys()].sort()
  await yieldToEventLoop()
  const tokenId = new Map<string, number>()
  const postStart = new Int32Array(tokens.length + 1)
  for (let t = 0; t < tokens.length; t++) {
    tokenId.set(tokens[t], t)
    postStart[t + 1] = postStart[t] + counts.get(tokens[t])!
  }
  const fill = postStart.slice(0, tokens.length)
  const postings = new Int32Array(totalRefs)
  const entryStart = new Int32Array(size + 1)
  const entryTokens = new Int32Array(totalRefs)
  const shortLists = new Map<string, number[]>()
  const addShort = (prefix: string, entry: number): void => {
    let list = shortLists.get(prefix)
    if (list === undefined) shortLists.set(prefix, list = [])
    if (list.length < SHORT_PREFIX_TOP && list[list.length - 1] !== entry) list.push(entry)
  }
  let at = 0
  for (let i = 0; i < size; i++) {
    entryStart[i] = at
    for (const t of entryTokenLists[i]) {
      const id = tokenId.get(t)!
      postings[fill[id]++] = i
      entryTokens[at++] = id
      addShort(t.slice(0, 1), i)
      if (t.length > 1) addShort(t.slice(0, 2), i)
    }
    if (i % BUILD_CHUNK === BUILD_CHUNK - 1) await yieldToEventLoop()
  }
  entryStart[size] = at
  const short = new Map<string, Int32Array>()
  for (const [prefix, list] of shortLists) short.set(prefix, Int32Array.from(list))
  return { size, tokens, postStart, postings, entryStart, entryTokens, short }
}

/** [lo, hi): the ids of the tokens starting with `word`. */
function prefixRange (tokens: string[], word: string): [number, number] {
  let lo = 0
  let hi = tokens.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (tokens[mid] < word) lo = mid + 1
    else hi = mid
  }
  const start = lo
  hi = tokens.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (tokens[mid].startsWith(word)) lo = mid + 1
    else hi = mid
  }
  return [start, lo]
}

/** First position in postings[from, to) holding an entry greater than `after`. */
function firstAfter (postings: Int32Array, from: number, to: number, after: number): number {
  while (from < to) {
    const mid = (from + to) >>> 1
    if (postings[mid] <= after) from = mid + 1
    else to = mid
  }
  return from
}

/**
 * Calls `visit` with the entries of the tokens lo..hi-1, ascending, each
 * once, from the first one greater than `after`, until `visit` returns true
 * or the lists run out: a k-way merge over a binary heap of the lists.
 */
function mergeRange (ix: TokenIndex, lo: number, hi: number, after: number, visit: (entry: number) => boolean): void {
  const { postings, postStart } = ix
  const n = hi - lo
  const pos = new Int32Array(n)
  const end = new Int32Array(n)
  const heap = new Int32Array(n)
  let size = 0
  for (let l = 0; l < n; l++) {
    end[l] = postStart[lo + l + 1]
    pos[l] = after < 0 ? postStart[lo + l] : firstAfter(postings, postStart[lo + l], end[l], after)
    if (pos[l] < end[l]) heap[size++] = l
  }
  const siftDown = (i: number): void => {
    const l = heap[i]
    const key = postings[pos[l]]
    for (;;) {
      let child = 2 * i + 1
      if (child >= size) break
      if (child + 1 < size && postings[pos[heap[child + 1]]] < postings[pos[heap[child]]]) child++
      if (postings[pos[heap[child]]] >= key) break
      heap[i] = heap[child]
      i = child
    }
    heap[i] = l
  }
  for (let i = (size >>> 1) - 1; i >= 0; i--) siftDown(i)
  let previous = -1
  while (size > 0) {
    const l = heap[0]
    const entry = postings[pos[l]]
    if (entry !== previous) {
      previous = entry
      if (visit(entry)) return
    }
    if (++pos[l] >= end[l]) heap[0] = heap[--size]
    if (size > 0) siftDown(0)
  }
}

/** True when some token of `entry` lies in every range. */
function matchesAll (ix: TokenIndex, entry: number, ranges: [number, number][]): boolean {
  const from = ix.entryStart[entry]
  const to = ix.entryStart[entry + 1]
  for (const [lo, hi] of ranges) {
    let found = false
    for (let k = from; k < to; k++) {
      const t = ix.entryTokens[k]
      if (t >= lo && t < hi) { found = true; break }
    }
    if (!found) return false
  }
  return true
}

/**
 * The best entries (at most `want`) whose tokens match every word as a
 * prefix and that `accept` keeps, best first.
 */
export function findEntries (ix: TokenIndex, words: string[], want: number, accept: (entry: number) => boolean = () => true): number[] {
  const found: number[] = []
  if (words.length === 0 || want <= 0) return found
  const ranges = words.map((w) => prefixRange(ix.tokens, w))
  const weight = ([lo, hi]: [number, number]): number => ix.postStart[hi] - ix.postStart[lo]
  let driver = 0
  for (let i = 1; i < ranges.length; i++) if (weight(ranges[i]) < weight(ranges[driver])) driver = i
  if (weight(ranges[driver]) === 0) return found
  const others = ranges.filter((_, i) => i !== driver)
  let examined = 0
  let last = -1
  const visit = (entry: number): boolean => {
    last = entry
    if (matchesAll(ix, entry, others) && accept(entry)) found.push(entry)
    return found.length >= want || ++examined >= MAX_CANDIDATES
  }
  const [lo, hi] = ranges[driver]
  const word = words[driver]
  const top = word.length <= 2 ? ix.short.get(word) : undefined
  if (top !== undefined) {
    for (const entry of top) if (visit(entry)) return found
    // The list holds every entry of the prefix unless it was cut at its cap: then go on past its last entry.
    if (top.length < SHORT_PREFIX_TOP) return found
  }
  mergeRange(ix, lo, hi, last, visit)
  return found
}
