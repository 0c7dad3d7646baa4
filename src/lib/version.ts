import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The project's version from its package.json, found by walking up from this
 * file: it lives at ../../ from src/lib (tsx) and ../../../ from dist/src/lib.
 */
export function packageVersion (from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string, version?: string }
      if (pkg.name === 'techmart' && pkg.version) return pkg.version
    } catch {
      // no package.json here; keep walking up
    }
  }
  return '0.0.0'
}
