import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { prefixRange, sortInSteps } from '../../lib/sorted-strings.js'

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
 * Collects entries (best first) one at a time and builds their index. Each
 * token string is kept once, at its first sight, and entries keep token
 * numbers only: the strings of a large catalog's repeated tokens die young,
 * which keeps the garbage collector's pauses short while the index grows.
 */
export function createTokenIndexBuilder () {
  const ids = new Map<string, number>()
  const seen: string[] = []
  let refs = new Int32Array(1 << 16)
  let starts = new Int32Array(1 << 12)
  let size = 0
  let at = 0

  return {
    /** Adds the next entry (worse than every entry added before) with its distinct tokens. */
    add (tokens: string[]): void {
      if (size + 1 >= starts.length) { const next = new Int32Array(starts.length * 2); next.set(starts); starts = next }
      if (at + tokens.length > refs.length) { const next = new Int32Array(Math.max(refs.length * 2, at + tokens.length)); next.set(refs); refs = next }
      starts[size++] = at
      for (const t of tokens) {
        let id = ids.get(t)
        if (id === undefined) { id = seen.length; ids.set(t, id); seen.push(t) }
        refs[at++] = id
      }
    },

    /** The index, built with a yield to the event loop every BUILD_CHUNK entries. */
    async build (): Promise<TokenIndex> {
      starts[size] = at
      // Token numbers in sorted order of their strings.
      const order = Int32Array.from(await sortInSteps(seen, yieldToEventLoop), (t) => ids.get(t)!)
      await yieldToEventLoop()
      const rank = new Int32Array(seen.length)
      const tokens = new Array<string>(seen.length)
      for (let r = 0; r < order.length; r++) { rank[order[r]] = r; tokens[r] = seen[order[r]] }
      // Each token's one- and two-character prefixes, as numbers into the short lists.
      const shortKeys = new Map<string, number>()
      const shortOf = (prefix: string): number => {
        let k = shortKeys.get(prefix)
        if (k === undefined) shortKeys.set(prefix, k = shortKeys.size)
        return k
      }
      const short1 = new Int32Array(tokens.length)
      const short2 = new Int32Array(tokens.length)
      for (let t = 0; t < tokens.length; t++) {
        short1[t] = shortOf(tokens[t].slice(0, 1))
        short2[t] = tokens[t].length > 1 ? shortOf(tokens[t].slice(0, 2)) : -1
      }
      const entryTokens = refs.slice(0, at)
      const postStart = new Int32Array(tokens.length + 1)
      for (let k = 0; k < at; k++) {
        entryTokens[k] = rank[entryTokens[k]]
        postStart[entryTokens[k] + 1]++
      }
      for (let t = 0; t < tokens.length; t++) postStart[t + 1] += postStart[t]
      await yieldToEventLoop()
      const fill = postStart.slice(0, tokens.length)
      const postings = new Int32Array(at)
      const shortLists: number[][] = Array.from({ length: shortKeys.size }, () => [])
      const addShort = (key: number, entry: number): void => {
        const list = shortLists[key]
        if (list.length < SHORT_PREFIX_TOP && list[list.length - 1] !== entry) list.push(entry)
      }
      for (let i = 0; i < size; i++) {
        for (let k = starts[i]; k < starts[i + 1]; k++) {
          const t = entryTokens[k]
          postings[fill[t]++] = i
          addShort(short1[t], i)
          if (short2[t] >= 0) addShort(short2[t], i)
        }
        if (i % BUILD_CHUNK === BUILD_CHUNK - 1) await yieldToEventLoop()
      }
      const short = new Map<string, Int32Array>()
      for (const [prefix, key] of shortKeys) short.set(prefix, Int32Array.from(shortLists[key]))
      return { size, tokens, postStart, postings, entryStart: starts.slice(0, size + 1), entryTokens, short }
    }
  }
}

/** The index of `entryTokenLists[i]` (the distinct tokens of entry i, entries best first). */
export function buildTokenIndex (entryTokenLists: string[][]): Promise<TokenIndex> {
  const builder = createTokenIndexBuilder()
  for (const tokens of entryTokenLists) builder.add(tokens)
  return builder.build()
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
