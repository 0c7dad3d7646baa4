#!/usr/bin/env node
// `npm start`: build when the sources changed, create and migrate the database,
// seed the demo data when the database is empty, then run the server — as
// separate processes, so the server itself never migrates or seeds. Arguments
// after `--` go to the server.
// Without DATABASE_URL/REDIS_URL and with nothing at the default addresses,
// PostgreSQL and Redis are embedded (src/embedded/launcher.ts).
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SERVER_NODE_FLAGS } from './server-node-flags.mjs'

const root = new URL('..', import.meta.url).pathname
const stamp = join(root, 'dist', '.build-stamp')

function newestMtime (dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

function run (label, command, args) {
  process.stdout.write(`[start] ${label}\n`)
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: process.env })
  if (result.status !== 0) {
    process.stderr.write(`[start] ${label} failed (exit ${result.status ?? result.signal})\n`)
    process.exit(result.status || 1)
  }
}

const sources = Math.max(newestMtime(join(root, 'src')), newestMtime(join(root, 'scripts')), statSync(join(root, 'package.json')).mtimeMs)
if (!existsSync(stamp) || statSync(stamp).mtimeMs < sources) {
  run('building (tsc)', process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'])
  writeFileSync(stamp, new Date().toISOString())
}
// Where PostgreSQL and Redis come from (configured, default address, or embedded: PGlite run by
// this process, in-process stand-ins for Redis), then migrate, seed-if-empty and the server.
const { launch } = await import(new URL('../dist/src/embedded/launcher.js', import.meta.url).href)
const node = (script, flags = []) => ({ command: process.execPath, args: [...flags, script] })
const started = launch({
  root,
  env: process.env,
  serverArgs: process.argv.slice(2),
  steps: { migrate: node('dist/scripts/migrate.js'), seed: node('dist/scripts/seed.js'), server: node('dist/src/server.js', SERVER_NODE_FLAGS) }
})
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => started.signal(signal))
process.exit(await started.exited)
