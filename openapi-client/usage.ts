/**
 * A typed client of the API, type-checked (never run) by `npm run lint:openapi` against the
 * types openapi-typescript generates from `/openapi.json` into a temporary `techmart-openapi`
 * module. A route whose schema changes a path, a parameter or a response shape used here
 * breaks this file, as it would break any generated client.
 */
import createClient from 'openapi-fetch'
import type { operations, paths } from 'techmart-openapi'

/** Compile-time assertions: `Expect<Equal<A, B>>` fails unless A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
type Expect<T extends true> = T

type Json<Op extends keyof operations, Status extends keyof operations[Op]['responses']> =
  operations[Op]['responses'][Status] extends { content: { 'application/json': infer Body } } ? Body : never

type Product = Json<'getProduct', 200>
type Cart = Json<'getCart', 200>
type Order = Json<'placeOrder', 201>
type ErrorBody = Json<'getProduct', 404>

export type Assertions = [
  Expect<Equal<Product['price'], number>>,
  Expect<Equal<Product['sale_price'], number | null>>,
  Expect<Equal<Product['category'], { id: number, name: string, slug: string }>>,
  Expect<Equal<Cart['items'][number]['quantity'], number>>,
  Expect<Equal<Order['status'], 'pending' | 'processing' | 'shipped' | 'delivered' | 'cancelled'>>,
  Expect<Equal<ErrorBody['code'], string>>,
  Expect<Equal<Json<'login', 200>['token_type'], 'bearer'>>,
  Expect<Equal<NonNullable<operations['listProducts']['parameters']['query']>['sort_by'], 'relevance' | 'price' | 'created_at' | 'name' | 'rating' | undefined>>,
  Expect<Equal<operations['getOrder']['parameters']['path'], { id: number }>>
]

/** What a storefront does with the client: every call below is checked against the document. */
export async function checkout (baseUrl: string, email: string, password: string): Promise<string> {
  const api = createClient<paths>({ baseUrl })
  const login = await api.POST('/api/v1/auth/login', { body: { email, password } })
  if (login.data === undefined) throw new Error(login.error.message)
  const headers = { authorization: `Bearer ${login.data.access_token}` }

  const found = await api.GET('/api/v1/products/search', { params: { query: { q: 'usb-c cable', in_stock: true, sort_by: 'price', page_size: 5 } } })
  const product = found.data?.products[0]
  if (product === undefined) throw new Error('nothing found')

  await api.POST('/api/v1/cart/add', { headers, body: { product_id: product.id, quantity: 2 } })
  const cart = await api.GET('/api/v1/cart', { headers })
  const total: number | undefined = cart.data?.total

  const order = await api.POST('/api/v1/orders', {
    headers,
    params: { header: { 'idempotency-key': 'checkout-1' } },
    body: { shipping_address: '1 Main St', billing_address: '1 Main St', payment_method: 'card' }
  })
  if (order.error !== undefined) throw new Error(`${order.error.code}: ${order.error.message}`)
  return `${order.data.order_number} ${order.data.total_amount} (cart ${total ?? 0})`
}

export async function mistakes (baseUrl: string): Promise<void> {
  const api = createClient<paths>({ baseUrl })
  // @ts-expect-error the trailing-slash form is not in the document (it answers a 308 to /api/v1/cart)
  await api.GET('/api/v1/cart/')
  // @ts-expect-error quantity is an integer
  await api.POST('/api/v1/cart/add', { body: { product_id: 1, quantity: 'two' } })
  // @ts-expect-error a product id is required in the path
  await api.GET('/api/v1/products/{id}', { params: { path: {} } })
}
