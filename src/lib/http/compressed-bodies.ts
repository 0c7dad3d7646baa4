import { createRequire } from 'node:module'

/**
 * Compressed copies of cached response bodies. A cached product is a
 * pre-serialized JSON string sent again and again: compressing it on every
 * request (what a compression plugin does) spends 25-70 µs of CPU and
 * allocates a fresh encoder each time, for the same output. Here each
 * (body, encoding) is compressed once and kept in a byte-bounded LRU; a hit
 * is a map lookup on the string, whose hash V8 keeps on the string itself
 * (the in-process cache hands out the same string instance). A new body is
 * compressed synchronously: on libuv's thread pool the server used more CPU
 * and a mixed load at 1,000 requests/s on two cores shared with PostgreSQL
 * had a p95 of 243-279 ms against 51-117 ms (the threads compete with the
 * event loop for the same cores).
 * Also the tests every compressed response shares: the encoding a client
 * accepts, whether a content type is compressed, and the `Vary` it carries.
 */
export type Encoding = 'br' | 'gzip'

export class CompressedBodies {
  private readonly entries = new Map<string, { br?: Buffer, gzip?: Buffer }>()
  private bytes = 0

  constructor (
    private readonly maxBytes: number,
    private readonly compress: Readonly<Record<Encoding, (body: Buffer) => Buffer>>
  ) {}

  /** The body compressed with `encoding`, from memory or compressed now and remembered. */
  get (body: string, encoding: Encoding): Buffer {
    let entry = this.entries.get(body)
    if (entry !== undefined) {
      // Refresh recency: Map iteration order is insertion order, so the oldest entry is first.
      this.entries.delete(body)
      this.entries.set(body, entry)
      const hit = entry[encoding]
      if (hit !== undefined) return hit
    } else {
      entry = {}
      this.entries.set(body, entry)
      this.bytes += body.length * 2 // the key is kept too (UTF-16 upper bound)
    }
    const compressed = this.compress[encoding](Buffer.from(body))
    entry[encoding] = compressed
    this.bytes += compressed.length
    this.evict()
    return compressed
  }

  get size (): number { return this.entries.size }

  private evict (): void {
    for (const [body, entry] of this.entries) {
      if (this.bytes <= this.maxBytes || this.entries.size <= 1) return
      this.entries.delete(body)
      this.bytes -= body.length * 2 + (entry.br?.length ?? 0) + (entry.gzip?.length ?? 0)
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
