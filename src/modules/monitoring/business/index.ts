export { createBusinessRepository } from './repository.js'
export { BusinessSchema, type Business } from './schemas.js'
export { createBusinessService, type BusinessService } from './service.js'
