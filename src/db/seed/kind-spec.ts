/** A product vocabulary as written in the kinds-*.ts files (compact strings). */
export interface KindSpec {
  /** 'Brand: Line, Line | Brand: Line' — the product lines each brand sells. */
  brands: string
  /** Comma list of product-type words after the line; an empty item means none. */
  nouns: string
  /** Comma lists of options appended to the name, in order. */
  variants: string[]
  /** The first variant list is ordered by price (storage, size): later options cost more. */
  tiered?: boolean
  /** Typical price range in whole dollars. */
  price: [number, number]
  /** Weight range in kilograms. */
  weight: [number, number]
  /** Typical dimensions in centimetres (length, width, height). */
  size: [number, number, number]
  /** Comma list of feature phrases (descriptions, reviews, search). */
  features: string
  /** Comma list of use cases (descriptions). */
  uses: string
}
