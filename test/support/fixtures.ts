import type { FastifyInstance } from 'fastify'
import type { UserRole } from '../../src/plugins/auth.js'
import { hashPassword } from '../../src/lib/auth/password.js'

let counter = 0
const next = () => `${process.pid}-${++counter}`

// Hashing is slow on purpose; tests share one hash of this password.
export const FIXTURE_PASSWORD = 'fixture-password-1'
let passwordHash: Promise<string> | undefined

export interface FixtureUser { id: number, email: string, username: string, role: UserRole, token: string }

/** Inserts a user directly and returns it with a signed access token. */
export async function createUser (app: FastifyInstance, opts: { role?: UserRole, isActive?: boolean, email?: string } = {}): Promise<FixtureUser> {
  passwordHash ??= hashPassword(FIXTURE_PASSWORD)
  const n = next()
  const role = opts.role ?? 'customer'
  const email = opts.email ?? `${role}-${n}@test.local`
  const username = `${role}_${n}`.replaceAll('-', '_')
  const [row] = await app.db.sql<{ id: number }[]>`
    INSERT INTO users (username, email, password_hash, first_name, last_name, user_type, is_active)
    VALUES (${username}, ${email}, ${await passwordHash}, 'Test', 'User', ${role}, ${opts.isActive ?? true})
    RETURNING id`
  return { id: row.id, email, username, role, token: app.signAccessToken({ id: row.id, role }) }
}

/** Inserts a category (optionally under `parentId`). */
export async function createCategory (app: FastifyInstance, opts: { name?: string, parentId?: number } = {}): Promise<{ id: number, name: string, slug: string }> {
  const n = next()
  const name = opts.name ?? `Category ${n}`
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-')
  const [row] = await app.db.sql<{ id: number }[]>`
    INSERT INTO categories (name, slug, parent_id) VALUES (${name}, ${slug}, ${opts.parentId ?? null}) RETURNING id`
  return { id: row.id, name, slug }
}

export interface ProductFixture {
  sellerId: number
  categoryId: number
  name?: string
  brand?: string
  description?: string
  price?: string
  salePrice?: string | null
  stock?: number
  isActive?: boolean
  isFeatured?: boolean
}

/** Inserts a product; money values are decimal strings, as in the database. */
export async function createProduct (app: FastifyInstance, p: ProductFixture): Promise<{ id: number, slug: string, name: string }> {
  const n = next()
  const name = p.name ?? `Product ${n}`
  const slug = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${n}`
  const [row] = await app.db.sql<{ id: number }[]>`
    INSERT INTO products (seller_id, name, slug, description, short_description, sku, price, sale_price, stock_quantity, category_id, brand, is_active, is_featured)
    VALUES (${p.sellerId}, ${name}, ${slug}, ${p.description ?? `Description of ${name}`}, ${`Short ${name}`}, ${`SKU-${n}`},
            ${p.price ?? '19.99'}, ${p.salePrice ?? null}, ${p.stock ?? 100}, ${p.categoryId}, ${p.brand ?? 'Acme'},
            ${p.isActive ?? true}, ${p.isFeatured ?? false})
    RETURNING id`
  return { id: row.id, slug, name }
}
