import { COMPUTING_KINDS } from './kinds-computing.js'
import { HOME_KINDS } from './kinds-home.js'
import { MEDIA_KINDS } from './kinds-media.js'
import { MOBILE_KINDS } from './kinds-mobile.js'
import { PLAY_KINDS } from './kinds-play.js'
import { SPORTS_KINDS } from './kinds-sports.js'
import type { KindSpec } from './kind-spec.js'

export interface ProductKind {
  key: string
  brands: { name: string, lines: string[] }[]
  nouns: string[]
  variants: string[][]
  tiered: boolean
  price: [number, number]
  weight: [number, number]
  size: [number, number, number]
  features: string[]
  uses: string[]
}

const list = (text: string): string[] => text.split(', ').map((s) => s.trim())

function parseKind (key: string, spec: KindSpec): ProductKind {
  const brands = spec.brands.split(' | ').map((entry) => {
    const at = entry.indexOf(': ')
    if (at < 0) throw new Error(`kind ${key}: brand entry '${entry}' has no ': '`)
    return { name: entry.slice(0, at).trim(), lines: list(entry.slice(at + 2)) }
  })
  return {
    key,
    brands,
    nouns: list(spec.nouns),
    variants: spec.variants.map(list),
    tiered: spec.tiered ?? false,
    price: spec.price,
    weight: spec.weight,
    size: spec.size,
    features: list(spec.features),
    uses: list(spec.uses)
  }
}

const SPECS: Record<string, KindSpec> = { ...COMPUTING_KINDS, ...MOBILE_KINDS, ...MEDIA_KINDS, ...PLAY_KINDS, ...HOME_KINDS, ...SPORTS_KINDS }

/** Every product kind by key, parsed once. */
export const PRODUCT_KINDS: ReadonlyMap<string, ProductKind> = new Map(
  Object.entries(SPECS).map(([key, spec]) => [key, parseKind(key, spec)])
)

/** The kinds in a stable order, so a product can store its kind as a small index. */
export const KIND_LIST: readonly ProductKind[] = [...PRODUCT_KINDS.values()]

export function kindIndex (key: string): number {
  const i = KIND_LIST.findIndex((k) => k.key === key)
  if (i < 0) throw new Error(`unknown product kind '${key}'`)
  return i
}
