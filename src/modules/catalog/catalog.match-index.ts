import { prefixRange, sortInSteps, type Pause } from '../../lib/sorted-strings.js'

/**
 * The catalog's text matches held in process: for every active product its
 * lexemes (from PostgreSQL's own search_vector and title_vector, so the
 * tokenization is the database's), its search rank and the fields that
 * listings filter on. A relevance search then finds, ranks and counts every
 * match without a statement; only the page's rows are read from the database.
 *
 * Products are kept in slots ordered by search rank (best first), so every
 * posting list (the slots holding a lexeme) is in rank order and the
 * intersection of a query's lists comes out ranked. Products written after
 * the build live in a small overlay (`delta`) checked one by one, and their
 * old slots are marked dead; a rebuild folds the overlay back in.
 */

/** One active product as the index loads it. */
export interface MatchRow {
  id: number
  search_rank: number
  price: number
  category_id: number
  /** Lowercased brand (filters compare lowercased). */
  brand: string | null
  /** The brand as written (facets list it so). */
  brand_name: string | null
  is_featured: boolean
  /** Lowercased name, as the exact-name tier compares it. */
  name: string
  /** Lexemes of title_vector (name and brand). */
  title: string[]
  /** Lexemes of search_vector (name, brand, descriptions). */
  body: string[]
}

/** A query word: every lexeme required; a prefix word matches any lexeme starting with its one lexeme. */
export interface MatchWord { lexemes: string[], prefix: boolean }

/** The filters the index can apply (stock is not held: a stock filter goes to the database). */
export interface MatchFilter {
  categoryIds?: number[]
  minPrice?: number
  maxPrice?: number
  brand?: string
  featured?: boolean
}

export type MatchTier = 2 | 1 | 0

/** A match in relevance order: the tier (exact name, name or brand, descriptions), then the rank. */
export interface RankedMatch { id: number, tier: MatchTier, rank: number }

export interface MatchQuery {
  words: MatchWord[]
  /** Lowercased names that count as the exact name. */
  exact: string[]
  filter: MatchFilter
  /** Matches wanted from the start (or from `after`). */
  need: number
  /** Start after this position (a cursor). */
  after?: { tier: MatchTier, rank: number }
}

interface DeltaDoc {
  id: number
  rank: number
  price: number
  category: number
  brand: string | null
  brandName: string | null
  featured: boolean
  name: string
  title: Set<string>
  body: Set<string>
}

const EMPTY = new Int32Array(0)

/** First index in `list` (ascending) at or after `from` whose value is ≥ `value` (galloping, then binary search). */
function seek (list: Int32Array, value: number, from: number): number {
  let step = 1
  let hi = from
  while (hi < list.length && list[hi] < value) {
    from = hi + 1
    hi += step
    step *= 2
  }
  hi = Math.min(hi, list.length)
  while (from < hi) {
    const mid = (from + hi) >>> 1
    if (list[mid] < value) from = mid + 1
    else hi = mid
  }
  return from
}

/** The slots in every list, ascending. */
function intersect (lists: Int32Array[]): Int32Array {
  if (lists.length === 0) return EMPTY
  if (lists.length === 1) return lists[0]
  const [first, ...rest] = [...lists].sort((a, b) => a.length - b.length)
  const at = new Array<number>(rest.length).fill(0)
  const out: number[] = []
  for (let i = 0; i < first.length; i++) {
    const v = first[i]
    let all = true
    for (let j = 0; j < rest.length && all; j++) {
      const k = seek(rest[j], v, at[j])
      at[j] = k
      // A list ran out: no later slot can be in every list.
      if (k >= rest[j].length) return Int32Array.from(out)
      all = rest[j][k] === v
    }
    if (all) out.push(v)
  }
  return Int32Array.from(out)
}

/** Turns of the event loop between steps of a build: an index of 500,000 products never holds it for long. */
export type Yield = Pause

/** Posting lists of one vector: one array of slots grouped by lexeme id, and where each group starts. */
class Postings {
  constructor (private readonly offsets: Int32Array, private readonly slots: Int32Array) {}

  /** The slots holding lexeme `id`, ascending. */
  list (id: number | undefined): Int32Array {
    return id === undefined ? EMPTY : this.slots.subarray(this.offsets[id], this.offsets[id + 1])
  }
}

/** Pairs per block of a PostingsBuilder. */
const BLOCK = 1 << 16

/**
 * Collects (lexeme, slot) pairs in slot order, then groups them by lexeme
 * with a counting sort, which keeps each group in slot order: a few typed
 * arrays rather than an array per lexeme, so a build leaves little for the
 * garbage collector. The pairs are held in fixed blocks, never copied: an
 * array doubled as it fills would copy 16 million pairs in one step near the
 * end of a load of 500,000 products (the body's 23 million postings), which
 * held the event loop for 150-300 ms.
 */
class PostingsBuilder {
  private readonly lexemeBlocks: Int32Array[] = []
  private readonly slotBlocks: Int32Array[] = []
  private lexemes = EMPTY
  private slots = EMPTY
  /** Pairs in the last block. */
  private at = 0

  push (lexeme: number, slot: number): void {
    if (this.at === this.lexemes.length) {
      this.lexemeBlocks.push(this.lexemes = new Int32Array(BLOCK))
      this.slotBlocks.push(this.slots = new Int32Array(BLOCK))
      this.at = 0
    }
    this.lexemes[this.at] = lexeme
    this.slots[this.at++] = slot
  }

  /** Pairs held in block `b`. */
  private filled (b: number): number {
    return b === this.lexemeBlocks.length - 1 ? this.at : BLOCK
  }

  async build (lexemeCount: number, pause: Yield): Promise<Postings> {
    const offsets = new Int32Array(lexemeCount + 1)
    let n = 0
    for (let b = 0; b < this.lexemeBlocks.length; b++) {
      const lexemes = this.lexemeBlocks[b]
      const end = this.filled(b)
      for (let i = 0; i < end; i++) offsets[lexemes[i] + 1]++
      n += end
      await pause()
    }
    for (let k = 1; k <= lexemeCount; k++) offsets[k] += offsets[k - 1]
    const next = offsets.slice(0, lexemeCount)
    const grouped = new Int32Array(n)
    for (let b = 0; b < this.lexemeBlocks.length; b++) {
      const lexemes = this.lexemeBlocks[b]
      const slots = this.slotBlocks[b]
      const end = this.filled(b)
      for (let i = 0; i < end; i++) grouped[next[lexemes[i]]++] = slots[i]
      await pause()
    }
    return new Postings(offsets, grouped)
  }
}

/** The code of `value` in `codes` (added when new); -1 for null. */
function code (codes: Map<string, number>, value: string | null): number {
  if (value === null) return -1
  let c = codes.get(value)
  if (c === undefined) codes.set(value, c = codes.size)
  return c
}

/** Counts of the matches per brand (as written), per category and per price bucket. */
export interface FacetCounts {
  total: number
  brands: Map<string, number>
  categories: Map<number, number>
  /** Per bucket: bucket i holds prices from edges[i - 1] (inclusive) to edges[i]; bucket 0 is below the first edge. */
  prices: number[]
}

/** Grows while the index loads: products appended in rank order, each in the next slot. */
export class MatchIndexBuilder {
  // Per slot, in typed arrays doubled as they fill (a copy of a few megabytes at most): arrays of
  // numbers converted at the end held the event loop for about 50 ms at 500,000 products, and left garbage.
  private size = 0
  private ids = new Int32Array(1024)
  private ranks = new Float64Array(1024)
  private prices = new Float64Array(1024)
  private categories = new Int32Array(1024)
  private brands = new Int32Array(1024)
  private brandNames = new Int32Array(1024)
  private featured = new Uint8Array(1024)
  private readonly brandCodes = new Map<string, number>()
  private readonly brandNameCodes = new Map<string, number>()
  private readonly names = new Map<string, number | number[]>()
  private readonly lexemeIds = new Map<string, number>()
  private readonly title = new PostingsBuilder()
  private readonly body = new PostingsBuilder()
  private readonly slotOf = new Map<number, number>()
  private readonly vocabulary = new Map<string, string[]>()

  /** Words of the search vocabulary with their lexemes (the database's analysis of each), so a query of known words needs no statement. */
  addWords (rows: readonly { word: string, lexemes: string[] }[]): void {
    for (const r of rows) this.vocabulary.set(r.word, r.lexemes)
  }

  /** Adds products in descending search rank (the load's order). A product seen already is skipped. */
  add (rows: readonly MatchRow[]): void {
    for (const r of rows) {
      if (this.slotOf.has(r.id)) continue
      if (this.size === this.ids.length) this.grow()
      const slot = this.size++
      this.slotOf.set(r.id, slot)
      this.ids[slot] = r.id
      this.ranks[slot] = r.search_rank
      this.prices[slot] = r.price
      this.categories[slot] = r.category_id
      this.brands[slot] = code(this.brandCodes, r.brand)
      this.brandNames[slot] = code(this.brandNameCodes, r.brand_name)
      this.featured[slot] = r.is_featured ? 1 : 0
      const named = this.names.get(r.name)
      if (named === undefined) this.names.set(r.name, slot)
      else if (typeof named === 'number') this.names.set(r.name, [named, slot])
      else named.push(slot)
      for (const l of r.title) this.title.push(this.lexemeId(l), slot)
      for (const l of r.body) this.body.push(this.lexemeId(l), slot)
    }
  }

  private grow (): void {
    const n = this.ids.length * 2
    const resized = <T extends { set: (from: ArrayLike<number>) => void }>(from: ArrayLike<number>, to: T): T => { to.set(from); return to }
    this.ids = resized(this.ids, new Int32Array(n))
    this.ranks = resized(this.ranks, new Float64Array(n))
    this.prices = resized(this.prices, new Float64Array(n))
    this.categories = resized(this.categories, new Int32Array(n))
    this.brands = resized(this.brands, new Int32Array(n))
    this.brandNames = resized(this.brandNames, new Int32Array(n))
    this.featured = resized(this.featured, new Uint8Array(n))
  }

  private lexemeId (lexeme: string): number {
    let id = this.lexemeIds.get(lexeme)
    if (id === undefined) this.lexemeIds.set(lexeme, id = this.lexemeIds.size)
    return id
  }

  async build (pause: Yield = async () => {}): Promise<MatchIndex> {
    const count = this.lexemeIds.size
    const title = await this.title.build(count, pause)
    const body = await this.body.build(count, pause)
    const n = this.size
    return new MatchIndex({
      ids: this.ids.slice(0, n),
      ranks: this.ranks.slice(0, n),
      prices: this.prices.slice(0, n),
      categories: this.categories.slice(0, n),
      brands: this.brands.slice(0, n),
      brandNames: this.brandNames.slice(0, n),
      brandNameList: [...this.brandNameCodes.keys()],
      featured: this.featured.slice(0, n),
      brandCodes: this.brandCodes,
      names: this.names,
      lexemeIds: this.lexemeIds,
      sortedLexemes: await sortInSteps([...this.lexemeIds.keys()], pause),
      title,
      body,
      slotOf: this.slotOf,
      vocabulary: this.vocabulary
    })
  }
}

interface Segment {
  ids: Int32Array
  ranks: Float64Array
  prices: Float64Array
  categories: Int32Array
  brands: Int32Array
  /** Each slot's brand as written, as an index into brandNameList (-1: none). */
  brandNames: Int32Array
  brandNameList: string[]
  featured: Uint8Array
  brandCodes: Map<string, number>
  /** Lowercased name → its slot, or slots when products share it. */
  names: Map<string, number | number[]>
  lexemeIds: Map<string, number>
  /** Every lexeme, sorted: a prefix's lexemes are one contiguous range. */
  sortedLexemes: string[]
  title: Postings
  body: Postings
  slotOf: Map<number, number>
  vocabulary: Map<string, string[]>
}

/** A query word as the index knows it: its lexemes, and the products holding them (exact counts). */
export interface WordStats {
  lexemes: string[]
  ndoc: number
  ntitle: number
  /** The same for the word as a prefix: counted only when asked for a word that matches nothing whole (else zero). */
  prefixNdoc: number
  prefixNtitle: number
}

/** A word long enough, and plain enough, to match as a prefix. */
const PREFIX_WORD = /^[\p{L}\p{N}]{3,}$/u

/** Compiled filter: one test per slot or overlay product; `filtered` false when it lets everything through. */
interface SlotTest { filtered: boolean, slot: (s: number) => boolean, doc: (d: DeltaDoc) => boolean }

export class MatchIndex {
  private readonly dead: Uint8Array
  private readonly delta = new Map<number, DeltaDoc>()
  private live: number

  constructor (private readonly seg: Segment) {
    this.dead = new Uint8Array(seg.ids.length)
    this.live = seg.ids.length
  }

  /** Products held (built and overlaid, not counting replaced or removed ones). */
  get size (): number { return this.live + this.delta.size }

  /** Products written since the build, held in the overlay. */
  get overlaid (): number { return this.delta.size }

  /**
   * Applies products read again after a write: `rows` are the active ones
   * (they replace any earlier version), every other id of `ids` is gone
   * (deleted or deactivated).
   */
  update (ids: readonly number[], rows: readonly MatchRow[]): void {
    for (const id of ids) this.remove(id)
    for (const r of rows) {
      this.remove(r.id)
      this.delta.set(r.id, {
        id: r.id,
        rank: r.search_rank,
        price: r.price,
        category: r.category_id,
        brand: r.brand,
        brandName: r.brand_name,
        featured: r.is_featured,
        name: r.name,
        title: new Set(r.title),
        body: new Set(r.body)
      })
    }
  }

  private remove (id: number): void {
    this.delta.delete(id)
    const slot = this.seg.slotOf.get(id)
    if (slot !== undefined && this.dead[slot] === 0) {
      this.dead[slot] = 1
      this.live--
    }
  }

  /**
   * A typed word's lexemes and frequencies when the word is in the vocabulary
   * loaded with the index; undefined otherwise (the database analyzes it).
   */
  word (typed: string, asPrefix: boolean): WordStats | undefined {
    const lexemes = this.seg.vocabulary.get(typed)
    if (lexemes === undefined) return undefined
    const whole = lexemes.length === 0 ? { ndoc: 0, ntitle: 0 } : this.frequency([{ lexemes, prefix: false }])
    // The prefix counts only matter for a word that matches nothing whole (the analysis then completes it);
    // a broad prefix unites many posting lists, so they are not counted otherwise.
    const prefix = asPrefix && lexemes.length > 0 && whole.ndoc === 0 && PREFIX_WORD.test(typed) ? this.frequency([{ lexemes: [typed], prefix: true }]) : { ndoc: 0, ntitle: 0 }
    return { lexemes, ndoc: whole.ndoc, ntitle: whole.ntitle, prefixNdoc: prefix.ndoc, prefixNtitle: prefix.ntitle }
  }

  /** Products holding every lexeme of the words, and how many of them in the name or brand. */
  frequency (words: MatchWord[]): { ndoc: number, ntitle: number } {
    const body = this.matching(words, 'body')
    const title = this.matching(words, 'title')
    // With nothing removed every slot of a list is live: its length is the count.
    const all = this.live === this.seg.ids.length
    let ndoc = all ? body.length : 0
    let ntitle = all ? title.length : 0
    if (!all) {
      for (let i = 0; i < body.length; i++) if (this.dead[body[i]] === 0) ndoc++
      for (let i = 0; i < title.length; i++) if (this.dead[title[i]] === 0) ntitle++
    }
    for (const d of this.delta.values()) {
      if (this.docHas(d.body, words)) ndoc++
      if (this.docHas(d.title, words)) ntitle++
    }
    return { ndoc, ntitle }
  }

  /** Whether a product matches all the words and the filter. */
  any (words: MatchWord[], filter: MatchFilter): boolean {
    if (words.length === 0) return false
    const test = this.compile(filter)
    const body = this.matching(words, 'body')
    for (let i = 0; i < body.length; i++) if (this.dead[body[i]] === 0 && test.slot(body[i])) return true
    for (const d of this.delta.values()) if (this.docHas(d.body, words) && test.doc(d)) return true
    return false
  }

  /** The best `need` matches in relevance order (after `after`), and the count of every match. */
  search (q: MatchQuery): { top: RankedMatch[], total: number } {
    const test = this.compile(q.filter)
    const exactNames = new Set(q.exact)
    const exactSlots = this.exactSlots(q.exact)
    const tiers: RankedMatch[][] = [[], [], []]
    // Exact names: few slots, in rank order once sorted.
    let total = this.collect(Int32Array.from(exactSlots).sort(), EMPTY, 2, q, test, new Set(), tiers[2])
    if (q.words.length > 0) {
      const title = this.matching(q.words, 'title')
      total += this.collect(title, EMPTY, 1, q, test, exactSlots, tiers[1])
      total += this.collect(this.matching(q.words, 'body'), title, 0, q, test, exactSlots, tiers[0])
    }
    // The overlay: checked one by one, then merged into each tier by rank.
    const overlay: RankedMatch[] = []
    for (const d of this.delta.values()) {
      if (!test.doc(d)) continue
      const tier: MatchTier | undefined = exactNames.has(d.name)
        ? 2
        : q.words.length === 0 || !this.docHas(d.body, q.words) ? undefined : this.docHas(d.title, q.words) ? 1 : 0
      if (tier === undefined) continue
      total++
      if (q.after === undefined || tier < q.after.tier || (tier === q.after.tier && d.rank < q.after.rank)) overlay.push({ id: d.id, tier, rank: d.rank })
    }
    const top: RankedMatch[] = []
    for (const tier of [2, 1, 0] as const) {
      const merged = overlay.length === 0 ? tiers[tier] : mergeByRank(tiers[tier], overlay.filter((m) => m.tier === tier))
      for (const m of merged) {
        if (top.length >= q.need) break
        top.push(m)
      }
    }
    return { top, total }
  }

  /** Facet counts over every match of the words (or exact names) and the filter; `edges` are the price bucket edges. */
  facets (q: Pick<MatchQuery, 'words' | 'exact' | 'filter'>, edges: readonly number[]): FacetCounts {
    const counts: FacetCounts = { total: 0, brands: new Map(), categories: new Map(), prices: new Array<number>(edges.length + 1).fill(0) }
    const add = (brand: string | null, category: number, price: number) => {
      counts.total++
      if (brand !== null) counts.brands.set(brand, (counts.brands.get(brand) ?? 0) + 1)
      counts.categories.set(category, (counts.categories.get(category) ?? 0) + 1)
      let bucket = 0
      while (bucket < edges.length && edges[bucket] <= price) bucket++
      counts.prices[bucket]++
    }
    const { seg } = this
    this.eachMatch(q, (s) => {
      const b = seg.brandNames[s]
      add(b < 0 ? null : seg.brandNameList[b], seg.categories[s], seg.prices[s])
    }, (d) => add(d.brandName, d.category, d.price))
    return counts
  }

  /** Calls `onSlot` for every live matching slot and `onDoc` for every matching overlay product, in no set order. */
  private eachMatch (q: Pick<MatchQuery, 'words' | 'exact' | 'filter'>, onSlot: (s: number) => void, onDoc: (d: DeltaDoc) => void): void {
    const test = this.compile(q.filter)
    const exactSlots = this.exactSlots(q.exact)
    const live = (s: number) => this.dead[s] === 0 && (!test.filtered || test.slot(s))
    for (const s of exactSlots) if (live(s)) onSlot(s)
    if (q.words.length > 0) {
      const title = this.matching(q.words, 'title')
      for (const s of title) if (!exactSlots.has(s) && live(s)) onSlot(s)
      const body = this.matching(q.words, 'body')
      for (let i = 0, t = 0; i < body.length; i++) {
        const s = body[i]
        while (t < title.length && title[t] < s) t++
        if (title[t] !== s && !exactSlots.has(s) && live(s)) onSlot(s)
      }
    }
    const exactNames = new Set(q.exact)
    for (const d of this.delta.values()) {
      if (test.doc(d) && (exactNames.has(d.name) || (q.words.length > 0 && this.docHas(d.body, q.words)))) onDoc(d)
    }
  }

  private exactSlots (names: readonly string[]): Set<number> {
    const slots = new Set<number>()
    for (const name of names) {
      const named = this.seg.names.get(name)
      if (typeof named === 'number') slots.add(named)
      else for (const s of named ?? []) slots.add(s)
    }
    return slots
  }

  /**
   * Counts the live slots of `list` that pass the filter and are neither in
   * `skip` (both ascending) nor in `exclude`, and takes the first of them that
   * the page needs (after the cursor) into `out`. The loop every search runs
   * over every match: plain checks, no call unless a filter is set.
   */
  private collect (list: Int32Array, skip: Int32Array, tier: MatchTier, q: MatchQuery, test: SlotTest, exclude: Set<number>, out: RankedMatch[]): number {
    const { dead } = this
    const { ids, ranks } = this.seg
    const room = q.after !== undefined && tier > q.after.tier ? 0 : q.need
    const below = q.after !== undefined && tier === q.after.tier ? q.after.rank : Infinity
    const excluding = exclude.size > 0
    if (skip.length === 0 && !excluding && !test.filtered && this.live === ids.length) {
      // Nothing to check per slot (no filter, nothing removed): every slot counts, and the page
      // starts at the first slot ranked below the cursor (ranks descend as slots ascend).
      let i = 0
      for (let hi = list.length; i < hi;) {
        const mid = (i + hi) >>> 1
        if (ranks[list[mid]] < below) hi = mid
        else i = mid + 1
      }
      for (; i < list.length && out.length < room; i++) out.push({ id: ids[list[i]], tier, rank: ranks[list[i]] })
      return list.length
    }
    let n = 0
    for (let i = 0, k = 0; i < list.length; i++) {
      const s = list[i]
      if (k < skip.length) {
        while (k < skip.length && skip[k] < s) k++
        if (skip[k] === s) continue
      }
      if (dead[s] !== 0 || (excluding && exclude.has(s)) || (test.filtered && !test.slot(s))) continue
      n++
      if (out.length < room && ranks[s] < below) out.push({ id: ids[s], tier, rank: ranks[s] })
    }
    return n
  }

  /** Slots (ascending, dead ones included) holding every word in the given vector. */
  private matching (words: MatchWord[], vector: 'title' | 'body'): Int32Array {
    const postings = this.seg[vector]
    const lists: Int32Array[] = []
    for (const w of words) {
      if (w.prefix) {
        lists.push(this.prefixList(postings, w.lexemes[0] ?? ''))
        continue
      }
      for (const l of w.lexemes) lists.push(postings.list(this.seg.lexemeIds.get(l)))
    }
    return lists.some((l) => l.length === 0) ? EMPTY : intersect(lists)
  }

  /** Every slot holding a lexeme that starts with `prefix`. */
  private prefixList (postings: Postings, prefix: string): Int32Array {
    const { sortedLexemes, lexemeIds } = this.seg
    const lists: Int32Array[] = []
    const [from, to] = prefixRange(sortedLexemes, prefix)
    for (let i = from; i < to; i++) {
      const list = postings.list(lexemeIds.get(sortedLexemes[i]))
      if (list.length > 0) lists.push(list)
    }
    if (lists.length <= 1) return lists[0] ?? EMPTY
    let n = 0
    for (const l of lists) n += l.length
    const all = new Int32Array(n)
    let at = 0
    for (const l of lists) { all.set(l, at); at += l.length }
    all.sort()
    let w = 0
    for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[w++] = all[i]
    return all.subarray(0, w)
  }

  private docHas (lexemes: Set<string>, words: MatchWord[]): boolean {
    for (const w of words) {
      if (w.prefix) {
        const p = w.lexemes[0] ?? ''
        let found = false
        for (const l of lexemes) if (l.startsWith(p)) { found = true; break }
        if (!found) return false
      } else {
        for (const l of w.lexemes) if (!lexemes.has(l)) return false
      }
    }
    return true
  }

  private compile (f: MatchFilter): SlotTest {
    const seg = this.seg
    const categories = f.categoryIds === undefined ? undefined : new Set(f.categoryIds)
    const min = f.minPrice ?? -Infinity
    const max = f.maxPrice ?? Infinity
    const brand = f.brand === undefined ? undefined : seg.brandCodes.get(f.brand) ?? -2
    const featured = f.featured === undefined ? undefined : f.featured ? 1 : 0
    return {
      filtered: categories !== undefined || f.minPrice !== undefined || f.maxPrice !== undefined || brand !== undefined || featured !== undefined,
      slot: (s) => (categories === undefined || categories.has(seg.categories[s])) &&
        seg.prices[s] >= min && seg.prices[s] <= max &&
        (brand === undefined || seg.brands[s] === brand) &&
        (featured === undefined || seg.featured[s] === featured),
      doc: (d) => (categories === undefined || categories.has(d.category)) &&
        d.price >= min && d.price <= max &&
        (f.brand === undefined || d.brand === f.brand) &&
        (f.featured === undefined || d.featured === f.featured)
    }
  }
}

/** Two lists, each in descending rank, as one. */
function mergeByRank (a: RankedMatch[], b: RankedMatch[]): RankedMatch[] {
  if (b.length === 0) return a
  b.sort((x, y) => y.rank - x.rank)
  const out: RankedMatch[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i].rank > b[j].rank)) out.push(a[i++])
    else out.push(b[j++])
  }
  return out
}
