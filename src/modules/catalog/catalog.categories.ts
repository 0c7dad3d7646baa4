import type { CacheDecorator } from '../../plugins/cache.js'
import { CATALOG_CACHE_TTL_S, CatalogKeys, CatalogTags } from './catalog.keys.js'
import type { CatalogRepository, CategoryRow } from './catalog.repository.js'

/** Active categories with their parent/child links, for subtree filters and invalidation scopes. */
export interface CategoryIndex {
  has: (id: number) => boolean
  /** The category and every active category below it. */
  subtree: (id: number) => number[]
  /** The category and every category above it, up to its root. */
  lineage: (id: number) => number[]
  /** Name and slug of an active category. */
  describe: (id: number) => { name: string, slug: string } | undefined
}

export function buildCategoryIndex (rows: CategoryRow[]): CategoryIndex {
  const byId = new Map(rows.map((r) => [r.id, r]))
  const children = new Map<number, number[]>()
  for (const r of rows) {
    if (r.parent_id === null) continue
    const list = children.get(r.parent_id) ?? []
    list.push(r.id)
    children.set(r.parent_id, list)
  }
  const subtrees = new Map<number, number[]>()
  const subtree = (id: number): number[] => {
    let ids = subtrees.get(id)
    if (ids === undefined) {
      ids = [id]
      // Walks breadth-first with a seen set, so a parent_id cycle in bad data cannot loop.
      const seen = new Set(ids)
      for (let i = 0; i < ids.length; i++) {
        for (const c of children.get(ids[i]) ?? []) if (!seen.has(c)) { seen.add(c); ids.push(c) }
      }
      subtrees.set(id, ids)
    }
    return ids
  }
  const lineage = (id: number): number[] => {
    const ids = [id]
    let parent = byId.get(id)?.parent_id
    while (parent != null && !ids.includes(parent)) {
      ids.push(parent)
      parent = byId.get(parent)?.parent_id
    }
    return ids
  }
  const describe = (id: number) => {
    const row = byId.get(id)
    return row === undefined ? undefined : { name: row.name, slug: row.slug }
  }
  return { has: (id) => byId.has(id), subtree, lineage, describe }
}

/**
 * The category index, cached like any entry (category_tree TTL, the
 * `catalog:categories` tag) and parsed again only when its bytes change, so a
 * hit costs one L1 lookup.
 */
export function createCategoryIndexSource (cache: CacheDecorator, repo: CatalogRepository) {
  let memo: { etag: string, index: CategoryIndex } | undefined
  return async function categoryIndex (): Promise<CategoryIndex> {
    const entry = await cache.getOrLoad({
      type: 'category_tree',
      ttlS: CATALOG_CACHE_TTL_S.category_tree,
      key: CatalogKeys.categoryIndex,
      tags: [CatalogTags.categories],
      load: async () => ({ body: JSON.stringify(await repo.listCategories()) })
    })
    if (memo?.etag !== entry.etag) memo = { etag: entry.etag, index: buildCategoryIndex(JSON.parse(entry.body) as CategoryRow[]) }
    return memo.index
  }
}
