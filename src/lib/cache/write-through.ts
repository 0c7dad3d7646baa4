import type { Generations } from './generations.js'
import type { Invalidator } from './invalidator.js'
import type { Reader } from './reader.js'

/**
 * What this process knew of a write's tags before the write ran: taken by
 * `beginWrite`, handed to `invalidateAndStore` once the write committed.
 */
export interface WriteMark {
  /** The tags the write invalidates, deduplicated. */
  readonly tags: readonly string[]
  readonly epoch: string
  /** `Generations.seq` before the write: any later local change of another tag of the entry refuses the store. */
  readonly seq: number
  /** Each tag's generation before the write, in `tags` order. */
  readonly gens: readonly number[]
  /** A tag had a local bump waiting for Redis: its generation here may be ahead of Redis's, so nothing is stored. */
  readonly pending: boolean
}

/** The entry a committed write stores: its bytes are the write's own answer. */
export interface WrittenEntry {
  type: string
  key: string
  /** The serialized body, exactly as a read would answer it. */
  body: string
  /** Every tag of the entry; the mark's tags are added. Tags not in the mark must not have changed since it. */
  tags?: string[]
  /** Fresh lifetime in seconds, as `CacheReadOptions.ttlS`. */
  ttlS?: number
}

export interface WriteThroughDeps {
  gens: Generations
  invalidator: Invalidator
  reader: Reader
  /** False with the cache off: writes only invalidate. */
  enabled: boolean
}

/**
 * Write-through for writes that answer the new state of a cached entry (a
 * cart write answers the whole cart): after the commit the tags are
 * invalidated as usual and the write's answer becomes the fresh entry, so
 * the next read is a hit instead of a load.
 *
 * Storing is safe only when no other write of the same tags can have
 * committed after this write read the rows: such a write bumps the tags
 * after its commit, and if that bump came before ours, our bump would lift
 * the generation past it and the older answer would stay valid. So the
 * entry is stored only when our bump moved every tag exactly one step from
 * the generation seen before the write (`beginWrite`): no bump of another
 * write, on any instance, fell in between, and any later one comes after
 * ours and makes the entry stale. A bump in Redis that this process has not
 * heard of yet still shows: Redis answers the higher generation. Tags of
 * the entry that the write does not bump (the products a cart shows) must
 * not have changed locally since the mark; a change not heard of yet makes
 * the entry stale when its message arrives, and L2 reads check them against
 * Redis. Without Redis (down, embedded) nothing is stored: the next read
 * loads.
 */
export function createWriteThrough ({ gens, invalidator, reader, enabled }: WriteThroughDeps) {
  function beginWrite (tags: string[]): WriteMark {
    const unique = [...new Set(tags)]
    return {
      tags: unique,
      epoch: gens.epoch,
      seq: gens.seq,
      gens: gens.snapshot(unique),
      pending: unique.some((tag) => invalidator.isPending(tag))
    }
  }

  function storable (mark: WriteMark, bumped: { epoch: string, gens: number[] } | undefined, others: string[]): boolean {
    if (!enabled || mark.pending || bumped === undefined) return false
    if (bumped.epoch !== mark.epoch || gens.epoch !== mark.epoch) return false
    for (let i = 0; i < mark.tags.length; i++) {
      if (bumped.gens[i] !== mark.gens[i] + 1 || gens.get(mark.tags[i]) !== bumped.gens[i]) return false
    }
    return !gens.changedSince(others, mark.seq)
  }

  async function invalidateAndStore (mark: WriteMark, entry: WrittenEntry): Promise<boolean> {
    const bumped = await invalidator.invalidate([...mark.tags])
    const others = (entry.tags ?? []).filter((tag) => !mark.tags.includes(tag))
    if (!storable(mark, bumped, others)) return false
    reader.store({ type: entry.type, key: entry.key, tags: [...mark.tags, ...others] }, { body: entry.body, ttlS: entry.ttlS })
    return true
  }

  return { beginWrite, invalidateAndStore }
}

export type WriteThrough = ReturnType<typeof createWriteThrough>
