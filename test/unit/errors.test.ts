import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { AppErrors } from '../../src/errors.js'
import { AuthErrors } from '../../src/plugins/auth.js'
import { RateLimitErrors } from '../../src/plugins/rate-limit.js'
import { LoadSheddingErrors } from '../../src/plugins/load-shedding.js'

// After Fastify's test/internals/errors.test.js: every error code is unique,
// SCREAMING_SNAKE with a module prefix, and documented in docs/errors.md.

async function findErrorModules (dir: string): Promise<string[]> {
  const out: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) out.push(...await findErrorModules(path))
    else if (entry.name.endsWith('.errors.ts')) out.push(path)
  }
  return out
}

type ErrorCtor = { new (...args: never[]): { code: string, statusCode?: number } }

async function allErrorConstructors (): Promise<Map<string, ErrorCtor>> {
  const registries: Record<string, Record<string, unknown>> = { AppErrors, AuthErrors, RateLimitErrors, LoadSheddingErrors }
  for (const file of await findErrorModules('src')) {
    const mod = await import(join(process.cwd(), file)) as Record<string, unknown>
    for (const [name, value] of Object.entries(mod)) {
      if (value && typeof value === 'object') registries[`${file}:${name}`] = value as Record<string, unknown>
    }
  }
  const ctors = new Map<string, ErrorCtor>()
  for (const [registry, members] of Object.entries(registries)) {
    for (const [key, ctor] of Object.entries(members)) {
      if (typeof ctor === 'function') ctors.set(`${registry}.${key}`, ctor as ErrorCtor)
    }
  }
  return ctors
}

test('every error code is unique, SCREAMING_SNAKE with a module prefix, and carries a 4xx/5xx status', async () => {
  const ctors = await allErrorConstructors()
  assert.ok(ctors.size >= 40, `found only ${ctors.size} error constructors`)
  const seen = new Map<string, string>()
  for (const [name, Ctor] of ctors) {
    const err = new (Ctor as unknown as new () => { code: string, statusCode?: number })()
    assert.match(err.code, /^[A-Z]+(_[A-Z0-9]+)+$/, `${name}: ${err.code}`)
    assert.ok(err.statusCode && err.statusCode >= 400 && err.statusCode < 600, `${name} has status ${err.statusCode}`)
    const other = seen.get(err.code)
    assert.ok(!other || other === name, `${err.code} is defined twice: ${other} and ${name}`)
    seen.set(err.code, name)
  }
})

test('every error code is documented in docs/errors.md', async () => {
  const doc = await readFile('docs/errors.md', 'utf8')
  for (const [name, Ctor] of await allErrorConstructors()) {
    const { code } = new (Ctor as unknown as new () => { code: string })()
    assert.ok(doc.includes(`\`${code}\``), `${code} (${name}) is missing from docs/errors.md`)
  }
})
