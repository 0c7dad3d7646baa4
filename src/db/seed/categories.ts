import type { CopyValue } from './copy.js'

/**
 * A node of the demo shop's taxonomy. `kind` names the product vocabulary
 * (see catalog-kinds.ts) for products placed here; `lastVariant` replaces the
 * kind's last variant list (a "PlayStation Games" node sells PS5/PS4 editions
 * only); `weight` makes busy categories hold more products.
 */
interface TaxonomyNode {
  name: string
  kind: string
  weight?: number
  lastVariant?: string
  children?: TaxonomyNode[]
}

function node (name: string, kind: string, extra: Omit<TaxonomyNode, 'name' | 'kind'> = {}): TaxonomyNode {
  return { name, kind, ...extra }
}

function root (name: string, children: TaxonomyNode[]): TaxonomyNode {
  return { name, kind: '', children }
}

const TAXONOMY: TaxonomyNode[] = [
  root('Electronics', [
    node('Power Banks', 'powerbank'),
    node('Chargers & Adapters', 'charger', { children: [node('USB-C Chargers', 'charger'), node('Wireless Chargers', 'wireless_charger'), node('Charging Cables', 'cable')] }),
    node('Wearables', 'smartwatch', { weight: 1.5, children: [node('Smartwatches', 'smartwatch', { weight: 1.5 }), node('Fitness Trackers', 'fitness_tracker')] }),
    node('E-Readers', 'ereader'),
    node('Drones', 'drone'),
    node('Portable Power Stations', 'power_station'),
    node('Batteries', 'battery')
  ]),
  root('Computers & Tablets', [
    node('Laptops', 'laptop', { weight: 2, children: [node('Gaming Laptops', 'gaming_laptop', { weight: 1.5 }), node('Ultrabooks', 'laptop', { weight: 1.5 }), node('Chromebooks', 'chromebook'), node('2-in-1 Laptops', 'laptop')] }),
    node('Desktop Computers', 'desktop', { children: [node('Gaming Desktops', 'desktop'), node('All-in-One Computers', 'aio'), node('Mini PCs', 'mini_pc')] }),
    node('Tablets', 'tablet', { weight: 1.5, children: [node('Android Tablets', 'tablet'), node('Drawing Tablets', 'drawing_tablet')] }),
    node('Monitors', 'monitor', { weight: 1.5, children: [node('Gaming Monitors', 'monitor'), node('4K Monitors', 'monitor'), node('Portable Monitors', 'portable_monitor')] }),
    node('PC Components', 'gpu', {
      children: [node('Graphics Cards', 'gpu'), node('Processors', 'cpu'), node('Memory', 'ram'), node('Motherboards', 'motherboard'), node('Power Supplies', 'psu'), node('PC Cases', 'pc_case')]
    }),
    node('Storage', 'ssd', { children: [node('Internal SSDs', 'ssd'), node('External Hard Drives', 'external_drive'), node('USB Flash Drives', 'flash_drive'), node('Memory Cards', 'memory_card')] }),
    node('Keyboards', 'keyboard'),
    node('Mice', 'mouse'),
    node('Networking', 'router', { children: [node('Wi-Fi Routers', 'router'), node('Mesh Wi-Fi Systems', 'mesh'), node('Network Switches', 'network_switch')] }),
    node('Printers & Scanners', 'printer'),
    node('Webcams', 'webcam')
  ]),
  root('Phones & Accessories', [
    node('Smartphones', 'phone', { weight: 3, children: [node('Unlocked Phones', 'phone', { weight: 2 }), node('Foldable Phones', 'foldable'), node('Refurbished Phones', 'phone')] }),
    node('Phone Cases', 'phone_case', { weight: 2 }),
    node('Screen Protectors', 'screen_protector'),
    node('Car Mounts & Holders', 'phone_mount'),
    node('Selfie Sticks & Stabilizers', 'phone_gimbal'),
    node('Basic Phones', 'basic_phone')
  ]),
  root('TV & Home Theater', [
    node('Televisions', 'tv', { weight: 2, children: [node('OLED TVs', 'tv_oled'), node('QLED TVs', 'tv'), node('LED TVs', 'tv')] }),
    node('Soundbars', 'soundbar'),
    node('AV Receivers', 'av_receiver'),
    node('Streaming Media Players', 'streaming'),
    node('Home Cinema Projectors', 'projector'),
    node('TV Mounts', 'tv_mount'),
    node('Blu-ray Players', 'bluray')
  ]),
  root('Audio', [
    node('Headphones', 'headphones', { weight: 2, children: [node('Over-Ear Headphones', 'headphones', { weight: 1.5 }), node('Wireless Earbuds', 'earbuds', { weight: 2 }), node('Sports Headphones', 'earbuds')] }),
    node('Bluetooth Speakers', 'speaker', { weight: 1.5 }),
    node('Turntables', 'turntable'),
    node('Microphones', 'microphone'),
    node('Hi-Fi Speakers', 'hifi_speaker'),
    node('Amplifiers & DACs', 'amplifier')
  ]),
  root('Cameras', [
    node('Mirrorless Cameras', 'camera'),
    node('DSLR Cameras', 'dslr'),
    node('Action Cameras', 'action_cam'),
    node('Camera Lenses', 'lens', { children: [node('Prime Lenses', 'lens', { lastVariant: 'for Sony E, for Canon RF, for Nikon Z, for Fujifilm X' }), node('Zoom Lenses', 'zoom_lens')] }),
    node('Tripods & Gimbals', 'tripod'),
    node('Instant Cameras', 'instant_camera'),
    node('Camera Bags', 'camera_bag')
  ]),
  root('Gaming', [
    node('Consoles', 'console'),
    node('Video Games', 'video_game', {
      weight: 2,
      children: [
        node('PlayStation Games', 'video_game', { lastVariant: 'PS5, PS4' }),
        node('Xbox Games', 'video_game', { lastVariant: 'Xbox Series X, Xbox One' }),
        node('Nintendo Switch Games', 'switch_game'),
        node('PC Games', 'video_game', { lastVariant: 'PC Digital Code, PC' })
      ]
    }),
    node('Controllers', 'controller'),
    node('Gaming Headsets', 'headset'),
    node('Gaming Chairs', 'gaming_chair'),
    node('VR Headsets', 'vr'),
    node('Gaming Keyboards & Mice', 'gaming_peripheral')
  ]),
  root('Smart Home', [
    node('Smart Speakers & Displays', 'smart_speaker'),
    node('Smart Lighting', 'smart_bulb'),
    node('Smart Plugs', 'smart_plug'),
    node('Home Security Cameras', 'security_cam'),
    node('Video Doorbells', 'doorbell'),
    node('Smart Thermostats', 'thermostat'),
    node('Robot Vacuums', 'robot_vacuum'),
    node('Smart Locks', 'smart_lock')
  ]),
  root('Home & Kitchen', [
    node('Coffee Machines', 'coffee', { children: [node('Espresso Machines', 'espresso'), node('Drip Coffee Makers', 'coffee'), node('Coffee Grinders', 'grinder')] }),
    node('Blenders', 'blender'),
    node('Air Fryers', 'air_fryer'),
    node('Microwave Ovens', 'microwave'),
    node('Vacuum Cleaners', 'vacuum', { children: [node('Cordless Vacuums', 'vacuum'), node('Upright Vacuums', 'upright_vacuum')] }),
    node('Air Purifiers', 'air_purifier'),
    node('Cookware', 'cookware'),
    node('Electric Kettles', 'kettle')
  ]),
  root('Sports & Outdoors', [
    node('Fitness Equipment', 'dumbbell', { children: [node('Treadmills', 'treadmill'), node('Exercise Bikes', 'exercise_bike'), node('Dumbbells & Weights', 'dumbbell')] }),
    node('Bikes', 'bike', { children: [node('Mountain Bikes', 'bike'), node('Road Bikes', 'road_bike'), node('Electric Bikes', 'ebike')] }),
    node('Camping Gear', 'tent', { children: [node('Tents', 'tent'), node('Sleeping Bags', 'sleeping_bag')] }),
    node('GPS & Bike Computers', 'gps'),
    node('Electric Scooters', 'scooter'),
    node('Hiking Backpacks', 'backpack'),
    node('Yoga Mats', 'yoga_mat')
  ])
]

function countNodes (nodes: TaxonomyNode[]): number {
  return nodes.reduce((n, c) => n + 1 + countNodes(c.children ?? []), 0)
}

/** How many categories the taxonomy can provide (the upper bound of `--categories`). */
export const TAXONOMY_SIZE = countNodes(TAXONOMY)

/** A selected category with its id, tree position and product-placement data. */
export interface SeedCategory {
  id: number
  name: string
  slug: string
  parentId: number | null
  depth: number
  sortOrder: number
  kind: string
  lastVariant?: string
  /** Relative share of products placed directly in this category (0 for roots). */
  productWeight: number
  childNames: string[]
}

export function slugify (text: string): string {
  return text.toLowerCase().replace(/&/g, ' ').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
}

interface Picked { node: TaxonomyNode, parent: Picked | null, depth: number, sortOrder: number }

// Adds up to `budget` children of `parents`, one per parent per round, so the
// tree stays balanced (every root gets subcategories before any gets a third).
function roundRobin (parents: Picked[], budget: number, depth: number): Picked[] {
  const out: Picked[] = []
  for (let round = 0; out.length < budget; round++) {
    let added = false
    for (const parent of parents) {
      const child = parent.node.children?.[round]
      if (!child || out.length >= budget) continue
      out.push({ node: child, parent, depth, sortOrder: round })
      added = true
    }
    if (!added) break
  }
  return out
}

/**
 * Chooses `count` categories (2..TAXONOMY_SIZE): about one root per four
 * categories (at most all ten), then second-level nodes round-robin over the
 * roots, then third-level ones. Ids follow that order, so parents come first.
 * Products go to leaves, and at a lower weight to non-root parents.
 */
export function selectCategories (count: number): SeedCategory[] {
  const roots: Picked[] = TAXONOMY.slice(0, Math.min(TAXONOMY.length, Math.max(1, Math.floor(count / 4))))
    .map((n, i) => ({ node: n, parent: null, depth: 1, sortOrder: i }))
  const second = roundRobin(roots, count - roots.length, 2)
  const third = roundRobin(second, count - roots.length - second.length, 3)
  const picked = [...roots, ...second, ...third]
  const ids = new Map(picked.map((p, i) => [p, i + 1]))
  return picked.map((p, i) => {
    const children = picked.filter((c) => c.parent === p)
    const weight = p.node.weight ?? 1
    return {
      id: i + 1,
      name: p.node.name,
      slug: slugify(p.node.name),
      parentId: p.parent ? ids.get(p.parent) ?? null : null,
      depth: p.depth,
      sortOrder: p.sortOrder,
      kind: p.node.kind,
      lastVariant: p.node.lastVariant,
      productWeight: p.depth === 1 ? 0 : children.length > 0 ? weight * 0.25 : weight,
      childNames: children.map((c) => c.node.name)
    }
  })
}

/** Category rows for COPY: id, name, slug, description, parent_id, is_active, sort_order. */
export function * categoryRows (categories: readonly SeedCategory[]): Generator<CopyValue[]> {
  for (const c of categories) {
    const description = c.childNames.length > 0
      ? `${c.name}: ${c.childNames.join(', ')} and more, from the brands you trust.`
      : `Shop ${c.name.toLowerCase()} from leading brands, with fast delivery and easy returns.`
    yield [c.id, c.name, c.slug, description, c.parentId, true, c.sortOrder]
  }
}

export const CATEGORY_COLUMNS = ['id', 'name', 'slug', 'description', 'parent_id', 'is_active', 'sort_order'] as const
