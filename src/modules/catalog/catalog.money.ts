import { CatalogErrors } from './catalog.errors.js'

const MONEY_TEXT = /^(\d{1,8})(?:\.(\d{1,2}))?$/

/**
 * A JSON number from a request as the decimal string PostgreSQL `numeric`
 * receives. `String(n)` of a number parsed from JSON is its shortest exact
 * decimal form, so 19.99 stays "19.99"; anything with more than two decimals
 * (or an exponent) is refused rather than rounded.
 */
export function moneyText (field: string, value: number): string {
  const text = String(value)
  if (!MONEY_TEXT.test(text)) throw new CatalogErrors.INVALID_MONEY(field, text)
  return text
}

/** Whole cents of a decimal string, for exact comparisons (never floats). */
export function cents (text: string): bigint {
  const [int, frac = ''] = text.split('.')
  return BigInt(int) * 100n + BigInt(frac.padEnd(2, '0').slice(0, 2))
}
