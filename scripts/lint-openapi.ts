/**
 * `npm run lint:openapi` (part of `npm test`): checks `/openapi.json` with the tools its users run.
 *
 * 1. Builds the app as the tests do (test database and Redis prefix, no listening) and takes the
 *    document from GET /openapi.json.
 * 2. Spectral with `.spectral.yaml` (spectral:oas plus the repository's rules), failing on any
 *    error or warning.
 * 3. openapi-typescript generates the client types (it validates the document with Redocly on the
 *    way), and TypeScript checks `openapi-client/usage.ts`, an openapi-fetch client, against them.
 *
 * Spectral and TypeScript run in parallel. Exit code 1 on any finding; `--keep` leaves the
 * temporary folder (document, generated types) in place and prints its path.
 */
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import openapiTS, { astToString } from 'openapi-typescript'
import { buildTestApp } from '../test/support/helper.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const bin = (name: string): string => join(ROOT, 'node_modules', '.bin', name)

interface Outcome { name: string, ok: boolean, output: string, ms: number }

function run (name: string, file: string, args: string[]): Promise<Outcome> {
  const started = performance.now()
  return new Promise((resolve) => {
    execFile(file, args, { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ name, ok: err === null, output: `${stdout}${stderr}`.trim(), ms: Math.round(performance.now() - started) })
    })
  })
}

async function fetchDocument (): Promise<unknown> {
  const app = await buildTestApp(undefined, { rateLimitEnabled: false, loadSheddingEnabled: false })
  try {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' })
    if (res.statusCode !== 200) throw new Error(`GET /openapi.json answered ${res.statusCode}: ${res.body}`)
    return res.json()
  } finally {
    await app.close()
  }
}

async function main (): Promise<number> {
  const keep = process.argv.includes('--keep')
  const dir = await mkdtemp(join(tmpdir(), 'techmart-openapi-'))
  try {
    const started = performance.now()
    const document = await fetchDocument()
    const documentMs = Math.round(performance.now() - started)
    const documentFile = join(dir, 'openapi.json')
    await writeFile(documentFile, JSON.stringify(document, null, 2))

    const spectral = run('spectral', bin('spectral'), ['lint', documentFile, '--ruleset', join(ROOT, '.spectral.yaml'), '--fail-severity=warn', '--format=stylish'])

    const generated = performance.now()
    const types = astToString(await openapiTS(pathToFileURL(documentFile), { silent: true }))
    const typesMs = Math.round(performance.now() - generated)
    await writeFile(join(dir, 'openapi.d.ts'), types)
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'ES2023',
        lib: ['ES2023'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
        skipLibCheck: true,
        paths: { 'techmart-openapi': [join(dir, 'openapi.d.ts')] }
      },
      files: [join(ROOT, 'openapi-client', 'usage.ts')]
    }, null, 2))
    const client = run('typescript client', bin('tsc'), ['-p', join(dir, 'tsconfig.json')])

    const outcomes = await Promise.all([spectral, client])
    console.log(`openapi: document built in ${documentMs} ms, client types generated in ${typesMs} ms, ${Math.round(performance.now() - started)} ms in all`)
    for (const o of outcomes) {
      console.log(`openapi: ${o.name} ${o.ok ? 'passed' : 'FAILED'} (${o.ms} ms)`)
      if (!o.ok || o.output.includes('problem')) console.log(o.output)
    }
    if (keep) console.log(`openapi: files kept in ${dir}`)
    return outcomes.every((o) => o.ok) ? 0 : 1
  } finally {
    if (!keep) await rm(dir, { recursive: true, force: true })
  }
}

main().then((code) => { process.exitCode = code }, (err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
