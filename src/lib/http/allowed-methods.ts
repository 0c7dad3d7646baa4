import type { FastifyInstance, HTTPMethods } from 'fastify'

// `Allow` lists the usual methods in this order, then any other the router accepts.
const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']

/**
 * The methods of a path, as the router itself would route them: `lookup(url)`
 * asks Fastify's router (`findRoute`, the same find-my-way tree that routes
 * requests, so parametric and wildcard routes, the HEAD routes Fastify adds
 * for GET and the router's URL rules all count) for each method it accepts.
 * OPTIONS is added to every path that has a method: the HTTP hardening plugin
 * answers OPTIONS on any known path (a CORS preflight, or 204 with `Allow`).
 * @fastify/cors's catch-all `OPTIONS *` route is never asked about, so it does
 * not make every path look known. An empty list means no route has this path.
 *
 * At most one lookup per method (eight in Fastify 5), and only for requests
 * that matched no route or are OPTIONS.
 */
export function methodLookup (app: FastifyInstance): (url: string) => string[] {
  let methods: HTTPMethods[] | undefined
  return (url) => {
    // The router's methods are fixed once the app is ready; read them on first use.
    methods ??= app.supportedMethods
      .filter((m) => m !== 'OPTIONS')
      .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)) as HTTPMethods[]
    const allowed: string[] = []
    for (const method of methods) {
      if (app.findRoute({ method, url }) !== null) allowed.push(method)
    }
    if (allowed.length > 0) allowed.push('OPTIONS')
    return allowed
  }
}

function rank (method: string): number {
  const i = ORDER.indexOf(method)
  return i === -1 ? ORDER.length : i
}
