import type { FastifyInstance } from 'fastify'
import { createCategory, createProduct, createUser, type FixtureUser, type ProductFixture } from './fixtures.js'
import { CatalogTags } from '../../src/modules/catalog/catalog.keys.js'
import { createCatalogService, type CatalogService } from '../../src/modules/catalog/catalog.service.js'

/**
 * Catalog tests switch off rate limiting and load shedding: they send many
 * requests from one address on a busy shared machine, and a 429/503 from
 * traffic control would hide what is under test.
 */
export const NO_TRAFFIC_CONTROL = { rateLimitEnabled: false, loadSheddingEnabled: false } as const

/** A small catalog with known names, prices, stock and a category tree, shared by the catalog tests. */
export interface CatalogWorld {
  admin: FixtureUser
  seller: FixtureUser
  otherSeller: FixtureUser
  customer: FixtureUser
  cat: { electronics: number, computers: number, laptops: number, phones: number, home: number, kitchen: number }
  p: Record<'acmeLaptop' | 'laptop' | 'sleeve' | 'galaxy' | 'blender' | 'gamingLaptop' | 'mouse', number>
  /** A service over the same app, for what no route exposes (vocabulary refresh, invalidation from other modules). */
  service: CatalogService
}

export async function buildCatalogWorld (app: FastifyInstance): Promise<CatalogWorld> {
  const [admin, seller, otherSeller, customer] = await Promise.all([
    createUser(app, { role: 'admin' }), createUser(app, { role: 'seller' }), createUser(app, { role: 'seller' }), createUser(app)
  ])
  const electronics = (await createCategory(app, { name: 'Electronics' })).id
  const computers = (await createCategory(app, { name: 'Computers', parentId: electronics })).id
  const laptops = (await createCategory(app, { name: 'Laptops', parentId: computers })).id
  const phones = (await createCategory(app, { name: 'Phones', parentId: electronics })).id
  const home = (await createCategory(app, { name: 'Home' })).id
  const kitchen = (await createCategory(app, { name: 'Kitchen', parentId: home })).id

  const make = async (p: Omit<ProductFixture, 'sellerId'> & { rating?: string }) => {
    const { id } = await createProduct(app, { sellerId: seller.id, ...p })
    if (p.rating) await app.db.sql`UPDATE products SET rating_avg = ${p.rating}, rating_count = 10 WHERE id = ${id}`
    return id
  }
  // Inserted one by one so created_at increases in this order.
  const p = {
    acmeLaptop: await make({ name: 'Acme Laptop Pro 15', brand: 'Acme', categoryId: laptops, price: '1200.00', salePrice: '999.99', stock: 5, isFeatured: true, rating: '4.50' }),
    laptop: await make({ name: 'Laptop', brand: 'Nimbus', categoryId: laptops, price: '500.00', stock: 7, rating: '3.90' }),
    sleeve: await make({ name: 'Neoprene Laptop Sleeve', brand: 'Zenith', categoryId: computers, price: '29.99', stock: 0, rating: '4.10' }),
    galaxy: await make({ name: 'Samsung Galaxy Phone', brand: 'Samsung', categoryId: phones, price: '799.00', stock: 10, rating: '4.80' }),
    blender: await make({ name: 'Kitchen Blender', brand: 'Vortex', categoryId: kitchen, price: '89.50', stock: 3, isFeatured: true, rating: '4.00' }),
    gamingLaptop: await make({ name: 'Gaming Laptop Ultra', brand: 'Razer', categoryId: laptops, price: '2500.00', stock: 2, rating: '4.70' }),
    mouse: await make({ name: 'Wireless Mouse', brand: 'Logitech', categoryId: computers, price: '25.00', stock: 50, description: 'Pairs with any laptop or desktop', rating: '4.20' })
  }
  // The rows went in through SQL, not the catalog's write path: say so, as any outside writer's
  // notification would, so caches and the suggestion index do not answer from before them.
  await app.cache.invalidate([CatalogTags.scope('all', 'base')])
  const service = createCatalogService({
    db: { db: app.db.db, sql: app.db.sql, readSql: app.db.readSql },
    cache: app.cache,
    log: app.log,
    wordsRefreshS: 0,
    searchTextIndex: app.config.searchTextIndex,
    searchMatchIndex: app.config.searchMatchIndex
  })
  return { admin, seller, otherSeller, customer, cat: { electronics, computers, laptops, phones, home, kitchen }, p, service }
}

export const auth = (user: FixtureUser) => ({ authorization: `Bearer ${user.token}` })
