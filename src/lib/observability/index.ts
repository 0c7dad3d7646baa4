export { alertTransitionChannel, cacheOpChannel, dbAcquireChannel, dbQueryChannel, decisionChannel, loadSampleChannel, profileCapturedChannel, searchChannel, subscribeUntilClose } from './channels.js'
export type { LoadSampleEvent, SearchEvent } from './channels.js'
export { newRequestTimings, recordCacheOp, requestContext, timedQuery } from './instrumentation.js'
export type { CacheOpEvent, DbQueryEvent, RequestTimings } from './instrumentation.js'
