import type { StoredEntry } from './entry.js'

interface TagState { gen: number, seq: number }

/**
 * This process's view of the invalidation tags: each tag has a generation
 * that only grows within an epoch, and an entry is valid while every one of
 * its tags still has the generation it was stored with.
 *
 * `seq` numbers every local change, so a loader can ask "was any of my tags
 * bumped since I started reading the database?" and then refuse to store
 * what it read: that closes the race where a write commits and invalidates
 * while a slower reader is still holding the old row.
 */
export class Generations {
  readonly #tags = new Map<string, TagState>()
  #seq = 0
  #resetSeq = 0
  #epoch: string

  constructor (epoch: string) {
    this.#epoch = epoch
  }

  get epoch (): string { return this.#epoch }
  /** The number of the last local change; compare with `changedSince`. */
  get seq (): number { return this.#seq }

  get (tag: string): number {
    return this.#tags.get(tag)?.gen ?? 0
  }

  /** Raises a tag to `gen` (from the bus, our own bump or an L2 read); lower values are ignored. */
  raise (tag: string, gen: number): boolean {
    // An unknown tag is at generation 0, so learning "0" from Redis changes nothing.
    if ((this.#tags.get(tag)?.gen ?? 0) >= gen) return false
    this.#tags.set(tag, { gen, seq: ++this.#seq })
    return true
  }

  /** A new epoch (Redis lost the generation hash): every known generation is void. */
  reset (epoch: string): void {
    this.#tags.clear()
    this.#epoch = epoch
    this.#resetSeq = ++this.#seq
  }

  /** True when any of `tags` changed, or the epoch did, after `seq`. */
  changedSince (tags: readonly string[], seq: number): boolean {
    if (this.#resetSeq > seq) return true
    for (const tag of tags) {
      const state = this.#tags.get(tag)
      if (state !== undefined && state.seq > seq) return true
    }
    return false
  }

  /** True while the entry's epoch and every tag generation are current. */
  matches (entry: StoredEntry): boolean {
    if (entry.epoch !== this.#epoch) return false
    const { tags, gens } = entry
    for (let i = 0; i < tags.length; i++) {
      if ((this.#tags.get(tags[i])?.gen ?? 0) !== gens[i]) return false
    }
    return true
  }

  snapshot (tags: readonly string[]): number[] {
    return tags.map((t) => this.get(t))
  }
}
