export { cacheOpChannel, dbQueryChannel, newRequestTimings, recordCacheOp, requestContext, timedQuery } from './instrumentation.js'
export type { CacheOpEvent, DbQueryEvent, RequestTimings } from './instrumentation.js'
