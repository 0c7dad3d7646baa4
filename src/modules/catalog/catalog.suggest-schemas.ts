import { Type, type Static } from 'typebox'

export const DEFAULT_SUGGEST_LIMIT = 8
export const MAX_SUGGEST_LIMIT = 20
export const MAX_SUGGEST_QUERY = 100

/** GET /products/suggest: the text typed so far, and how many suggestions to return. */
export const SuggestQuerySchema = Type.Object({
  q: Type.String({
    minLength: 1,
    maxLength: MAX_SUGGEST_QUERY,
    // Control characters (NUL included) are refused: no name holds one, and NUL cannot reach PostgreSQL or the logs safely.
    pattern: '^[^\\x00-\\x1f\\x7f]*$',
    description: 'The text typed so far: every word is matched as the prefix of a word of the name'
  }),
  limit: Type.Integer({ minimum: 1, maximum: MAX_SUGGEST_LIMIT, default: DEFAULT_SUGGEST_LIMIT, description: 'Suggestions to return at most' })
}, { additionalProperties: false })
export type SuggestQuery = Static<typeof SuggestQuerySchema>

/**
 * One suggestion. A single object shape with optional fields rather than a
 * union of three: the serializer then needs no per-item schema matching.
 */
export const SuggestionSchema = Type.Object({
  type: Type.Union([Type.Literal('product'), Type.Literal('brand'), Type.Literal('category')]),
  text: Type.String({ description: 'The product name, brand or category name, as stored' }),
  id: Type.Optional(Type.Integer({ description: 'Product or category id (not for brands)' })),
  slug: Type.Optional(Type.String({ description: 'Product or category slug (not for brands)' })),
  product_count: Type.Optional(Type.Integer({ description: 'Active products of the brand, or of the category and its subcategories' }))
})
export type Suggestion = Static<typeof SuggestionSchema>

export const SuggestResponseSchema = Type.Object({
  query: Type.String(),
  ready: Type.Boolean({ description: 'False until this instance has loaded its suggestion index (seconds after start): then suggestions is empty' }),
  suggestions: Type.Array(SuggestionSchema, {
    description: 'Brands and categories first (up to one per four requested suggestions, at most two each), then products ' +
      '(most rated first, one per distinct name), then more brands and categories if products run out'
  })
})
export type SuggestResponse = Static<typeof SuggestResponseSchema>
