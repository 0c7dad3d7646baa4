export { default as slowQueriesPlugin, type SlowQueriesPluginOptions } from './plugin.js'
export { slowQueriesRoutes } from './routes.js'
export type { QueryBaseline, SlowQuery } from './schemas.js'
