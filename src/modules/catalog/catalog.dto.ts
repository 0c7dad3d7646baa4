import type { Static } from 'typebox'
import type { CategoryRow, DetailRow, SummaryRow } from './catalog.repository.js'
import type { PaginationSchema, ProductDetailSchema, ProductSummarySchema } from './catalog.schemas.js'

/**
 * Rows to the response shapes of catalog.schemas.ts. The catalog caches
 * serialized bytes, so these objects are built explicitly, field by field,
 * and only these fields ever reach a client.
 */

/** numeric text from PostgreSQL as a JSON number; no arithmetic happens on it here. */
export function money (value: string): number {
  return Number(value)
}

function moneyOrNull (value: string | null): number | null {
  return value === null ? null : Number(value)
}

export function toSummary (r: SummaryRow): Static<typeof ProductSummarySchema> {
  return {
    id: r.id,
    name: r.name,
    slug: r.slug,
    short_description: r.short_description,
    price: money(r.price),
    sale_price: moneyOrNull(r.sale_price),
    effective_price: money(r.effective_price),
    stock_quantity: r.stock_quantity,
    brand: r.brand,
    category: { id: r.category_id, name: r.category_name, slug: r.category_slug },
    rating: { average: Number(r.rating_avg), count: r.rating_count },
    is_featured: r.is_featured,
    created_at: r.created_at
  }
}

export function toDetail (r: DetailRow): Static<typeof ProductDetailSchema> {
  return {
    id: r.id,
    name: r.name,
    slug: r.slug,
    description: r.description,
    short_description: r.short_description,
    sku: r.sku,
    price: money(r.price),
    sale_price: moneyOrNull(r.sale_price),
    effective_price: money(r.effective_price),
    stock_quantity: r.stock_quantity,
    brand: r.brand,
    weight: moneyOrNull(r.weight),
    dimensions: r.dimensions,
    category: { id: r.category_id, name: r.category_name, slug: r.category_slug },
    rating: { average: Number(r.rating_avg), count: r.rating_count },
    is_featured: r.is_featured,
    is_active: r.is_active,
    seller_id: r.seller_id,
    created_at: r.created_at,
    updated_at: r.updated_at
  }
}

export type Pagination = Static<typeof PaginationSchema>

export interface CategoryNode {
  id: number
  name: string
  slug: string
  description: string | null
  parent_id: number | null
  sort_order: number
  product_count: number
  children: CategoryNode[]
}
/** Builds the tree from rows sorted by (sort_order, name); counts include every subcategory. */
export function toCategoryTree (rows: CategoryRow[], counts: Map<number, number>): CategoryNode[] {
  const nodes = new Map<number, CategoryNode>(rows.map((r) => [r.id, {
    id: r.id,
    name: r.name,
    slug: r.slug,
    description: r.description,
    parent_id: r.parent_id,
    sort_order: r.sort_order,
    product_count: counts.get(r.id) ?? 0,
    children: []
  }]))
  const roots: CategoryNode[] = []
  for (const node of nodes.values()) {
    const parent = node.parent_id === null ? undefined : nodes.get(node.parent_id)
    // A child of an inactive (hence absent) parent is hidden with it.
    if (node.parent_id === null) roots.push(node)
    else if (parent) parent.children.push(node)
  }
  const total = (n: CategoryNode): number => {
    n.product_count += n.children.reduce((sum, c) => sum + total(c), 0)
    return n.product_count
  }
  roots.forEach(total)
  return roots
}
