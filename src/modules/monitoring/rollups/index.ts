export { createRollupsRepository, type RollupBucket, type RollupsRepository, type RollupTotals } from './repository.js'
export { createRollupsService } from './service.js'
