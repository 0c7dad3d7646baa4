import fp from 'fastify-plugin'
import type { FastifyPluginAsync } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'

/** OpenAPI 3 document from the route schemas, served at `/openapi.json`, with the UI at `/docs`. */
const openapiPlugin: FastifyPluginAsync<{ version: string }> = async (app, opts) => {
  await app.register(swagger, {
    openapi: {
      info: { title: 'TechMart API', version: opts.version, description: 'E-commerce backend API: catalog, search, cart, orders, reviews, users and monitoring.' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } }
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } })
  app.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () => app.swagger())
}

export default fp(openapiPlugin, { name: 'openapi' })
