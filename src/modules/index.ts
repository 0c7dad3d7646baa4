import type { FastifyPluginAsync } from 'fastify'
import { authRoutes } from './auth/auth.routes.js'
import { createAuthService } from './auth/auth.service.js'
import { authKeys } from './auth/auth.keys.js'
import { createAuthThrottle } from './auth/auth.throttle.js'
import { cartRoutes } from './cart/cart.routes.js'
import { createReplicaWindow } from '../db/replica-window.js'
import { catalogRoutes } from './catalog/catalog.routes.js'
import { createExternalChanges } from './catalog/catalog.external.js'
import { createCatalogService } from './catalog/catalog.service.js'
import { configureCursorSecret } from './catalog/catalog.cursor.js'
import { createCartService } from './cart/cart.service.js'
import { createInventoryService } from './inventory/inventory.service.js'
import { alertsRoutes } from './monitoring/alerts/index.js'
import { profilesRoutes } from './monitoring/profiling/index.js'
import { slowQueriesRoutes } from './monitoring/slow-queries/index.js'
import { metricsModule } from './monitoring/metrics/index.js'
import { ordersRoutes } from './orders/orders.routes.js'
import { createOrdersService } from './orders/orders.service.js'
import { reviewsRoutes } from './reviews/reviews.routes.js'
import { createReviewsService } from './reviews/reviews.service.js'
import { usersRoutes } from './users/users.routes.js'
import { createUsersService } from './users/users.service.js'

/**
 * Composition root of the domain modules: builds each service from the
 * infrastructure decorators, injects the services other modules need, and
 * registers each module's routes under `/api/v1`. Only this file imports
 * several modules.
 */
export const modules: FastifyPluginAsync = async (app) => {
  // Catalog and search: products, categories, cached reads; other modules call its invalidateProducts.
  // With a read replica, every catalog write seen through a cache invalidation (this instance's, another's
  // through the bus, or one made outside the app) sends catalog reads to the primary for REPLICA_LAG_WINDOW_MS.
  // Catalog cursors are signed with a key derived from JWT_SECRET: every instance accepts the others'.
  configureCursorSecret(app.config.jwtSecret)
  const reads = createReplicaWindow({ primary: app.db.sql, replica: app.db.readSql, windowMs: app.config.replicaLagWindowMs })
  // Only catalog invalidations mean a catalog write: per-user ones (carts, profiles, orders) leave catalog reads on the replica.
  app.cache.onInvalidate((tags) => { if (tags.some((tag) => tag.startsWith('catalog:'))) reads.markWrite() })
  const catalog = createCatalogService({
    db: { db: app.db.db, sql: app.db.sql, readSql: reads.sql },
    cache: app.cache,
    log: app.log,
    wordsRefreshS: app.config.catalogWordsRefreshS,
    searchTextIndex: app.config.searchTextIndex,
    searchMatchIndex: app.config.searchMatchIndex
  })
  app.catalogSearch.loaded = catalog.matchesLoaded
  await app.register(catalogRoutes, { catalog })
  // Writes made outside the app (psql, imports) through PostgreSQL NOTIFY. Not on the embedded
  // PGlite: its one session hands a notification to the writing client, not to a listener.
  if (!app.db.embedded) {
    const external = createExternalChanges({
      sql: app.db.sql,
      catalog,
      log: app.log,
      onNotification: (kind) => app.metrics.prom.catalogExternalChanges.inc({ kind })
    })
    app.addHook('onReady', external.start)
    app.addHook('onClose', external.stop)
  }

  // Accounts, cart, orders, reviews. Inventory owns stock and rating writes on products.
  const { db } = app.db
  const inventory = createInventoryService({
    db,
    log: app.log,
    onProductsChanged: (productIds) => catalog.invalidateProducts(productIds),
    onStockChanged: (productIds, flippedIds) => catalog.invalidateStock(productIds, flippedIds)
  })
  const users = createUsersService({ db, log: app.log, cache: app.cache, onTokensRevoked: app.accountChanged })
  const throttle = createAuthThrottle({
    redis: app.redis.embedded ? undefined : app.redis.client,
    keyPrefix: (name) => authKeys.counter(app.redis, name),
    lockoutThreshold: app.config.loginLockoutThreshold,
    lockoutBaseS: app.config.loginLockoutBaseS,
    lockoutMaxS: app.config.loginLockoutMaxS,
    registerPerAddressPerDay: app.config.registerAddressDailyLimit,
    registerPerAccountPerHour: app.config.registerAccountHourlyLimit
  })
  const auth = createAuthService({ users, throttle, signAccessToken: app.signAccessToken, expiresInS: app.config.jwtExpiresInS, log: app.log })
  // Per-user reads (cart, profile, order pages) are cached; a cached cart carries its products' detail tags.
  const cart = createCartService({ db, cache: app.cache, productTags: catalog.detailTags })
  const orders = createOrdersService({ db, log: app.log, inventory, cache: app.cache, cartTag: cart.tag, pendingTtlMinutes: app.config.orderPendingTtlMinutes })
  const reviews = createReviewsService({ db, log: app.log, inventory, cache: app.cache, productTags: catalog.detailTags })
  await app.register(authRoutes, { prefix: '/auth', auth })
  await app.register(usersRoutes, { prefix: '/users', users })
  await app.register(cartRoutes, { prefix: '/cart', cart })
  await app.register(ordersRoutes, { prefix: '/orders', orders, expiryIntervalMs: app.config.orderExpiryIntervalS * 1000 })
  await app.register(reviewsRoutes, { reviews })

  // Monitoring, alerts side: services come from the alerts plugin, which owns their lifecycle.
  await app.register(alertsRoutes, { prefix: '/monitoring', alerts: app.alerts.service })
  await app.register(profilesRoutes, { prefix: '/monitoring', profiles: app.profiler.service })
  await app.register(slowQueriesRoutes, { prefix: '/monitoring', slowQueries: app.slowQueries })
  // Monitoring, metrics side: business/performance metrics, search analytics, the live stream and their jobs.
  const c = app.config
  await app.register(metricsModule, {
    prefix: '/monitoring',
    businessIntervalS: c.businessMetricsIntervalS,
    businessTimezone: c.businessTimezone,
    lowStockThreshold: c.lowStockThreshold,
    retentionDays: c.metricsRetentionDays,
    slowSearchMs: c.slowSearchMs,
    jwtSecret: c.jwtSecret
  })
}
