import { randomBytes } from 'node:crypto'
import type { Database, Sql } from '../../db/client.js'
import type { products } from '../../db/schema/index.js'
import type { AuthUser } from '../../plugins/auth.js'
import { toDetail } from './catalog.dto.js'
import { CatalogErrors } from './catalog.errors.js'
import { cents, moneyText } from './catalog.money.js'
import type { CatalogRepository, Executor } from './catalog.repository.js'
import type { CreateProductBody, UpdateProductBody } from './catalog.schemas.js'

const SLUG_ATTEMPTS = 5
const MAX_SLUG_BASE = 180

export interface WriteDeps {
  db: Database
  sql: Sql
  repo: CatalogRepository
  /** Runs after each committed write with the product's id, and its categories and slugs before and after. */
  afterWrite: (change: ProductChange) => Promise<void>
}

export interface ProductChange { id: number, categoryIds: number[], slugs: string[], textChanged: boolean }

/** The written product as the detail JSON (read from the primary: a replica may lag). */
export interface WrittenProduct { id: number, body: string }

type Insert = typeof products.$inferInsert

export function slugify (name: string): string {
  const base = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, MAX_SLUG_BASE).replace(/-+$/, '')
  return base || 'product'
}

/** postgres.js puts SQLSTATE and constraint on the error; Drizzle may wrap it as `cause`. */
function pgError (err: unknown): { code?: string, constraint?: string } {
  const e = err as { code?: string, constraint_name?: string, cause?: unknown }
  if (e?.code && /^[0-9A-Z]{5}$/.test(e.code)) return { code: e.code, constraint: e.constraint_name }
  return e?.cause ? pgError(e.cause) : {}
}

function translate (err: unknown, sku: string | undefined, slug: string | undefined): unknown {
  const { code, constraint } = pgError(err)
  if (code === '23505' && constraint === 'products_sku_unique') return new CatalogErrors.DUPLICATE_SKU(sku ?? '')
  if (code === '23505' && constraint === 'products_slug_unique') return new CatalogErrors.DUPLICATE_SLUG(slug ?? '')
  // A concurrent price change can make the merged sale price invalid after our check; the constraint still holds.
  if (code === '23514' && constraint === 'products_sale_price_check') return new CatalogErrors.INVALID_SALE_PRICE('requested', 'current')
  return err
}

function checkSalePrice (price: string, salePrice: string | null): void {
  if (salePrice !== null && cents(salePrice) > cents(price)) throw new CatalogErrors.INVALID_SALE_PRICE(salePrice, price)
}

/**
 * Product create, update and soft delete: the rules (ownership, prices,
 * references) inside one transaction, cache invalidation after the commit.
 */
export function createProductWriter (deps: WriteDeps) {
  const { db, repo } = deps

  async function detail (id: number): Promise<WrittenProduct> {
    const row = await repo.findDetail(id, deps.sql, { includeInactive: true })
    if (!row) throw new CatalogErrors.PRODUCT_NOT_FOUND(String(id))
    return { id, body: JSON.stringify(toDetail(row)) }
  }

  async function insertWithSlug (tx: Executor, values: Omit<Insert, 'slug'>, name: string, slug: string | undefined): Promise<{ id: number, slug: string }> {
    if (slug !== undefined) {
      const id = await repo.insertProduct({ ...values, slug }, tx)
      if (id === undefined) throw new CatalogErrors.DUPLICATE_SLUG(slug)
      return { id, slug }
    }
    const base = slugify(name)
    for (let attempt = 0; attempt < SLUG_ATTEMPTS; attempt++) {
      const candidate = attempt === 0 ? base : `${base}-${randomBytes(3).toString('hex')}`
      const id = await repo.insertProduct({ ...values, slug: candidate }, tx)
      if (id !== undefined) return { id, slug: candidate }
    }
    throw new CatalogErrors.DUPLICATE_SLUG(base)
  }

  async function create (actor: AuthUser, body: CreateProductBody): Promise<WrittenProduct> {
    const sellerId = body.seller_id ?? actor.id
    if (sellerId !== actor.id && actor.role !== 'admin') throw new CatalogErrors.SELLER_ASSIGNMENT_FORBIDDEN()
    if (body.is_featured !== undefined && actor.role !== 'admin') throw new CatalogErrors.FEATURED_FORBIDDEN()
    const price = moneyText('price', body.price)
    const salePrice = body.sale_price == null ? null : moneyText('sale_price', body.sale_price)
    checkSalePrice(price, salePrice)
    const { id, slug } = await db.transaction(async (tx) => {
      if (!await repo.activeCategoryExists(body.category_id, tx)) throw new CatalogErrors.INVALID_CATEGORY(body.category_id)
      if (sellerId !== actor.id && !await repo.activeSellerExists(sellerId, tx)) throw new CatalogErrors.INVALID_SELLER(sellerId)
      return insertWithSlug(tx, {
        sellerId,
        name: body.name,
        description: body.description ?? null,
        shortDescription: body.short_description ?? null,
        sku: body.sku,
        price,
        salePrice,
        stockQuantity: body.stock_quantity ?? 0,
        categoryId: body.category_id,
        brand: body.brand ?? null,
        weight: body.weight == null ? null : String(body.weight),
        dimensions: body.dimensions ?? null,
        isFeatured: body.is_featured ?? false
      }, body.name, body.slug)
    }).catch((err) => { throw translate(err, body.sku, body.slug) })
    const written = await detail(id)
    // The slug may have been cached as "not found" before this product existed.
    await deps.afterWrite({ id, categoryIds: [body.category_id], slugs: [slug], textChanged: true })
    return written
  }

  function changes (body: UpdateProductBody): Partial<Insert> {
    const set: Partial<Insert> = {}
    if (body.name !== undefined) set.name = body.name
    if (body.slug !== undefined) set.slug = body.slug
    if (body.description !== undefined) set.description = body.description
    if (body.short_description !== undefined) set.shortDescription = body.short_description
    if (body.sku !== undefined) set.sku = body.sku
    if (body.price !== undefined) set.price = moneyText('price', body.price)
    if (body.sale_price !== undefined) set.salePrice = body.sale_price === null ? null : moneyText('sale_price', body.sale_price)
    if (body.stock_quantity !== undefined) set.stockQuantity = body.stock_quantity
    if (body.category_id !== undefined) set.categoryId = body.category_id
    if (body.brand !== undefined) set.brand = body.brand
    if (body.weight !== undefined) set.weight = body.weight === null ? null : String(body.weight)
    if (body.dimensions !== undefined) set.dimensions = body.dimensions
    if (body.is_featured !== undefined) set.isFeatured = body.is_featured
    if (body.is_active !== undefined) set.isActive = body.is_active
    return set
  }

  async function update (actor: AuthUser, id: number, body: UpdateProductBody): Promise<WrittenProduct> {
    if (body.is_featured !== undefined && actor.role !== 'admin') throw new CatalogErrors.FEATURED_FORBIDDEN()
    const set = changes(body)
    const before = await db.transaction(async (tx) => {
      const row = await repo.lockForWrite(id, tx)
      if (!row) throw new CatalogErrors.PRODUCT_NOT_FOUND(String(id))
      if (actor.role !== 'admin' && row.sellerId !== actor.id) throw new CatalogErrors.PRODUCT_FORBIDDEN(id)
      checkSalePrice(set.price ?? row.price, set.salePrice !== undefined ? set.salePrice : row.salePrice)
      if (set.categoryId !== undefined && set.categoryId !== row.categoryId && !await repo.activeCategoryExists(set.categoryId, tx)) {
        throw new CatalogErrors.INVALID_CATEGORY(set.categoryId)
      }
      await repo.updateProduct(id, set, tx)
      return row
    }).catch((err) => { throw translate(err, body.sku, body.slug) })
    const written = await detail(id)
    await deps.afterWrite({
      id,
      categoryIds: [before.categoryId, set.categoryId ?? before.categoryId],
      slugs: [before.slug, set.slug ?? before.slug],
      textChanged: set.name !== undefined || set.brand !== undefined || set.isActive !== undefined
    })
    return written
  }

  /** Soft delete (is_active = false): orders and reviews keep their product. */
  async function remove (actor: AuthUser, id: number): Promise<void> {
    const before = await db.transaction(async (tx) => {
      const row = await repo.lockForWrite(id, tx)
      if (!row || !row.isActive) throw new CatalogErrors.PRODUCT_NOT_FOUND(String(id))
      if (actor.role !== 'admin' && row.sellerId !== actor.id) throw new CatalogErrors.PRODUCT_FORBIDDEN(id)
      await repo.updateProduct(id, { isActive: false }, tx)
      return row
    })
    await deps.afterWrite({ id, categoryIds: [before.categoryId], slugs: [before.slug], textChanged: true })
  }

  return { create, update, remove }
}
