import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import fastifyStatic from '@fastify/static'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
// Sources run from src/plugins (tsx); the build runs from dist/src/plugins,
// and the static files are not compiled, so they are read from src/ there too.
const DASHBOARD_DIRS = [join(here, '..', 'dashboard'), join(here, '..', '..', '..', 'src', 'dashboard')]
const STATIC_CONFIG = { rateLimit: { points: 300, duration: 60 }, criticality: 'reports' as const }

function dashboardRoot (): string {
  const dir = DASHBOARD_DIRS.find((d) => existsSync(join(d, 'index.html')))
  if (!dir) throw new Error(`dashboard assets not found (looked in ${DASHBOARD_DIRS.join(', ')})`)
  return dir
}

/**
 * The monitoring dashboard at /dashboard: static HTML, CSS and ES modules
 * (no build step), with uPlot served from node_modules under
 * /dashboard/vendor/ — no CDN. The page itself is public; every figure it
 * shows comes from the admin-only monitoring API after login.
 */
const dashboardPlugin: FastifyPluginAsync = async (app) => {
  const uplotDist = dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.esm.js'))
  await app.register(fastifyStatic, {
    root: dashboardRoot(),
    prefix: '/dashboard/',
    decorateReply: false,
    index: 'index.html',
    cacheControl: true,
    maxAge: '5m',
    allowedPath: (path) => !path.includes('..'),
    schemaHide: true
  })
  await app.register(fastifyStatic, {
    root: uplotDist,
    prefix: '/dashboard/vendor/',
    decorateReply: false,
    allowedPath: (path) => path === '/uPlot.esm.js' || path === '/uPlot.min.css',
    cacheControl: true,
    maxAge: '1d',
    immutable: true,
    schemaHide: true
  })
  app.get('/dashboard', { config: STATIC_CONFIG, schema: { hide: true } }, async (_request, reply) => reply.redirect('/dashboard/', 301))
}

export default fp(dashboardPlugin, { name: 'dashboard', fastify: '5.x' })
