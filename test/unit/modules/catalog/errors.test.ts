import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { AppErrors } from '../../../../src/errors.js'
import { AuthErrors } from '../../../../src/plugins/auth.js'
import { CatalogErrors } from '../../../../src/modules/catalog/catalog.errors.js'

// `| \`CODE\` | status | meaning |` rows of docs/errors.md.
const documented = new Map([...readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8')
  .matchAll(/^\| `([A-Z0-9_<>a-z]+)` \| (\d{3}|4xx) \|/gm)].map((m) => [m[1], m[2]]))

function codesOf (errors: Record<string, new (...args: never[]) => { code: string, statusCode?: number }>) {
  return Object.values(errors).map((E) => {
    const e = new E()
    return { code: e.code, status: String(e.statusCode) }
  })
}

test('every catalog, generic and auth-plugin error code is documented with its status', () => {
  const codes = [...codesOf(CatalogErrors), ...codesOf(AppErrors), ...codesOf(AuthErrors)]
  for (const { code, status } of codes) {
    assert.equal(documented.get(code), status, `${code} (${status}) is in docs/errors.md`)
  }
})

test('catalog codes are unique and carry the module prefix', () => {
  const codes = codesOf(CatalogErrors).map((c) => c.code)
  assert.equal(new Set(codes).size, codes.length)
  for (const code of codes) assert.match(code, /^CATALOG_[A-Z_]+$/)
})
