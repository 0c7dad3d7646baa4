/**
 * Tokens of the suggestion index (catalog.suggest.ts): lowercase, accents
 * folded, split on anything that is not a letter or digit, a number keeping
 * its decimals ("9.4", "v2.0"). A document also keeps the joined forms of
 * tokens written together with a hyphen, slash, dot, underscore, plus or
 * apostrophe ("WH-1000XM5" gives "wh", "1000xm5" and "wh1000xm5"), so a
 * shopper may type a model number with or without its punctuation. Queries
 * are split the same way, a compound taken as its joined form: each query
 * word must be a prefix of some token of the document, which the joined
 * forms satisfy whether the query has the punctuation or not ("wh-1000",
 * "wh1000" and "1000xm5" all find "WH-1000XM5").
 */

/** A number with decimals (possibly after letters: "v2.0"), or a run of letters and digits. */
const TOKEN = /[\p{L}\p{N}]*\p{N}(?:\.\p{N}+)+|[\p{L}\p{N}]+/gu
const COMBINING_MARKS = /\p{M}+/gu
/** One of these, alone between two tokens, makes them one compound. */
const JOINERS = new Set(['-', '/', '.', '_', '+', "'", '\u2019'])
/** Longest run of parts whose joined forms are kept (longer runs are sentences of hyphens, not model numbers). */
const MAX_JOINED_PARTS = 6
/** Words of a query beyond this are ignored: an as-you-type box never needs more. */
export const MAX_QUERY_WORDS = 8

/** Lowercase, compatibility-decomposed, without combining marks ("Café" and "CAFE" are one word). */
export function normalizeText (text: string): string {
  return text.normalize('NFKD').replace(COMBINING_MARKS, '').toLowerCase()
}

function addJoined (run: string[], out: Set<string>): void {
  if (run.length < 2) return
  const parts = run.slice(-MAX_JOINED_PARTS)
  // Every suffix of the run joined: "a-b-c" gives "abc" and "bc".
  for (let i = 0; i < parts.length - 1; i++) out.add(parts.slice(i).join(''))
}

/** The distinct tokens of a name, brand or category name, joined forms included. */
export function documentTokens (text: string): string[] {
  const s = normalizeText(text)
  const out = new Set<string>()
  let run: string[] = []
  let end = -1
  for (const m of s.matchAll(TOKEN)) {
    const token = m[0]
    const start = m.index
    if (!(end >= 0 && start - end === 1 && JOINERS.has(s[end]))) {
      addJoined(run, out)
      run = []
    }
    run.push(token)
    out.add(token)
    end = start + token.length
  }
  addJoined(run, out)
  return [...out]
}

/**
 * The distinct words of a query, in order, at most MAX_QUERY_WORDS. Tokens
 * written together with a joiner are one word, their joined form ("wh-1000"
 * is "wh1000", a prefix of the document's "wh1000xm5"), so a model number
 * typed with its hyphen does not also match "white" and "10000".
 */
export function queryWords (text: string): string[] {
  const s = normalizeText(text)
  const out = new Set<string>()
  let word = ''
  let end = -1
  for (const m of s.matchAll(TOKEN)) {
    if (!(end >= 0 && m.index - end === 1 && JOINERS.has(s[end])) && word !== '') {
      out.add(word)
      if (out.size === MAX_QUERY_WORDS) return [...out]
      word = ''
    }
    word += m[0]
    end = m.index + m[0].length
  }
  if (word !== '') out.add(word)
  return [...out]
}
