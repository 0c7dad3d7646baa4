export { default as slowQueriesPlugin, type RelativeSlowQueryOptions, type SlowQueriesPluginOptions } from './plugin.js'
export { slowQueriesRoutes } from './routes.js'
export type { QueryBaseline, SlowQuery } from './schemas.js'
export type { SlowQueriesService } from './service.js'
