export { default as profilerPlugin, type ProfilerPluginOptions } from './plugin.js'
export { profilesRoutes } from './routes.js'
export { ProfileSchema, QueryShareSchema, type Profile, type QueryShare } from './schemas.js'
