import type { FastifyInstance } from 'fastify'
import { setTimeout as sleep } from 'node:timers/promises'
import { createCustomers, createShop, createShopProduct, type Shop } from '../commerce-fixtures.js'

/** A small shop for the fault tests: products with plenty of stock, customers with tokens, words to search. */
export interface FaultWorld {
  shop: Shop
  productIds: number[]
  customers: { id: number, token: string }[]
  words: string[]
}

const WORDS = ['laptop', 'monitor', 'keyboard', 'speaker', 'camera']

export async function buildFaultWorld (app: FastifyInstance, opts: { products: number, customers: number }): Promise<FaultWorld> {
  const shop = await createShop(app)
  const productIds: number[] = []
  for (let i = 0; i < opts.products; i++) {
    const word = WORDS[i % WORDS.length]
    const p = await createShopProduct(app, shop, { name: `Fault ${word} ${i}`, stock: 1_000_000 })
    productIds.push(p.id)
  }
  const customers = await createCustomers(app, opts.customers, `faults${process.pid}`)
  return { shop, productIds, customers, words: WORDS }
}

/** Polls `check` every `everyMs` until it is true; returns the time it took, or throws after `timeoutMs`. */
export async function timeUntil (check: () => Promise<boolean>, what: string, timeoutMs: number, everyMs = 50): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < timeoutMs) {
    if (await check().catch(() => false)) return performance.now() - started
    await sleep(everyMs)
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`)
}

/** Runs `fn` and returns its result with how long it took; rejects when it takes longer than `limitMs` (a hang). */
export async function timed<T> (fn: () => Promise<T>, limitMs: number, what: string): Promise<{ value: T, ms: number }> {
  const started = performance.now()
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${limitMs} ms`)), limitMs)
  })
  try {
    const value = await Promise.race([fn(), hang])
    return { value, ms: performance.now() - started }
  } finally {
    clearTimeout(timer)
  }
}
