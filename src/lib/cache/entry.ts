import { createHash } from 'node:crypto'

/**
 * One cached response as both layers keep it: the serialized JSON bytes a
 * hit sends unchanged, their ETag, and what is needed to tell whether the
 * bytes are still valid (tag generations, epoch, expiry).
 */
export interface StoredEntry {
  /** The response body exactly as sent (already serialized JSON; '' for a negative entry). */
  body: string
  /** Weak validator of `body`, sent as `ETag`. */
  etag: string
  /** True for a cached "not found": the caller answers 404 without asking the database. */
  negative: boolean
  /** Invalidation tags; the entry is valid while each tag's generation equals `gens[i]`. */
  tags: string[]
  gens: number[]
  /** The generation hash epoch the gens belong to (a Redis flush starts a new epoch). */
  epoch: string
  /** Epoch ms until which the entry is fresh. */
  freshUntil: number
  /** Epoch ms until which it may still be served when the database fails (grace). */
  staleUntil: number
}

interface EntryHeader { e: string, n: 0 | 1, t: string[], g: number[], ep: string, f: number, s: number }

/**
 * L2 format: a one-line JSON header, a newline, then the body bytes as they
 * are. The Lua read script decodes only the header (to look up the tags'
 * generations) and the body is never parsed.
 */
export function encodeEntry (entry: StoredEntry): string {
  const header: EntryHeader = {
    e: entry.etag,
    n: entry.negative ? 1 : 0,
    t: entry.tags,
    g: entry.gens,
    ep: entry.epoch,
    f: entry.freshUntil,
    s: entry.staleUntil
  }
  return `${JSON.stringify(header)}\n${entry.body}`
}

/** Parses what `encodeEntry` wrote; undefined for anything else (a foreign or truncated value). */
export function decodeEntry (raw: string): StoredEntry | undefined {
  const nl = raw.indexOf('\n')
  if (nl <= 0) return undefined
  let header: EntryHeader
  try {
    header = JSON.parse(raw.slice(0, nl)) as EntryHeader
  } catch {
    return undefined
  }
  if (typeof header?.e !== 'string' || !Array.isArray(header.t) || !Array.isArray(header.g) || header.t.length !== header.g.length) return undefined
  return {
    body: raw.slice(nl + 1),
    etag: header.e,
    negative: header.n === 1,
    tags: header.t,
    gens: header.g,
    epoch: String(header.ep),
    freshUntil: Number(header.f),
    staleUntil: Number(header.s)
  }
}

/** A weak ETag over the body bytes: equal bytes give equal tags on every instance. */
export function computeEtag (body: string): string {
  return `W/"${createHash('sha1').update(body).digest('base64url')}"`
}

/** Approximate memory held by an entry, for the L1 byte budget. */
export function entrySize (entry: StoredEntry): number {
  // Bodies are mostly one byte per char (Latin-1 strings in V8); tags and bookkeeping are small.
  return entry.body.length + entry.etag.length + entry.tags.length * 16 + 128
}
