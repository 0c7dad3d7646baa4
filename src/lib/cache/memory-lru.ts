import { entrySize, type StoredEntry } from './entry.js'

interface Slot { entry: StoredEntry, size: number }

/**
 * The L1 layer: an in-process LRU bounded by entry count and bytes. A Map
 * keeps insertion order, so re-inserting on a hit makes the first key the
 * least recently used. Entries past their grace period are dropped on sight.
 */
export class MemoryLru {
  readonly #map = new Map<string, Slot>()
  #bytes = 0
  #evictions = 0

  /**
   * @param maxEntries most entries kept
   * @param maxBytes approximate byte budget of the bodies and their bookkeeping
   */
  constructor (readonly maxEntries: number, readonly maxBytes: number) {}

  get (key: string, now: number): StoredEntry | undefined {
    const slot = this.#map.get(key)
    if (slot === undefined) return undefined
    if (slot.entry.staleUntil <= now) {
      this.#remove(key, slot)
      return undefined
    }
    // Touch: move to the most-recent end.
    this.#map.delete(key)
    this.#map.set(key, slot)
    return slot.entry
  }

  set (key: string, entry: StoredEntry): void {
    const size = entrySize(entry)
    // The key's previous value goes whether or not the new one is kept.
    const old = this.#map.get(key)
    if (old) this.#remove(key, old)
    // One value larger than a tenth of the budget would evict too much to be worth keeping.
    if (size > this.maxBytes / 10) return
    this.#map.set(key, { entry, size })
    this.#bytes += size
    while (this.#map.size > this.maxEntries || this.#bytes > this.maxBytes) {
      const oldest = this.#map.keys().next()
      if (oldest.done) break
      this.#remove(oldest.value, this.#map.get(oldest.value)!)
      this.#evictions++
    }
  }

  delete (key: string): void {
    const slot = this.#map.get(key)
    if (slot) this.#remove(key, slot)
  }

  clear (): void {
    this.#map.clear()
    this.#bytes = 0
  }

  get size (): number { return this.#map.size }
  get bytes (): number { return this.#bytes }
  get evictions (): number { return this.#evictions }

  #remove (key: string, slot: Slot): void {
    this.#map.delete(key)
    this.#bytes -= slot.size
  }
}
