import type { FastifyPluginAsync } from 'fastify'

/**
 * Composition root of the domain modules: builds each service from the
 * infrastructure decorators, injects the services other modules need, and
 * registers each module's routes under `/api/v1`. Only this file imports
 * several modules.
 */
export const modules: FastifyPluginAsync = async (_app) => {
  // Modules are registered here as they land (catalog, users/auth, cart, orders, reviews, monitoring).
}
