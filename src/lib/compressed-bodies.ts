import { createRequire } from 'node:module'

/**
 * Compressed copies of cached response bodies. A cached product is a
 * pre-serialized JSON string sent again and again: compressing it on every
 * request (what a compression plugin does) spends 25-70 µs of CPU and
 * allocates a fresh encoder each time, for the same output. Here each
 * (body, encoding) is compressed once and kept in a byte-bounded LRU; a hit
 * is a map lookup on the string, whose hash V8 keeps on the string itself
 * (the in-process cache hands out the same string instance).
 * Also the tests every compressed response shares: the encoding a client
 * accepts, whether a content type is compressed, and the `Vary` it carries.
 */
export type Encoding = 'br' | 'gzip'

/** An asynchronous compressor with zlib's callback shape (`zlib.gzip(buf, opts, cb)`, `zlib.brotliCompress(buf, opts, cb)`). */
export type Compressor = (body: Buffer, callback: (err: Error | null, result?: Buffer) => void) => void
/** Receives a compressed body, or the error that prevented it. */
export type CompressedCallback = (err: Error | null, compressed?: Buffer) => void

/**
 * The LRU of compressed bodies. Bodies not seen before are compressed off
 * the event loop: with many distinct cached bodies (search results, category
 * pages), compressing them synchronously took 3.7-5.7 % of the main thread
 * under a mixed load, on a thread that is the server's bottleneck while the
 * machine's other cores have time to spare. The compressors given (zlib's
 * asynchronous ones) run on libuv's thread pool.
 *
 * A compression in flight is not in the LRU: its waiters are kept aside,
 * one list per (body, encoding), and the result joins the LRU — its bytes
 * counted — when it arrives. So eviction never sees a half-made entry, and
 * an entry evicted while another encoding of its body is being compressed
 * is simply made again, counted again, when that result arrives.
 */
export class CompressedBodies {
  private readonly entries = new Map<string, { br?: Buffer, gzip?: Buffer }>()
  private readonly inFlight: Readonly<Record<Encoding, Map<string, CompressedCallback[]>>> = { br: new Map(), gzip: new Map() }
  private used = 0

  constructor (
    private readonly maxBytes: number,
    private readonly compress: Readonly<Record<Encoding, Compressor>>
  ) {}

  /**
   * Calls `done` with the body compressed with `encoding`. A hit calls it at
   * once, before returning (no promise, no extra tick: the path of every
   * cached product). A miss starts one compression, or joins the one already
   * running for the same body and encoding, and calls `done` when it ends;
   * on an error every waiter gets it and nothing is kept, so the next request
   * tries again.
   */
  get (body: string, encoding: Encoding, done: CompressedCallback): void {
    const entry = this.entries.get(body)
    if (entry !== undefined) {
      // Refresh recency: Map iteration order is insertion order, so the oldest entry is first.
      this.entries.delete(body)
      this.entries.set(body, entry)
      const hit = entry[encoding]
      if (hit !== undefined) return done(null, hit)
    }
    const inFlight = this.inFlight[encoding]
    const waiting = inFlight.get(body)
    if (waiting !== undefined) {
      waiting.push(done)
      return
    }
    const waiters = [done]
    inFlight.set(body, waiters)
    const finish = (err: Error | null, compressed?: Buffer): void => {
      if (inFlight.get(body) !== waiters) return // settled already: a compressor that called back twice
      inFlight.delete(body)
      if (err === null && compressed !== undefined) {
        this.store(body, encoding, compressed)
        for (const waiter of waiters) waiter(null, compressed)
      } else {
        const failure = err ?? new Error(`the ${encoding} compressor returned nothing`)
        for (const waiter of waiters) waiter(failure)
      }
    }
    try {
      this.compress[encoding](Buffer.from(body), finish)
    } catch (err) {
      // Settled already (a compressor that called back at once, then a waiter threw): not the compressor's error.
      if (inFlight.get(body) !== waiters) throw err
      finish(err instanceof Error ? err : new Error(String(err)))
    }
  }

  /** Bodies in memory (compressions in flight are not counted). */
  get size (): number { return this.entries.size }

  /** Bytes counted against the bound: each body's key (UTF-16 upper bound) and its compressed copies. */
  get bytes (): number { return this.used }

  private store (body: string, encoding: Encoding, compressed: Buffer): void {
    let entry = this.entries.get(body)
    if (entry === undefined) {
      entry = {}
      this.used += body.length * 2 // the key is kept too (UTF-16 upper bound)
    } else {
      this.entries.delete(body) // most recently used: it was just asked for
    }
    this.entries.set(body, entry)
    // Never set before: a hit does not compress, and one compression per body and encoding runs at a time.
    entry[encoding] = compressed
    this.used += compressed.length
    this.evict()
  }

  private evict (): void {
    for (const [body, entry] of this.entries) {
      if (this.used <= this.maxBytes || this.entries.size <= 1) return
      this.entries.delete(body)
      this.used -= body.length * 2 + (entry.br?.length ?? 0) + (entry.gzip?.length ?? 0)
    }
  }
}

/**
 * The encoding to answer with for an `Accept-Encoding` header: br when
 * acceptable, else gzip, else none. Honours `q=0` (refusal) and `*`.
 */
export function negotiateEncoding (header: string | undefined): Encoding | undefined {
  if (!header) return undefined
  let br: number | undefined
  let gzip: number | undefined
  let any: number | undefined
  for (const part of header.split(',')) {
    const [token, ...params] = part.trim().toLowerCase().split(';')
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const q = qParam === undefined ? 1 : Number(qParam.slice(2))
    const weight = Number.isFinite(q) ? q : 0
    if (token === 'br') br = weight
    else if (token === 'gzip' || token === 'x-gzip') gzip = weight
    else if (token === '*') any = weight
  }
  br ??= any
  gzip ??= any
  if (br !== undefined && br > 0 && br >= (gzip ?? 0)) return 'br'
  if (gzip !== undefined && gzip > 0) return 'gzip'
  return undefined
}

// @fastify/compress's own test: its default type pattern, then mime-db's `compressible`
// flag. mime-db is resolved through @fastify/compress so both read the same table.
const COMPRESSIBLE_TYPE = /^text\/(?!event-stream)|(?:\+|\/)json(?:;|$)|(?:\+|\/)text(?:;|$)|(?:\+|\/)xml(?:;|$)|octet-stream(?:;|$)/u
const requireFromCompress = createRequire(createRequire(import.meta.url).resolve('@fastify/compress'))
const mimeDb = requireFromCompress('mime-db') as Readonly<Record<string, { compressible?: boolean } | undefined>>
let lastType = ''
let lastCompressible = false

/**
 * True for a `Content-Type` whose bodies are compressed (above the size
 * threshold, for a client that accepts br or gzip). Given to @fastify/compress
 * as its type test and used for `Vary`, so the two never disagree. Event
 * streams are excluded: each event must reach the client when it is written.
 */
export function isCompressibleType (contentType: string): boolean {
  // Nearly every response has the same JSON type: remember the last answer.
  if (contentType === lastType) return lastCompressible
  lastType = contentType
  lastCompressible = COMPRESSIBLE_TYPE.test(contentType) ||
    mimeDb[contentType.split(';', 1)[0].trim().toLowerCase()]?.compressible === true
  return lastCompressible
}

/**
 * A `Vary` value with `field` in it once: existing fields (a list, or several
 * header lines) are kept, a field already named in another letter case takes
 * `field`'s spelling instead of being repeated (@fastify/compress looks for
 * `accept-encoding` in lower case and would add it again), and `*` (varies on
 * everything) stays as it is.
 */
export function addVary (current: string | number | string[] | undefined, field: string): string {
  if (current === undefined || current === '') return field
  const value = Array.isArray(current) ? current.join(', ') : String(current)
  const lower = value.toLowerCase()
  const wanted = field.toLowerCase()
  // The usual case (`Origin` from CORS): nothing to merge, one string built.
  if (!lower.includes(wanted) && !lower.includes('*')) return `${value}, ${field}`
  const fields = value.split(',').map((f) => f.trim()).filter((f) => f !== '')
  if (fields.includes('*')) return '*'
  const kept = fields.filter((f) => f.toLowerCase() !== wanted)
  const at = fields.findIndex((f) => f.toLowerCase() === wanted)
  if (at !== -1) kept.splice(at, 0, field)
  else kept.push(field)
  return kept.join(', ')
}
