import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import fastifyStatic from '@fastify/static'
import { existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Type } from 'typebox'

const here = dirname(fileURLToPath(import.meta.url))
// Sources run from src/plugins (tsx); the build runs from dist/src/plugins,
// and the static files are not compiled, so they are read from src/ there too.
const DASHBOARD_DIRS = [join(here, '..', 'dashboard'), join(here, '..', '..', '..', 'src', 'dashboard')]
const VENDOR_FILES = new Set(['uPlot.esm.js', 'uPlot.min.css'])
const FileParamsSchema = Type.Object({ file: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }) }, { additionalProperties: false })
/**
 * Never shed: the on-call engineer opens the dashboard exactly when the
 * process is overloaded, and these few small files (cached by the browser)
 * cost almost nothing. The data routes behind it keep their own class.
 */
const config = { shed: false, criticality: 'reports' as const, rateLimit: { points: 300, duration: 60 } }

function dashboardRoot (): string {
  const dir = DASHBOARD_DIRS.find((d) => existsSync(join(d, 'index.html')))
  if (!dir) throw new Error(`dashboard assets not found (looked in ${DASHBOARD_DIRS.join(', ')})`)
  return dir
}

/**
 * The monitoring dashboard at /dashboard: static HTML, CSS and ES modules
 * (no build step), with uPlot served from node_modules under
 * /dashboard/vendor/ — no CDN. Files are sent by @fastify/static's
 * `sendFile` (ETag, caching) from explicit routes, so they carry route
 * config and only the listed files can be read. The page itself is public;
 * every figure it shows comes from the admin-only monitoring API after login.
 * Encapsulated (not fastify-plugin): `reply.sendFile` stays in here.
 */
const dashboardPlugin: FastifyPluginAsyncTypebox = async (app) => {
  const root = dashboardRoot()
  const files = new Set(readdirSync(root).filter((f) => /\.(html|js|css)$/.test(f)))
  const vendorRoot = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.esm.js'))
  await app.register(fastifyStatic, { root, serve: false, cacheControl: true, maxAge: '5m' })

  const notFound = { 404: Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() }) }
  app.get('/dashboard', { config, schema: { hide: true } }, async (_request, reply) => reply.redirect('/dashboard/', 301))
  app.get('/dashboard/', { config, schema: { hide: true } }, async (_request, reply) => reply.sendFile('index.html'))
  app.get('/dashboard/:file', { config, schema: { hide: true, params: FileParamsSchema, response: notFound } }, async (request, reply) => {
    if (!files.has(request.params.file)) return reply.callNotFound()
    return reply.sendFile(request.params.file)
  })
  app.get('/dashboard/vendor/:file', { config, schema: { hide: true, params: FileParamsSchema, response: notFound } }, async (request, reply) => {
    if (!VENDOR_FILES.has(request.params.file)) return reply.callNotFound()
    return reply.sendFile(request.params.file, vendorRoot, { maxAge: '1d', immutable: true })
  })
}

export default dashboardPlugin
