import createError from '@fastify/error'

/** Errors of the catalog module; every code is documented in docs/errors.md. */
export const CatalogErrors = {
  PRODUCT_NOT_FOUND: createError<'CATALOG_PRODUCT_NOT_FOUND', 404, [string]>('CATALOG_PRODUCT_NOT_FOUND', "Product '%s' not found", 404),
  CATEGORY_NOT_FOUND: createError<'CATALOG_CATEGORY_NOT_FOUND', 404, [number]>('CATALOG_CATEGORY_NOT_FOUND', "Category '%s' not found", 404),
  /** A seller tried to change a product of another seller (products are public, so 403 hides nothing). */
  PRODUCT_FORBIDDEN: createError<'CATALOG_PRODUCT_FORBIDDEN', 403, [number]>('CATALOG_PRODUCT_FORBIDDEN', "Product '%s' belongs to another seller", 403),
  SELLER_ASSIGNMENT_FORBIDDEN: createError<'CATALOG_SELLER_ASSIGNMENT_FORBIDDEN', 403>(
    'CATALOG_SELLER_ASSIGNMENT_FORBIDDEN', 'Only an admin may set seller_id to another user', 403),
  /** Featuring is the shop's editorial choice: a seller sending is_featured, even on its own product. */
  FEATURED_FORBIDDEN: createError<'CATALOG_FEATURED_FORBIDDEN', 403>(
    'CATALOG_FEATURED_FORBIDDEN', 'Only an admin may set is_featured', 403),
  INVALID_CATEGORY: createError<'CATALOG_INVALID_CATEGORY', 422, [number]>('CATALOG_INVALID_CATEGORY', "Category '%s' does not exist or is inactive", 422),
  INVALID_SELLER: createError<'CATALOG_INVALID_SELLER', 422, [number]>('CATALOG_INVALID_SELLER', "User '%s' is not an active seller or admin", 422),
  INVALID_SALE_PRICE: createError<'CATALOG_INVALID_SALE_PRICE', 422, [string, string]>(
    'CATALOG_INVALID_SALE_PRICE', 'sale_price (%s) must not exceed price (%s)', 422),
  INVALID_MONEY: createError<'CATALOG_INVALID_MONEY', 400, [string, string]>('CATALOG_INVALID_MONEY', '%s must have at most two decimals, got %s', 400),
  INVALID_PRICE_RANGE: createError<'CATALOG_INVALID_PRICE_RANGE', 400, [string, string]>(
    'CATALOG_INVALID_PRICE_RANGE', 'min_price %s is greater than max_price %s', 400),
  INVALID_CURSOR: createError<'CATALOG_INVALID_CURSOR', 400, [string]>('CATALOG_INVALID_CURSOR', 'Invalid cursor: %s', 400),
  PAGE_TOO_DEEP: createError<'CATALOG_PAGE_TOO_DEEP', 400, [number]>(
    'CATALOG_PAGE_TOO_DEEP', 'Offset paging stops at %s rows; continue with next_cursor', 400),
  DUPLICATE_SKU: createError<'CATALOG_DUPLICATE_SKU', 409, [string]>('CATALOG_DUPLICATE_SKU', "A product with SKU '%s' already exists", 409),
  DUPLICATE_SLUG: createError<'CATALOG_DUPLICATE_SLUG', 409, [string]>('CATALOG_DUPLICATE_SLUG', "A product with slug '%s' already exists", 409)
}
