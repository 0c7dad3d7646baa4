export { createBusinessRepository } from './repository.js'
export { BusinessSchema } from './schemas.js'
export { createBusinessService, type BusinessService } from './service.js'
