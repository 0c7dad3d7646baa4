export { SearchAnalyticsSchema } from './schemas.js'
export { createSearchAnalytics, type SearchAnalyticsService } from './service.js'
